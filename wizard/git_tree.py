"""A new workspace keeps itself out of git: it holds private keys, and `git add .` in a checkout
would take them along. It gets its own `.gitignore` (`*`: everything in it, itself included;
written by Workspace.create_root), and the person is told when it lies inside a git work tree."""

from __future__ import annotations

import os
from pathlib import Path

from wizard.i18n import _
from wizard.safe_text import printable

GITIGNORE = ".gitignore"
# `*` matches the .gitignore itself too: git shows nothing of the workspace, not even this file.
# The rule comes first: a write cut short still ignores everything.
GITIGNORE_TEXT = b"*\n# an mtls-wizard workspace: private keys and certificates; nothing here belongs in git\n"


def write_gitignore(root: Path) -> bool:
    """Write `root`/.gitignore unless there is one; True when this call wrote it. Created in place
    (O_EXCL), not through a temp file: a new workspace may be made by two runs at once, outside
    the lock (whose holder removes temp files it does not know)."""
    try:
        fd = os.open(root / GITIGNORE, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, 0o644)  # whatever the umask
        os.write(fd, GITIGNORE_TEXT)
    finally:
        os.close(fd)
    return True


def work_tree_of(folder: Path) -> Path | None:
    """The git work tree `folder` lies in (the nearest folder above holding .git), or None.
    Read from the file system: no git command runs."""
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


def git_notice(workspace: Path) -> list[str]:
    """What to tell the person about a new workspace inside a git work tree (nothing elsewhere)."""
    tree = work_tree_of(workspace.parent)
    if tree is None:
        return []
    return [_("the new workspace {workspace} lies inside the git work tree {tree}: its own .gitignore (*) keeps its keys "
              "and certificates out of git").format(workspace=printable(workspace), tree=printable(tree))]
