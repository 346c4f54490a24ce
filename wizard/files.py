"""Reading files a person names (certificates, keys, password files) and workspace files, bounded.

Only regular files (and, where asked, a pipe such as `<(pass show x)`), at most 1 MiB by
default, and a pipe only until a deadline: /dev/zero, a 200 MB log or a FIFO whose writer
never writes must fail at once or in bounded time, never hang or flood memory.
"""

from __future__ import annotations

import os
import select
import stat
import time
from pathlib import Path

from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _
from wizard.safe_text import printable

# Certificate material is small: a chain of ten RSA-4096 certificates is under 25 KiB.
MAX_FILE_BYTES = 1024 * 1024
PIPE_WAIT = 30.0  # seconds a pipe may take to deliver all it holds (e.g. `pass` asking GPG first)


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words ("a folder", "a named pipe (FIFO)", ...), translated."""
    kinds = ((stat.S_ISDIR, N_("a folder")), (stat.S_ISFIFO, N_("a named pipe (FIFO)")), (stat.S_ISCHR, N_("a device")),
             (stat.S_ISBLK, N_("a device")), (stat.S_ISSOCK, N_("a socket")))
    kind = next((kind for test, kind in kinds if test(mode)), N_("not a regular file"))
    return _(kind)


def read_limited(path: Path, *, limit: int = MAX_FILE_BYTES, pipes: bool = False, wait: float = PIPE_WAIT) -> bytes:
    """A user-given file's bytes, refusing what could hang or flood memory.

    Only regular files (and, with `pipes`, a pipe such as `<(pass show x)`, read for at most
    `wait` seconds); at most `limit` bytes: certificate material is small, and /dev/zero or a
    200 MB log must fail at once. Opening never blocks (O_NONBLOCK: a FIFO without a writer
    would wait forever). Raises FileNotFoundError, UnreadableFile (refused) or OSError.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if stat.S_ISFIFO(info.st_mode) and pipes:
            data = _read_pipe(fd, limit + 1, wait, path)
        elif not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(path, _("it is {kind}, not a file").format(kind=file_kind(info.st_mode)))
        else:
            if info.st_size > limit:
                raise _too_big(path, limit)
            data = read_up_to(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew, or the size was not known (a pipe, /proc)
        raise _too_big(path, limit)
    return data


def _read_pipe(fd: int, size: int, wait: float, path: Path) -> bytes:
    """At most `size` bytes from a pipe (opened non-blocking), until its writer closes it,
    within `wait` seconds: a writer that never writes (or never closes) must not keep us
    waiting forever. A pipe without a writer reads as empty at once."""
    deadline = time.monotonic() + wait
    chunks: list[bytes] = []
    while size > 0:
        try:
            chunk = os.read(fd, min(size, 65536))
        except BlockingIOError:  # a writer is there, nothing written yet
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise UnreadableFile(path, _("the pipe delivered nothing complete within {seconds:g} s (its writer neither wrote nor "
                                             "closed it); check the command that writes it").format(seconds=wait)) from None
            continue
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class UnreadableFile(InputError):
    """A file refused before reading (not a regular file, or too big); `reason` says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(_("cannot read {path}: {reason}").format(path=printable(path), reason=reason))
        self.reason = reason


def read_up_to(fd: int, size: int) -> bytes:
    """At most `size` bytes from `fd` (fewer at the end of the file)."""
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.read(fd, min(size, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _too_big(path: Path, limit: int) -> UnreadableFile:
    return UnreadableFile(path, _("it is over {size} KiB, far more than a certificate, key or password file holds; check the file name").format(size=limit // 1024))


def read_text(path: Path, what: str | None = None) -> str:
    """A workspace file's text; `what` (translated by the caller) names it when it is missing."""
    try:
        return read_limited(Path(path)).decode("utf-8")
    except FileNotFoundError:
        raise WizardError(_("{what} not found at {path}: run the earlier step first").format(what=what or printable(path), path=printable(path))) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(_("cannot read {path}: {reason}").format(path=printable(path), reason=getattr(error, "strerror", None) or error)) from None


def read_bytes(path: Path | str) -> bytes:
    try:
        return read_limited(path)  # type: ignore[arg-type]  # (a str as well: os.open takes both)
    except FileNotFoundError:
        raise InputError(_("{path} does not exist: check the path").format(path=printable(path))) from None
    except OSError as error:
        raise InputError(_("cannot read {path}: {reason}").format(path=printable(path), reason=error.strerror)) from None
