"""The tutorial's folder layout, the workspace lock, atomic 0600 writes and no silent overwrite.

WORKSPACE/ca/ca.key ca.csr ca.crt
WORKSPACE/server/server.key server.csr server.crt
WORKSPACE/client/client.key client.csr client.crt client.p12
WORKSPACE/elb/   upload-ready files and API payloads
WORKSPACE/.mtls-wizard.lock   held (flock) by whoever writes the workspace

A workspace is used only when no other user could have prepared or changed it
(`Workspace.refuse_untrusted`, with the checks of wizard.ownership).
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from wizard import ownership, replacement
from wizard.errors import InputError, WizardError
from wizard.files import MAX_FILE_BYTES, UnreadableFile, file_kind, read_bytes, read_limited, read_text, read_up_to
from wizard.git_tree import git_notice, write_gitignore
from wizard.i18n import _
from wizard.safe_text import printable
from wizard.writing import DIR_MODE, PUBLIC_MODE, SECRET_MODE, atomic_write, describe_os_error, make_private_folder, make_private_folders

_describe_os_error = describe_os_error  # the old name, still used by a test
_make_private_folder = make_private_folder

# Reading moved to wizard.files, writing to wizard.writing; these names stay importable from here for every caller.
__all__ = [
    "DIR_MODE", "LOCK_NAME", "LOCK_WAIT", "MAX_FILE_BYTES", "PUBLIC_MODE", "ROLES", "SECRET_MODE", "LockHold", "UnreadableFile",
    "Workspace", "WorkspaceBusy", "WorkspaceLock", "atomic_write", "file_kind", "make_private_folders", "read_bytes", "read_limited", "read_text", "read_up_to",
]

ROLES = ("ca", "server", "client")
CLIENTS_FOLDER = "clients"  # clients/NAME/ (wizard.clients.names)
# The folders whose every entry is checked (wizard.ownership), and under which no other
# workspace may be made (its files would mix with this one's).
CHECKED_FOLDERS = (*ROLES, "elb", CLIENTS_FOLDER, replacement.STAGING_NAME)
# What belongs to a CA beside its key and certificate: its CRL, revocation record and list of
# revoked serials (wizard.clients.revocation_record), and the record of a CA held in CCM
# (wizard.ccm.record). A new CA starts its own: the old ones go to the backup with the old CA.
CA_RECORDS = ("crl.pem", "revoked.json", "revoked-serials.txt", "issuer.json")

LOCK_NAME = ".mtls-wizard.lock"
LOCK_WAIT = 5.0  # seconds a second writer waits before it gives up
_LOCK_POLL = 0.05
# atomic_write's temp files: ".<name>.<8 random characters from mkstemp>.tmp"
_TEMP_FILE = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")


# ---------------------------------------------------------------------------
# The workspace lock: one writer at a time
# ---------------------------------------------------------------------------


class WorkspaceBusy(WizardError):
    """Another mtls-wizard (or another task of this one) is writing the workspace."""


@dataclass
class LockHold:
    """What taking the lock did: `notices` (e.g. stale temp files removed) to pass on to the user;
    `recovered`, an interrupted replacement this hold finished or rolled back (wizard.replacement)."""

    notices: list[str] = field(default_factory=list)
    recovered: replacement.Recovered | None = None


# Where the line saying a replacement was recovered goes (the CLI prints it at once, whatever the
# command); without a listener it is one of the hold's notices, which the outcomes carry.
_recovery_listener: Callable[[str], None] | None = None


def tell_recoveries_to(listener: Callable[[str], None] | None) -> None:
    global _recovery_listener
    _recovery_listener = listener


# Per process: flock() belongs to an open file, so a second open() by this process would
# wait for itself. Threads of one process therefore queue on an RLock per workspace (the
# same thread may enter again), and only the outermost holder takes the file lock.
_registry_guard = threading.Lock()
_thread_locks: dict[str, threading.RLock] = {}
_file_locks: dict[str, int] = {}  # workspace (real path) -> the fd holding its flock


def _thread_lock(key: str) -> threading.RLock:
    with _registry_guard:
        return _thread_locks.setdefault(key, threading.RLock())


class WorkspaceLock:
    """An exclusive, re-entrant lock on a workspace, for a whole read-check-write.

    Across processes it is flock() on WORKSPACE/.mtls-wizard.lock: the kernel drops it when
    its holder exits or is killed, so a stale lock never blocks. The file holds the holder's
    pid, for the message a waiting writer gives after `wait` seconds.
    """

    def __init__(self, ws: Workspace, wait: float = LOCK_WAIT) -> None:
        self.ws = ws
        self.wait = wait
        self._key = ""
        self._outermost = False

    def __enter__(self) -> LockHold:
        deadline = time.monotonic() + self.wait
        self._key = os.path.realpath(self.ws.root)
        thread_lock = _thread_lock(self._key)
        if not thread_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise WorkspaceBusy(_("another task of this mtls-wizard (pid {pid}) is working on this workspace: "
                                  "wait for it to finish, then try again").format(pid=os.getpid()))
        if self._key in _file_locks:  # this thread holds it already
            return LockHold()
        try:
            self.ws.refuse_untrusted()  # before anything is created, read or written
            self.ws.create_root()
            _file_locks[self._key] = _flock(Path(self._key) / LOCK_NAME, deadline)
        except BaseException:
            thread_lock.release()
            raise
        self._outermost = True
        try:
            notices = [*self.ws.take_new_notices(), *self.ws.remove_stale_temp_files()]
            recovered = replacement.recover(self.ws.root)  # before anything reads the workspace: one complete set
            if recovered is not None and _recovery_listener is not None:
                _recovery_listener(recovered.line)
            elif recovered is not None:
                notices.append(recovered.line)
            return LockHold([*notices, *self.ws.exposure_warnings()], recovered)
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._outermost:
            os.close(_file_locks.pop(self._key))  # closing the file releases the flock
            self._outermost = False
        _thread_lock(self._key).release()


def _looks_like_workspace(folder: Path) -> bool:
    return any(os.path.lexists(folder / name) for name in (LOCK_NAME, "ca/ca.crt", "ca/ca.key"))


def _open_lock_file(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, SECRET_MODE)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise WizardError(_("{path} is a symbolic link, not mtls-wizard's lock file: remove it and try again").format(path=printable(path))) from None
        raise WizardError(_describe_os_error(error, path)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise WizardError(_("{path} is not a regular file, so it cannot be mtls-wizard's lock file: remove it and try again").format(path=printable(path)))
        ownership.check_lock_file(path, fd)
    except BaseException:
        os.close(fd)
        raise
    return fd


def release_inherited_locks() -> None:
    """In a forked worker process: close the lock files inherited from the parent, so the
    parent's flock ends with the parent (flock belongs to the open file, which a fork shares)."""
    for fd in _file_locks.values():
        try:
            os.close(fd)
        except OSError:
            pass
    _file_locks.clear()


def _flock(path: Path, deadline: float) -> int:
    """The fd of `path`, exclusively flock()ed (polling until `deadline`), holding our pid."""
    fd = _open_lock_file(path)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WorkspaceBusy(_("another mtls-wizard is working on this workspace (pid {pid}): "
                                          "wait for it to finish, then run this again").format(pid=_holder(fd))) from None
                time.sleep(_LOCK_POLL)
            except OSError as error:
                raise WizardError(_("cannot lock {path}: {reason} (the file system may not support locks)").format(path=printable(path), reason=error.strerror)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _holder(fd: int) -> str:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return text if text.isdigit() else _("unknown")


class Workspace:
    """One workspace folder. Paths are properties; nothing is created until `ensure()` or
    `locked()` (which creates the folder itself, to hold the lock file)."""

    def __init__(self, root: Path | str) -> None:
        if not str(root).strip():
            # Path("") would silently mean the current folder.
            raise InputError(_("the workspace folder is empty: give a folder, e.g. --workspace ./mtls-workspace"))
        self.root = Path(root).expanduser().absolute()
        self._prefix = os.path.join(os.fspath(self.root), "")  # the root with one trailing separator
        self._last_backup = ("", 1)  # (stamp, suffix) of the last backup folder named
        self._new_notices: list[str] = []  # what making this workspace has to tell (create_root)

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    # -- the tutorial's file names -------------------------------------------------
    def folder(self, role: str) -> Path:
        return self.root / role

    def key(self, role: str) -> Path:
        return self.folder(role) / f"{role}.key"

    def csr(self, role: str) -> Path:
        return self.folder(role) / f"{role}.csr"

    def cert(self, role: str) -> Path:
        return self.folder(role) / f"{role}.crt"

    @property
    def p12(self) -> Path:
        return self.folder("client") / "client.p12"

    @property
    def elb_dir(self) -> Path:
        return self.root / "elb"

    def artifacts(self, role: str) -> list[Path]:
        files = [self.key(role), self.csr(role), self.cert(role)]
        return files + [self.p12] if role == "client" else files

    def all_artifacts(self) -> list[Path]:
        return [path for role in ROLES for path in self.artifacts(role)]

    def relative(self, path: Path | str) -> str:
        # A string prefix first: status and the client list name thousands of files, and
        # Path.relative_to costs more than the rest of a line (same result: both are lexical).
        text = os.fspath(path) if isinstance(path, Path) else os.fspath(Path(path))
        prefix = self._prefix
        if text.startswith(prefix):
            return text[len(prefix):]
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    # -- the lock -------------------------------------------------------------------
    def locked(self, wait: float = LOCK_WAIT) -> WorkspaceLock:
        """`with ws.locked() as hold:` one writer at a time (re-entrant; see WorkspaceLock)."""
        return WorkspaceLock(self, wait)

    def writer_active(self) -> bool:
        """Whether a run holds the lock right now (so a replacement's journal is in progress, not
        interrupted). Reads only: the lock file is not created."""
        try:
            fd = os.open(self.root / LOCK_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
        return False

    def temp_folders(self) -> list[Path]:
        """Where atomic_write may have left temp files: the root, its role folders, clients/*."""
        return [Path(folder) for folder in self._temp_folders()]

    def _temp_folders(self) -> list[str]:
        # Strings: every locked run looks in each of thousands of client folders.
        folders = [os.fspath(path) for path in (self.root, *(self.folder(r) for r in ROLES), self.elb_dir)]
        try:
            folders += sorted(entry.path for entry in os.scandir(self.root / CLIENTS_FOLDER) if entry.is_dir(follow_symlinks=False))
        except OSError:
            pass  # no clients/ folder (or not one): no client folders
        return folders

    def remove_stale_temp_files(self) -> list[str]:
        """Remove temp files a killed run left (some hold a private key); call with the lock
        held, so no live writer owns them. Returns a notice for the user, if any."""
        removed: list[str] = []
        for folder in self._temp_folders():
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                try:
                    if _TEMP_FILE.match(entry.name) and entry.is_file(follow_symlinks=False) \
                            and entry.stat(follow_symlinks=False).st_uid == os.geteuid():
                        os.unlink(entry.path)
                        removed.append(self.relative(Path(entry.path)))
                except OSError:
                    continue
        if not removed:
            return []
        return [_("removed {count} temp file(s) left by an interrupted run: {files}").format(count=len(removed), files=printable(", ".join(removed)))]

    # -- writing ------------------------------------------------------------------
    def create_root(self) -> None:
        """Create the workspace folder itself, if missing (0700, like every folder we create)."""
        parent = self.root.parent
        while not os.path.lexists(parent) and parent.parent != parent:
            parent = parent.parent
        if not parent.is_dir():
            raise WizardError(_("{path} cannot be made: a file is in the way on its path; choose another workspace").format(path=printable(self.root)))
        make_private_folders(self.root)
        if not any(os.scandir(self.root)) and write_gitignore(self.root):
            self._new_notices = git_notice(self.root)  # passed on by the lock (LockHold.notices)

    def take_new_notices(self) -> list[str]:
        notices, self._new_notices = self._new_notices, []
        return notices

    def ensure(self) -> None:
        """Create the workspace and its role folders (0700). Folders that already exist keep
        their mode: they may be shared on purpose (/tmp, a project or home folder)."""
        self.create_root()
        for folder in (*(self.folder(r) for r in ROLES), self.elb_dir):
            _make_private_folder(folder)

    def exposure_warnings(self) -> list[str]:
        """A warning when other users can read (list) an existing workspace folder; one they
        could write is refused before this (refuse_untrusted)."""
        exposed = []
        for folder in (self.root, *(self.folder(r) for r in ROLES), self.elb_dir):
            try:
                mode = stat.S_IMODE(folder.stat().st_mode)
            except OSError:
                continue
            if mode & 0o044:
                exposed.append(_("{path} (mode {mode:o})").format(path=printable(folder), mode=mode))
        if not exposed:
            return []
        return [_("other users can read {folders}: the keys stay 0600, but others can list the files there; "
                  "use a private folder, or chmod 700 {workspace} if it is only for this").format(folders=", ".join(exposed), workspace=printable(self.root))]

    # -- trust --------------------------------------------------------------------
    def refuse_untrusted(self, *, clients: bool = True) -> None:
        """Refuse (ownership.Untrusted) a workspace that another user could have prepared or
        changed: the folder itself, each entry of it and of its role folders, clients/*/ and
        every private key (see wizard.ownership). A symbolic link anywhere is refused, and so
        is a workspace inside another one. What does not exist yet is fine: we make it, 0700.

        `clients=False` checks clients/ and what it holds but its folders: for a reader that checks
        each of them with `checked_names` just before it reads it (the client survey,
        wizard.clients.survey), so thousands of clients cost one walk, not two, and the first of them
        are read before the last is checked."""
        self.refuse_nested()
        try:
            info = os.lstat(self.root)
        except FileNotFoundError:
            return
        except OSError as error:
            raise WizardError(_describe_os_error(error, self.root)) from None
        if stat.S_ISLNK(info.st_mode):
            ownership.refuse_link(self.root, workspace_itself=True)
        if not stat.S_ISDIR(info.st_mode):
            return  # create_root says what is in the way
        ownership.check_entry(self.root, info)
        self._check_entries(self.root, depth=0, clients=clients)

    def checked_names(self, folder: str) -> dict[str, os.stat_result]:
        """A folder of clients/ (a path) and its entries, each checked as refuse_untrusted checks
        them: their names, each with what lstat said of it."""
        try:
            info = os.lstat(folder)
        except OSError as error:
            raise WizardError(_describe_os_error(error, Path(folder))) from None
        ownership.check_entry(folder, info, secret=folder.endswith(".key"))
        return self._check_entries(folder, depth=2)

    def _check_entries(self, folder: str | Path, depth: int, clients: bool = True) -> dict[str, os.stat_result]:
        """Every entry of `folder` (returned, with its lstat); the role folders' entries too, and
        clients/NAME/'s (unless not `clients`). (Strings, not Paths: a workspace with thousands of
        clients is checked on every run.)"""
        try:
            entries = list(os.scandir(folder))
        except OSError as error:
            raise WizardError(_describe_os_error(error, Path(folder))) from None
        euid = os.geteuid()
        found = {}
        in_clients = depth == 1 and os.path.basename(folder) == CLIENTS_FOLDER
        for entry in entries:
            if depth == 0 and entry.name == LOCK_NAME:
                continue  # checked as it is opened (WorkspaceLock), with its own message
            if in_clients and not clients and entry.is_dir(follow_symlinks=False):
                continue  # a client's folder: checked, itself and what it holds, as it is read (checked_names)
            try:
                info = found[entry.name] = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # gone meanwhile
            secret = entry.name.endswith(".key")
            if info.st_uid != euid or info.st_mode & (0o077 if secret else 0o022) or stat.S_ISLNK(info.st_mode):
                ownership.check_entry(entry.path, info, secret=secret)  # refuses (or allows a private group's bits)
            descend = depth == 0 and entry.name in CHECKED_FOLDERS or in_clients
            if descend and stat.S_ISDIR(info.st_mode):
                self._check_entries(entry.path, depth + 1, clients)
        return found

    def refuse_nested(self) -> None:
        """A workspace inside another workspace's folders (ca/, clients/, a backup, ...) would
        mix its files with that one's: refuse it."""
        for folder in (self.root, *self.root.parents):
            inside = folder.name in CHECKED_FOLDERS or folder.name.startswith("backup-")
            if inside and _looks_like_workspace(folder.parent):
                raise InputError(_("{path} is inside {folder}/ of the workspace {workspace}: a workspace within another one would mix "
                                   "their files; choose a folder outside it").format(
                    path=printable(self.root), folder=folder.name, workspace=printable(folder.parent)))

    def refuse_existing(self, paths: Iterable[Path], hint: str) -> None:
        """Stop, naming the first file that exists: keys and certificates are never replaced silently.
        `hint` (what to do instead) is translated by the caller."""
        present = [p for p in paths if p.exists()]
        if len(present) == 1:
            raise WizardError(_("{file} already exists in {workspace}: {hint}").format(
                file=self.relative(present[0]), workspace=printable(self.root), hint=hint))
        if present:
            raise WizardError(_("{file} (and {count} more) already exists in {workspace}: {hint}").format(
                file=self.relative(present[0]), count=len(present) - 1, workspace=printable(self.root), hint=hint))

    def new_backup_folder(self, now: dt.datetime | None = None) -> Path:
        """A backup-<timestamp>[-N]/ folder name not taken yet (made when a file first moves in).
        Linear over a batch: the next probe starts where the last one stopped, not at 1."""
        stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        last_stamp, suffix = self._last_backup
        suffix = suffix if last_stamp == stamp else 1
        while os.path.lexists(self.root / (f"backup-{stamp}" if suffix == 1 else f"backup-{stamp}-{suffix}")):
            suffix += 1
        self._last_backup = (stamp, suffix)
        return self.root / (f"backup-{stamp}" if suffix == 1 else f"backup-{stamp}-{suffix}")

    def replace_files(self, label: str, files: Mapping[Path, tuple[bytes, int]], *, remove: Iterable[Path] = (),
                      backup: bool | Path = True, now: dt.datetime | None = None) -> Path | None:
        """Put `files` (path -> (bytes, mode)) in place as one set, all or nothing even if the run is
        killed (wizard.replacement); the old files, and those in `remove`, move to a backup folder
        (`backup`: that folder, shared by a batch; False: the old files are replaced, not kept).
        `label` names the replacement as a command ("renew server"). Returns the backup folder
        when an old file went there."""
        remove = list(remove)
        if not files and not any(os.path.lexists(path) for path in remove):
            return None
        with self.locked():
            folder = backup if isinstance(backup, Path) else self.new_backup_folder(now) if backup else None
            moved = replacement.replace_files(self.root, label, {self._inside(path): content for path, content in files.items()},
                                              [self._inside(path) for path in remove], folder.name if folder else None)
        return folder if moved else None

    def _inside(self, path: Path) -> str:
        relative = Path(path).relative_to(self.root)  # ValueError: a bug, never a user's input
        return relative.as_posix()

    def backup(self, paths: Iterable[Path], now: dt.datetime | None = None) -> Path | None:
        """Move existing files into backup-<timestamp>/ (same relative paths), as one set; return that folder."""
        return self.replace_files("backup", {}, remove=[p for p in paths if os.path.lexists(p)], now=now)

    def ca_records(self) -> list[Path]:
        """The CA's records beside its key and certificate (CA_RECORDS): they go with the CA it replaces."""
        return [self.folder("ca") / name for name in CA_RECORDS]

    def write_files(self, files: Mapping[Path, tuple[bytes, int]]) -> None:
        """Write each file atomically with its mode (after `ensure`)."""
        for path, (data, mode) in files.items():
            atomic_write(path, data, mode)
