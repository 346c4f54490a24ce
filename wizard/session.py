"""The session state shared by every step, and its versioned JSON persistence.

One session per workspace, stored under the user data dir (platformdirs), with a
pointer to the last one so the wizard can resume. It never holds a private key or a
password: only answers, file paths, fingerprints and ids.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import hashlib
import json
import os
import re
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard import defaults
from wizard.environment import DATA_DIR_ENV
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.safe_text import printable
from wizard.workspace import MAX_FILE_BYTES, atomic_write, file_kind, read_up_to

SESSION_VERSION = 1
APP_NAME = "mtls-wizard"
STEPS = (1, 2, 3, 4, 5, 6, 7)
# Never accepted into a session file, whatever a caller puts in `extra`.
SECRET_WORDS = ("password", "private_key", "secret", "passphrase", "sk")


def data_dir() -> Path:
    """Where sessions live: $MTLS_WIZARD_DATA_DIR, else the platform's user data dir."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def default_workspace() -> Path:
    """The suggested workspace for a new session: ./mtls-workspace."""
    return Path.cwd() / "mtls-workspace"


@dataclass
class Session:
    workspace: str
    # step 1
    org: str = defaults.DEFAULT_ORG
    ca_cn: str = ""
    ca_key_type: str = defaults.DEFAULT_KEY_TYPE
    ca_days: int = defaults.CA_DAYS
    # step 2
    server_cn: str = defaults.DEFAULT_SERVER_CN
    server_sans: list[str] = field(default_factory=list)
    server_key_type: str = defaults.DEFAULT_KEY_TYPE
    server_days: int = defaults.SERVER_DAYS
    # step 3
    client_cn: str = defaults.DEFAULT_CLIENT_CN
    client_key_type: str = defaults.DEFAULT_KEY_TYPE
    client_days: int = defaults.CLIENT_DAYS
    p12_legacy: bool = False
    # what exists: role -> {"subject", "fingerprint", "not_after"}
    certificates: dict[str, dict[str, str]] = field(default_factory=dict)
    # steps 4-6: the load balancer
    server_cert_id: str = ""
    ca_cert_id: str = ""
    loadbalancer_id: str = ""
    listener_id: str = ""
    tls_policy: str = "tls-1-2-strict"
    uploaded: dict[str, dict[str, str]] = field(default_factory=dict)
    lb_type: str = ""  # "" unknown, "shared" or "dedicated" (an upload's pre-flight finds out)
    pool_id: str = ""  # the listener's backend server group ("" none)
    forward_client_cert: list[str] = field(default_factory=list)  # "NAME" or "NAME=alias" (wizard.elb.headers)
    security_policy_id: str = ""  # a custom TLS policy (dedicated load balancers only)
    sni_domain: str = ""  # the server certificate's `domain`: "" left out, "auto", or names
    # the route: "" or "elb" (Huawei Cloud ELB), "practice" (the practice load balancer on this machine)
    route: str = ""
    # steps 4-6 on the practice route: the practice load balancer's records (role -> record, as in
    # elb/uploaded.json under "practice") and its listener's own choices (the TLS policy and the
    # client-certificate headers are the fields above, shared with ELB's step 6)
    practice: dict[str, dict[str, str]] = field(default_factory=dict)
    practice_port: int = 8443
    ssl_auth: str = "mutual"  # "mutual" or "one-way"
    practice_ca: str = "ca"  # "ca" (step 5's) or "other_ca" (another team's, for practising a wrong CA)
    # step 7
    lb_address: str = ""
    lb_port: int = 443
    sni: str = ""
    last_verdict: dict[str, Any] = field(default_factory=dict)
    # progress
    steps_done: list[int] = field(default_factory=list)
    current_step: int = 0  # 0 = welcome, 1-7 the steps, 8 the summary
    updated: str = ""

    # -- progress -------------------------------------------------------------------
    def mark_done(self, step: int) -> None:
        if step not in self.steps_done:
            self.steps_done = sorted([*self.steps_done, step])

    def is_done(self, step: int) -> bool:
        return step in self.steps_done

    def undo_steps(self, steps: tuple[int, ...]) -> None:
        """Mark steps as to do again and forget what they produced (ids, the verdict).

        Used when a new certificate makes earlier uploads, the listener or the verdict stale.
        The upload history (`uploaded`, keyed by fingerprint) stays: it still prevents
        uploading the same certificate twice.
        """
        self.steps_done = [s for s in self.steps_done if s not in steps]
        results = {4: ("server_cert_id",), 5: ("ca_cert_id",), 6: ("listener_id",), 7: ("last_verdict",)}
        for step in steps:
            for name in results.get(step, ()):
                setattr(self, name, type(getattr(self, name))())

    @property
    def practising(self) -> bool:
        """On the practice route: steps 4-6 configure the practice load balancer on this machine."""
        return self.route == "practice"

    # -- JSON ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        _refuse_secrets(data)
        return {"version": SESSION_VERSION, "session": data}

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> Session:
        version = payload.get("version")
        if not isinstance(version, int):
            raise SessionFileError(_("it has no version number"))
        if version > SESSION_VERSION:
            raise SessionFileError(_("it was written by a newer mtls-wizard (format {version}, this one reads {supported})").format(
                version=version, supported=SESSION_VERSION))
        data = payload.get("session")
        if not isinstance(data, dict) or "workspace" not in data:
            raise SessionFileError(_("it has no session data"))
        known = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known:
                continue  # a field an older version had: ignore
            values[name] = value
        session = cls(**values)
        session._check_types()
        return session

    def _check_types(self) -> None:
        defaults = Session(workspace="")
        for f in dataclasses.fields(self):
            value, default = getattr(self, f.name), getattr(defaults, f.name)
            if isinstance(default, bool) != isinstance(value, bool) or not isinstance(value, type(default)):
                raise SessionFileError(_("the field {field!r} has the wrong type").format(field=f.name))


class SessionFileError(WizardError):
    """A session file that cannot be used (corrupted, or from a newer version)."""


def _refuse_secrets(data: dict[str, Any]) -> None:
    # A belt-and-braces guard: the dataclass has no such field, and nested dicts must not grow one.
    for key, value in data.items():
        if any(word == key.lower() or key.lower().endswith("_" + word) for word in SECRET_WORDS):
            raise ValueError(f"refusing to store a secret-looking field {key!r} in the session")
        if isinstance(value, dict):
            _refuse_secrets(value)


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_SESSION_FILE = re.compile(r"^[0-9a-f]{16}\.json$")


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


@dataclass(frozen=True)
class SessionSnapshot:
    """A session serialised for one file: what the writer thread puts on disk."""

    path: Path
    data: bytes


class SessionStore:
    """Session files under the data dir: sessions/<hash-of-workspace>.json, plus last-session."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_dir()

    @property
    def sessions_dir(self) -> Path:
        return self.root / "sessions"

    @property
    def pointer(self) -> Path:
        return self.root / "last-session"

    def path_for(self, workspace: str | Path) -> Path:
        resolved = str(Path(workspace).expanduser().absolute())
        digest = hashlib.sha256(resolved.encode()).hexdigest()[:16]
        return self.sessions_dir / f"{digest}.json"

    def snapshot(self, session: Session) -> SessionSnapshot:
        """The session as it will be written (cheap: the caller's thread, no disk access)."""
        session.updated = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        text = json.dumps(session.to_dict(), indent=2, sort_keys=True) + "\n"
        return SessionSnapshot(self.path_for(session.workspace), text.encode())

    def _make_folders(self) -> None:
        """The data folder and sessions/, 0700 whatever the umask (under umask 000 a plain mkdir
        would leave them 0777, and another user could swap the last-session pointer). A folder
        that already exists keeps its mode: files in it are checked when they are read."""
        try:
            self.root.parent.mkdir(parents=True, exist_ok=True)
            for folder in (self.root, self.sessions_dir):
                try:
                    folder.mkdir(mode=PRIVATE_DIR_MODE)
                except FileExistsError:
                    continue
                os.chmod(folder, PRIVATE_DIR_MODE)
        except OSError as error:
            raise WizardError(_("cannot create the session folder {path}: {reason}").format(path=printable(self.sessions_dir), reason=error.strerror)) from None

    def write(self, snapshot: SessionSnapshot) -> Path:
        """Write a snapshot (and the last-session pointer) atomically; blocking (fsync)."""
        self._make_folders()
        atomic_write(snapshot.path, snapshot.data, PRIVATE_FILE_MODE)
        atomic_write(self.pointer, (str(snapshot.path) + "\n").encode(), PRIVATE_FILE_MODE)
        return snapshot.path

    def save(self, session: Session) -> Path:
        return self.write(self.snapshot(session))

    def load_file(self, path: Path) -> Session:
        """Read one session file; a bad one is set aside (renamed) and reported, never deleted.
        One that another user owns or could have written is ignored (and left alone)."""
        raw = read_own_file(path, _("session file"), _("a new session starts"))
        try:
            payload = json.loads(raw.decode("utf-8"))
            if not isinstance(payload, dict):
                raise SessionFileError(_("it is not a JSON object"))
            return Session.from_dict(payload)
        except (ValueError, TypeError, SessionFileError) as error:
            reason = str(error) if isinstance(error, SessionFileError) else _("it is not valid JSON")
            aside = self._set_aside(path)
            if aside != path:
                message = _("the session file {path} could not be used ({reason}); it was kept as {aside} and a new session starts")
            else:
                message = _("the session file {path} could not be used ({reason}); it was left in place and a new session starts")
            raise SessionFileError(message.format(path=path, reason=reason, aside=aside.name)) from None

    def _set_aside(self, path: Path) -> Path:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.name}.unreadable-{stamp}")
        suffix = 1
        while aside.exists():  # never replace an earlier set-aside file
            suffix += 1
            aside = path.with_name(f"{path.name}.unreadable-{stamp}-{suffix}")
        try:
            os.replace(path, aside)
        except OSError:
            return path
        return aside

    def load(self, workspace: str | Path) -> Session | None:
        """The session of this workspace, or None when there is none yet."""
        try:
            return self.load_file(self.path_for(workspace))
        except FileNotFoundError:
            return None

    def last(self) -> Session | None:
        """The most recently saved session, for 'resume'. A pointer that another user could
        have written, or that points outside sessions/, is ignored with a SessionFileError."""
        try:
            raw = read_own_file(self.pointer, _("last-session pointer"), _("no session is resumed"))
        except FileNotFoundError:
            return None
        target = Path(raw.decode("utf-8", "replace").strip())
        if target.parent != self.sessions_dir or not _SESSION_FILE.match(target.name):
            raise SessionFileError(_("the last-session pointer {path} points outside {folder}; it was ignored and no session is resumed").format(
                path=printable(self.pointer), folder=printable(self.sessions_dir)))
        try:
            return self.load_file(target)
        except FileNotFoundError:
            return None

    def open(self, workspace: str | Path) -> Session:
        """The workspace's session, or a fresh one. Raises SessionFileError after setting a bad file aside."""
        session = self.load(workspace)
        return session or Session(workspace=str(Path(workspace).expanduser().absolute()))


class SessionWriter:
    """Writes session snapshots in a background thread, so the UI never waits for fsync.

    The newest snapshot per file wins (older pending ones are dropped); `flush` waits until
    everything submitted is on disk. `on_error` is called from the writer thread.
    """

    def __init__(self, store: SessionStore, on_error: Callable[[str], None]) -> None:
        self.store = store
        self.on_error = on_error
        self._pending: dict[Path, SessionSnapshot] = {}
        self._writing = False
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, session: Session) -> None:
        snapshot = self.store.snapshot(session)
        with self._condition:
            self._pending[snapshot.path] = snapshot
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mtls-wizard-session-writer", daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted snapshot is written; False if that took over `timeout`."""
        with self._condition:
            return self._condition.wait_for(lambda: not self._pending and not self._writing, timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: bool(self._pending))
                _path, snapshot = self._pending.popitem()
                self._writing = True
            try:
                self.store.write(snapshot)
            except (WizardError, OSError) as error:
                self.on_error(_("the session could not be saved: {error}").format(error=error))
            finally:
                with self._condition:
                    self._writing = False
                    self._condition.notify_all()
