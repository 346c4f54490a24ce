"""Whose files these are: a workspace is used only when no other user could have planted or
changed what is in it.

On a shared server another account can pre-create `mtls-workspace/ca/` with a CA of its own,
or put a symbolic link where we would write a key. So before a workspace is read or written,
the workspace folder, each of its folders, its lock file and every private key must belong to
the running user (os.geteuid()) and not be writable by others (keys not readable either), and
no symbolic link may stand anywhere in it. Each refusal is one line naming the path, its
owner and the fix. Nothing is chmodded or chowned: what someone else prepared is never adopted.

`wizard.workspace.Workspace.refuse_untrusted()` walks a workspace with these checks; the lock
file is checked where it is opened.
"""

from __future__ import annotations

import functools
import grp
import os
import pwd
import stat
from pathlib import Path

from wizard.errors import WizardError
from wizard.i18n import _
from wizard.safe_text import printable

WRITABLE_BY_OTHERS = 0o022  # group or others may write
READABLE_BY_OTHERS = 0o077  # for a key: any access by group or others


class Untrusted(WizardError):
    """Another user owns, or could have changed, a part of the workspace."""


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _owner(info: os.stat_result) -> str:
    return _("{user} (uid {uid})").format(user=owner_name(info.st_uid), uid=info.st_uid)


def refuse_link(path: Path, *, workspace_itself: bool = False) -> None:
    """A symbolic link is never followed in a workspace: say where it points."""
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    if workspace_itself:
        raise Untrusted(_("the workspace {path} is a symbolic link to {target}: mtls-wizard does not follow links to a workspace; "
                          "if that folder is yours, give it itself with --workspace {target}").format(path=printable(path), target=printable(target)))
    raise Untrusted(_("{path} is a symbolic link to {target}: mtls-wizard follows no links inside a workspace (files would land elsewhere); "
                      "replace it with a real folder or file of your own").format(path=printable(path), target=printable(target)))


@functools.lru_cache(maxsize=64)
def _private_group(gid: int, uid: int) -> bool:
    """The owner's own group, with nobody else in it (Debian's user private groups, whose
    umask 002 makes folders group-writable): its bits then concern the owner alone."""
    try:
        group, owner = grp.getgrgid(gid), pwd.getpwuid(uid)
    except KeyError:
        return False
    if group.gr_name != owner.pw_name or owner.pw_gid != gid or group.gr_mem:
        return False
    return not any(user.pw_gid == gid and user.pw_uid != uid for user in pwd.getpwall())


def _others_bits(info: os.stat_result, bits: int) -> int:
    """The `bits` of the mode that give access to someone else than the owner."""
    mode = stat.S_IMODE(info.st_mode) & bits
    return mode & 0o007 if mode & 0o070 and _private_group(info.st_gid, info.st_uid) else mode


def check_entry(path: str | Path, info: os.stat_result, *, secret: bool = False) -> None:
    """Refuse a folder or file of the workspace (lstat `info`) that another user owns or may change.
    (Called for every entry of a workspace: nothing is built unless it refuses.)"""
    if stat.S_ISLNK(info.st_mode):
        refuse_link(Path(path))
    if info.st_uid != os.geteuid():
        raise Untrusted(_("{path} belongs to {owner}, not to you ({user}): another user could have planted or changed it, "
                          "so mtls-wizard will not use this workspace; use a workspace folder of your own").format(
            path=printable(path), owner=_owner(info), user=owner_name(os.geteuid())))
    if _others_bits(info, WRITABLE_BY_OTHERS):
        raise Untrusted(_("{path} can be written by other users (mode {mode:o}, owner {owner}): they could have planted or swapped files, "
                          "so mtls-wizard will not use it; check what is there, then chmod go-w {path}").format(
            path=printable(path), mode=stat.S_IMODE(info.st_mode), owner=_owner(info)))
    if secret and _others_bits(info, READABLE_BY_OTHERS):
        raise Untrusted(_("{path} is a private key that other users can read (mode {mode:o}, owner {owner}): chmod 600 {path}, "
                          "and replace the key if someone may have copied it").format(
            path=printable(path), mode=stat.S_IMODE(info.st_mode), owner=_owner(info)))


def check_path(path: Path, *, secret: bool = False) -> bool:
    """`check_entry` for a path that may not exist; False when it does not."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as error:
        raise Untrusted(_("cannot check {path}: {reason}").format(path=printable(path), reason=error.strerror)) from None
    check_entry(path, info, secret=secret)
    return True


def check_lock_file(path: Path, fd: int) -> None:
    """The workspace lock file, as opened: ours, and not writable by others (another user's
    lock file would let that user block every run, or read our pid)."""
    info = os.fstat(fd)
    if info.st_uid != os.geteuid() or _others_bits(info, WRITABLE_BY_OTHERS):
        raise Untrusted(_("the lock file {path} belongs to {owner} with mode {mode:o}, not to you alone: another user made it; "
                          "check the workspace, then remove the lock file (as its owner or root) and try again").format(
            path=printable(path), owner=_owner(info), mode=stat.S_IMODE(info.st_mode)))
