"""Writing workspace files: atomic 0600-or-0644 writes, private folders, fsync, and the words
for a failed write.

A file is written to a temp file in its own folder, fsynced, then renamed over the old one:
a reader (or a run killed half-way) sees the old file or the new one, never half of either.
A set of files replaced as one is the business of wizard.replacement, built on these.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from wizard.errors import WizardError
from wizard.i18n import _
from wizard.safe_text import printable

DIR_MODE = 0o700
SECRET_MODE = 0o600  # private keys, .p12, anything holding a key
PUBLIC_MODE = 0o644


def describe_os_error(error: OSError, path: Path) -> str:
    shown = printable(path)
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return _("cannot write to {path}: {reason}; choose a workspace folder you can write to").format(path=shown, reason=error.strerror.lower())
    if error.errno == errno.ENOSPC:
        return _("no space left to write {path}: free some space and try again").format(path=shown)
    if error.errno == errno.ENOENT:
        # e.g. a path under /proc, or a folder removed while we worked
        return _("cannot create {path}: a folder on the way cannot be created there; choose a workspace folder you can write to").format(path=shown)
    if error.errno == errno.ENOTDIR:
        return _("{path} is not usable as a folder (a file is in the way): choose another workspace").format(path=shown)
    return _("cannot write {path}: {reason}").format(path=shown, reason=error.strerror or error)


def atomic_write(path: Path, data: bytes, mode: int = PUBLIC_MODE) -> None:
    """Write via a temp file in the same folder, fsync, then rename: never a half-written file.

    The temp file gets its final mode before any byte is written, so a key is never
    readable by others, not even for a moment.
    """
    path = Path(path)
    try:
        # Inside the try: a missing or read-only folder is reported like any other write failure.
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:  # owns fd from here: closed whatever happens
                os.fchmod(handle.fileno(), mode)  # before the first byte
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, path)
        except BaseException:
            os.unlink(temp_name)  # a failed rename must not leave the temp file behind either
            raise
    except OSError as error:
        if isinstance(error, FileNotFoundError) and path.parent.parent.is_dir() and not path.parent.exists():
            raise WizardError(_("cannot write {path}: its folder is gone (something other than mtls-wizard removed it "
                                "while it was working?); look at the workspace, then run this again").format(path=printable(path))) from None
        raise WizardError(describe_os_error(error, path)) from None
    fsync_dir(path.parent)


def make_private_folder(folder: Path) -> None:
    """mkdir 0700 whatever the umask; an existing folder is left exactly as it is."""
    try:
        folder.mkdir(mode=DIR_MODE)
    except FileExistsError:
        if not folder.is_dir():
            raise WizardError(_("{path} exists and is not a folder: move it away or choose another workspace").format(path=printable(folder))) from None
        return
    except OSError as error:
        raise WizardError(describe_os_error(error, folder)) from None
    try:
        os.chmod(folder, DIR_MODE)  # ours: the umask may have taken bits away (or left 0777)
    except OSError as error:
        raise WizardError(describe_os_error(error, folder)) from None


def make_private_folders(folder: Path) -> None:
    """`folder` and every missing folder on its way, each 0700 whatever the umask (a plain
    `mkdir -p` under umask 000 leaves them 0777). Folders that exist already keep their mode:
    they may be shared on purpose (/tmp, a home folder, the user data directory)."""
    folder = Path(folder)
    missing = []
    while not os.path.lexists(folder) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        make_private_folder(each)
    if not missing and not folder.is_dir():
        raise WizardError(_("{path} exists and is not a folder: move it away or choose another workspace").format(path=printable(folder)))


def fsync_dir(folder: Path) -> None:
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
