"""The client list: every client of the workspace with its expiry and state."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from wizard import pki
from wizard.clients.names import client_files, known_clients
from wizard.clients.revocation import revoked_serials, serial_text
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.workspace import Workspace, read_bytes

EXPIRING_DAYS = 30
STATES = ("valid", "expiring", "expired", "revoked")


@dataclass(frozen=True)
class ClientInfo:
    name: str
    common_name: str
    serial: str
    fingerprint_sha256: str
    not_after: str
    days_left: int
    state: str  # one of STATES

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def list_clients(ws: Workspace, now: dt.datetime | None = None, problems: list[str] | None = None) -> list[ClientInfo]:
    """Every readable client certificate; why any other one was left out goes to `problems`.

    A workspace another user could have changed, or a revocation record that cannot be
    trusted, leaves every client out (never a revoked one shown as valid): with `problems`
    that is the one problem reported, without it the WizardError is raised."""
    now = now or pki.utc_now()
    try:
        ws.refuse_untrusted()
        revoked = revoked_serials(ws)
    except WizardError as error:
        if problems is None:
            raise
        problems.append(str(error))
        return []
    infos = []
    for files in known_clients(ws):
        try:
            cert = pki.load_cert_pem(read_bytes(files.cert), _("certificate of {name}").format(name=files.name))
        except (OSError, InputError) as error:
            if problems is not None:
                problems.append(_("{file} left out: {reason}").format(file=ws.relative(files.cert), reason=getattr(error, "strerror", None) or error))
            continue
        serial = serial_text(cert.serial_number)
        days_left = (cert.not_valid_after_utc - now) // dt.timedelta(days=1)
        infos.append(ClientInfo(
            name=files.name, common_name=pki.cn_of(cert.subject) or "", serial=serial,
            fingerprint_sha256=pki.fingerprint(cert), not_after=cert.not_valid_after_utc.isoformat(),
            days_left=int(days_left), state=state_of(serial in revoked, cert.not_valid_after_utc - now),
        ))
    return infos


def client_info(ws: Workspace, name: str, now: dt.datetime | None = None) -> ClientInfo:
    """One client's state, by its name (`client list` shows the names)."""
    files = client_files(ws, name)
    if not files.cert.exists():
        raise WizardError(_("there is no client {name} in {folder}: see `client list` for the names").format(name=repr(name), folder=ws.root))
    problems: list[str] = []
    for info in list_clients(ws, now, problems):
        if info.name == name:
            return info
    raise WizardError(problems[0] if problems else _("the certificate of {name} cannot be read").format(name=name))


def state_of(revoked: bool, left: dt.timedelta) -> str:
    if revoked:
        return "revoked"
    if left <= dt.timedelta(0):
        return "expired"
    if left <= dt.timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return "valid"
