"""Files that only this user could have written: the session files, the last-session pointer and
the workspace's progress file are read only when they are ours, regular, not writable by others
and of a sane size; anything else is refused with a message that says what happens instead.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from wizard.errors import WizardError
from wizard.i18n import _
from wizard.safe_text import printable
from wizard.workspace import MAX_FILE_BYTES, file_kind, read_up_to


class SessionFileError(WizardError):
    """A session file (or the workspace's progress file) that cannot be used: corrupted, from a
    newer version, or one that another user could have written."""


def read_own_file(path: Path, what: str, consequence: str) -> bytes:
    """A session file's bytes, only if it is a regular file of ours that no one else can write.

    `what` names the file and `consequence` says what happens instead, both translated.
    Raises FileNotFoundError when there is none, SessionFileError (nothing renamed) otherwise.
    """
    shown = printable(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(path) from None  # none there (yet)
    except OSError as error:
        # Unreadable is not corrupted: leave the file where it is.
        reason = _("it is a symbolic link") if error.errno == errno.ELOOP else error.strerror
        raise SessionFileError(_("the {what} {path} cannot be read ({reason}); {consequence}").format(
            what=what, path=shown, reason=reason, consequence=consequence)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SessionFileError(_("the {what} {path} cannot be read (it is {kind}); {consequence}").format(
                what=what, path=shown, kind=file_kind(info.st_mode), consequence=consequence))
        problem = _ownership_problem(info, what=what, path=shown, consequence=consequence)
        if problem:
            raise SessionFileError(problem)
        data = read_up_to(fd, MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise SessionFileError(_("the {what} {path} is over {size} KiB, so it was ignored; {consequence}").format(
            what=what, path=shown, size=MAX_FILE_BYTES // 1024, consequence=consequence))
    return data


def _ownership_problem(info: os.stat_result, *, what: str, path: str, consequence: str) -> str | None:
    """The message when another user could have written the file, or None."""
    if info.st_uid != os.geteuid():
        return _("the {what} {path} belongs to another user (uid {uid}), so it was ignored; {consequence}").format(
            what=what, path=path, uid=info.st_uid, consequence=consequence)
    if info.st_mode & 0o022:
        return _("the {what} {path} can be written by other users (mode {mode:o}), so it was ignored; {consequence}").format(
            what=what, path=path, mode=stat.S_IMODE(info.st_mode), consequence=consequence)
    return None
