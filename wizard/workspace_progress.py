"""How far a workspace has come, kept in the workspace itself: WORKSPACE/progress.json.

The session under the user data directory holds what one person answered (names, key types,
the listener's options); everything that counts progress and shows the last verdict belongs
to the workspace, so a workspace copied to another machine or account, or finished through
the console, resumes at the same step with the same verdict:

- the steps done, and the certificates they were done for (subject, fingerprint, expiry);
- the ids of steps 4-6 (typed from the console, or what an upload recorded);
- where the listener is (its address, port and name: steps 6 and 7);
- the last verdict of step 7 with its time, as data (wizard.handshake.saved): shown in
  whatever language is current.

What ELB holds stays in elb/uploaded.json, written by `elb upload` and `rotate` the moment an id
exists: that file is the one record of uploads, read into the session, never copied into it.

The file is 0600, written atomically under the workspace lock, only when what it holds
changes; it holds no key, password or passphrase. One that another user could have written
is ignored (with a notice), as a session file would be.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.defaults import PROG
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.own_files import SessionFileError, read_own_file
from wizard.safe_text import printable
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, Workspace, atomic_write, make_private_folders, read_limited

if TYPE_CHECKING:
    from wizard.session import Session

PROGRESS_FILE = "progress.json"
UPLOADED_FILE = "uploaded.json"  # in elb/: the record of uploads (wizard.elb.records)
PROGRESS_VERSION = 1
# The session's fields that the workspace holds (the session file keeps the others), with their
# defaults (the Session's own: a test keeps them equal).
WORKSPACE_DEFAULTS: dict[str, Any] = {
    "steps_done": [], "certificates": {}, "server_cert_id": "", "ca_cert_id": "", "listener_id": "",
    "lb_address": "", "lb_port": 443, "sni": "",
}
WORKSPACE_FIELDS = tuple(WORKSPACE_DEFAULTS)
_NOTE = "how far this workspace has come, for every copy of it (written by mtls-wizard; no key, password or passphrase)"


def progress_path(root: Path | str) -> Path:
    return Path(root) / PROGRESS_FILE


def progress_data(session: Session) -> dict[str, Any]:
    """What the workspace keeps of `session`: the progress and the last verdict (as data)."""
    data: dict[str, Any] = {"version": PROGRESS_VERSION, "note": _NOTE}
    data.update({name: getattr(session, name) for name in WORKSPACE_FIELDS})
    data["last_verdict"] = _saved_verdict(session.last_verdict)
    return data


def _saved_verdict(shown: dict[str, Any]) -> dict[str, Any] | None:
    """The verdict as data; one told before verdicts were kept as data is kept as it was told."""
    if not shown:
        return None
    saved = shown.get("saved")
    if isinstance(saved, dict):
        return saved
    return {"version": 0, "status": shown.get("status", ""), "passed": bool(shown.get("passed")),
            "address": shown.get("address", ""), "checked_at": shown.get("checked_at", ""), "shown": shown}


def is_empty(data: dict[str, Any]) -> bool:
    """Nothing done yet: no file is made for it."""
    return not (data.get("steps_done") or data.get("certificates") or data.get("last_verdict") or data.get("lb_address")
                or data.get("server_cert_id") or data.get("ca_cert_id") or data.get("listener_id"))


def encoded(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def apply(session: Session, data: dict[str, Any]) -> None:
    """Put what the workspace keeps into `session` (the verdict shown in the current language)."""
    from wizard.handshake.saved import shown_verdict  # the diagnosis, only when there is a verdict to show

    for name in WORKSPACE_FIELDS:
        setattr(session, name, data[name])
    verdict = data.get("last_verdict")
    session.last_verdict = shown_verdict(verdict) if verdict else {}


def checked(data: object, path: Path) -> dict[str, Any]:
    """The file's content, with the types the session has; WizardError naming what is wrong."""
    if not isinstance(data, dict):
        raise WizardError(_("{path} is not a JSON object").format(path=printable(path)))
    version = data.get("version")
    if not isinstance(version, int) or version > PROGRESS_VERSION:
        raise WizardError(_("{path} has no version this mtls-wizard reads").format(path=printable(path)))
    for name, default in WORKSPACE_DEFAULTS.items():
        value = data.get(name, default)
        if isinstance(default, bool) != isinstance(value, bool) or not isinstance(value, type(default)):
            raise WizardError(_("the field {field!r} of {path} has the wrong type").format(field=name, path=printable(path)))
        data[name] = value
    if not all(isinstance(step, int) and 1 <= step <= 7 for step in data["steps_done"]):
        raise WizardError(_("the field {field!r} of {path} has the wrong type").format(field="steps_done", path=printable(path)))
    if data.get("last_verdict") is not None and not isinstance(data["last_verdict"], dict):
        raise WizardError(_("the field {field!r} of {path} has the wrong type").format(field="last_verdict", path=printable(path)))
    return data


def read(root: Path | str) -> dict[str, Any] | None:
    """The workspace's progress, None when it has none yet. WizardError (SessionFileError) when the
    file cannot be used: another user's, writable by others, too large, or not what we write."""
    path = progress_path(root)
    consequence = _("the progress is taken from the session and the files instead")
    try:
        raw = read_own_file(path, _("progress file"), consequence)
    except FileNotFoundError:
        return None
    try:
        return checked(json.loads(raw.decode("utf-8")), path)
    except (ValueError, WizardError) as error:
        reason = str(error) if isinstance(error, WizardError) else _("it is not valid JSON")
        raise SessionFileError(_("the progress file {path} could not be used ({reason}); {consequence}").format(
            path=printable(path), reason=reason, consequence=consequence)) from None


def write(root: Path | str, data: bytes, uploads: dict[str, dict[str, str]]) -> None:
    """Write the progress into the workspace when it changed (under the lock, 0600); uploads an
    older session held that elb/uploaded.json lacks go there. A workspace that does not exist
    (yet) gets nothing: nothing is done in it."""
    ws = Workspace(root)
    path = progress_path(ws.root)
    if not ws.root.is_dir():
        return
    try:
        current = path.read_bytes() if path.exists() else None
    except OSError:
        current = b""
    missing = _uploads_missing(ws, uploads)
    if current == data and not missing:
        return
    if current is None and is_empty(json.loads(data)) and not missing:
        return
    with ws.locked():
        atomic_write(path, data, SECRET_MODE)
        if missing:
            keep_uploads(ws, missing)


def _uploads_missing(ws: Workspace, uploads: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The upload records a session holds that elb/uploaded.json does not (a session of an older
    version kept a copy of them): they move into the file, the one record of uploads from now on."""
    if not uploads:
        return {}
    recorded = uploads_of(ws.root)
    return {role: dict(entry) for role, entry in uploads.items() if isinstance(entry, dict) and entry.get("id") and role not in recorded}


# ---------------------------------------------------------------------------
# elb/uploaded.json: what ELB holds (written by `elb upload` and `rotate`, wizard.elb.records)
# ---------------------------------------------------------------------------


def read_uploads(ws: Workspace) -> dict[str, Any]:
    """elb/uploaded.json as it is ({} when there is none or it cannot be read)."""
    try:
        data = json.loads(read_limited(ws.elb_dir / UPLOADED_FILE).decode("utf-8"))
    except (OSError, ValueError, WizardError):
        return {}
    return data if isinstance(data, dict) else {}


def uploads_of(root: Path | str) -> dict[str, dict[str, str]]:
    """elb/uploaded.json's records by role: what the session shows of the uploads."""
    found = read_uploads(Workspace(root))
    return {str(role): {str(k): str(v) for k, v in entry.items()} for role, entry in found.items()
            if isinstance(entry, dict) and entry.get("id")}


def keep_uploads(ws: Workspace, changed: dict[str, dict[str, str]]) -> None:
    """Write these records into elb/uploaded.json, merged with what it holds (call under the lock)."""
    records = {role: entry for role, entry in read_uploads(ws).items() if isinstance(entry, dict)}
    records.update(changed)
    data = {"version": 1, "note": f"ids returned by the ELB API; written by {PROG} elb upload", **records}
    make_private_folders(ws.elb_dir)
    atomic_write(ws.elb_dir / UPLOADED_FILE, (json.dumps(data, indent=2) + "\n").encode(), PUBLIC_MODE)
