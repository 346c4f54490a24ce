"""The session state shared by every step, and its versioned JSON persistence.

One session per workspace, stored under the user data dir (platformdirs), with a
pointer to the last one so the wizard can resume. It never holds a private key or a
password: only answers, file paths, fingerprints and ids.

The session file keeps what one person answered. How far the workspace has come (the steps
done, the ids of steps 4-6, the listener's address, the last verdict) is written into the
workspace (wizard.workspace_progress), and the uploads are read from elb/uploaded.json: a
`Session` in memory holds all of it, and a store reads and writes each part where it lives.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard import defaults, workspace_progress
from wizard.own_files import SessionFileError, read_own_file
from wizard.environment import DATA_DIR_ENV
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.safe_text import printable
from wizard.workspace import atomic_write, make_private_folders

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
        """The session file's content: the answers (what the workspace holds is left out)."""
        data = {f.name: copy.deepcopy(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name not in NOT_IN_SESSION_FILE}
        _refuse_secrets(data)
        return {"version": SESSION_VERSION, "session": data}

    def workspace_part(self) -> dict[str, Any]:
        """What the workspace keeps of this session (wizard.workspace_progress), checked for secrets."""
        data = workspace_progress.progress_data(self)
        _refuse_secrets(data)
        return data

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


def _refuse_secrets(data: dict[str, Any]) -> None:
    # A belt-and-braces guard: the dataclass has no such field, and nested dicts must not grow one.
    for key, value in data.items():
        if any(word == key.lower() or key.lower().endswith("_" + word) for word in SECRET_WORDS):
            raise ValueError(f"refusing to store a secret-looking field {key!r} in the session")
        if isinstance(value, dict):
            _refuse_secrets(value)


# Kept in the workspace (progress.json) or read from it (elb/uploaded.json), not in the session file;
# an older session file that still holds them is read once (and its content moved there).
NOT_IN_SESSION_FILE = (*workspace_progress.WORKSPACE_FIELDS, "last_verdict", "uploaded")


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_SESSION_FILE = re.compile(r"^[0-9a-f]{16}\.json$")


@dataclass(frozen=True)
class SessionSnapshot:
    """A session serialised: what the writer thread puts on disk (the session file, and what the
    workspace keeps: `progress` for progress.json, `uploads` an older session still held)."""

    path: Path
    data: bytes
    workspace: str = ""
    progress: bytes | None = None
    uploads: dict[str, dict[str, str]] = field(default_factory=dict)


class SessionStore:
    """Session files under the data dir: sessions/<hash-of-workspace>.json, plus last-session."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_dir()
        self.notices: list[str] = []  # what could not be read (a progress file another user could write), for the faces to say

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
        progress = workspace_progress.encoded(session.workspace_part())
        _refuse_secrets({"uploaded": session.uploaded})  # an older session's copy may move into elb/uploaded.json
        return SessionSnapshot(self.path_for(session.workspace), text.encode(), session.workspace, progress, copy.deepcopy(session.uploaded))

    def _make_folders(self) -> None:
        """sessions/ and every missing folder above it (the data folder, a missing
        $XDG_DATA_HOME), 0700 whatever the umask (under umask 000 a plain mkdir would leave them
        0777, and another user could swap the last-session pointer). A folder that already exists
        keeps its mode: files in it are checked when they are read."""
        try:
            make_private_folders(self.sessions_dir)
        except WizardError as error:
            raise WizardError(_("cannot create the session folder {path}: {reason}").format(path=printable(self.sessions_dir), reason=error)) from None

    def write(self, snapshot: SessionSnapshot) -> Path:
        """Write a snapshot (and the last-session pointer) atomically; blocking (fsync)."""
        self._make_folders()
        atomic_write(snapshot.path, snapshot.data, PRIVATE_FILE_MODE)
        atomic_write(self.pointer, (str(snapshot.path) + "\n").encode(), PRIVATE_FILE_MODE)
        if snapshot.progress is not None and snapshot.workspace:
            workspace_progress.write(snapshot.workspace, snapshot.progress, snapshot.uploads)
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
            session = Session.from_dict(payload)
        except (ValueError, TypeError, SessionFileError) as error:
            reason = str(error) if isinstance(error, SessionFileError) else _("it is not valid JSON")
            aside = self._set_aside(path)
            if aside != path:
                message = _("the session file {path} could not be used ({reason}); it was kept as {aside} and a new session starts")
            else:
                message = _("the session file {path} could not be used ({reason}); it was left in place and a new session starts")
            raise SessionFileError(message.format(path=path, reason=reason, aside=aside.name)) from None
        return self.with_workspace(session)

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

    def with_workspace(self, session: Session) -> Session:
        """`session` with what its workspace holds: the progress of progress.json (when there is one:
        it wins over what an older session file held) and the uploads of elb/uploaded.json."""
        held = session.uploaded
        try:
            progress = workspace_progress.read(session.workspace)
        except WizardError as error:
            self.notices.append(str(error))
            progress = None
        if progress is not None:
            workspace_progress.apply(session, progress)
        session.uploaded = {**held, **workspace_progress.uploads_of(session.workspace)}
        return session

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
        return session or self.with_workspace(Session(workspace=str(Path(workspace).expanduser().absolute())))


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
