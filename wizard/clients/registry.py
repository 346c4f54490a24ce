"""The client list: every client of the workspace with its expiry and state (valid, expiring,
expired, revoked, or broken / old-ca: see wizard.sets)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from wizard import pki
from wizard.clients.names import client_files, present_clients
from wizard.clients.revocation import revoked_serials, serial_text
from wizard.errors import WizardError
from wizard.i18n import N_, _
from wizard.sets import BROKEN, OLD_CA, Checked, LeafSet, check_leaf, workspace_ca
from wizard.workspace import Workspace

EXPIRING_DAYS = 30
# broken: a piece of its set is missing or unreadable, or its key is not its certificate's;
# old-ca: issued by a CA the workspace replaced since (no listener holding the new CA lets it in).
STATES = ("valid", "expiring", "expired", "revoked", BROKEN, OLD_CA)
# Each state as a person reads it (both faces show these; --json keeps the English word).
STATE_WORDS = {"valid": N_("valid"), "expiring": N_("expiring"), "expired": N_("expired"), "revoked": N_("revoked"),
               BROKEN: N_("broken"), OLD_CA: N_("old-ca")}


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
    """Every client of the workspace, a broken one (a piece missing or unreadable, a key that is
    not its certificate's) and one issued by a replaced CA (`old-ca`) included; why each broken one
    is broken goes to `problems`.

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
    ca_cert = workspace_ca(ws)
    infos = []
    for files in present_clients(ws):
        checked = check_leaf(ws, LeafSet(files.key, files.cert, files.p12), ca_cert)
        info = _info(files.name, checked, revoked, now) if checked.cert else ClientInfo(files.name, "", "", "", "", 0, BROKEN)
        infos.append(info)
        if info.state == BROKEN and problems is not None:  # (a revoked client's files no longer matter)
            problems.append(_("{name} is broken: {reason}").format(name=files.name, reason=checked.why))
    return infos


def _info(name: str, checked: Checked, revoked: set[str], now: dt.datetime) -> ClientInfo:
    cert = checked.cert
    assert cert is not None
    serial = serial_text(cert.serial_number)
    days_left = (cert.not_valid_after_utc - now) // dt.timedelta(days=1)
    state = "revoked" if serial in revoked else checked.state or state_of(False, cert.not_valid_after_utc - now)
    return ClientInfo(name=name, common_name=pki.cn_of(cert.subject) or "", serial=serial, fingerprint_sha256=pki.fingerprint(cert),
                      not_after=cert.not_valid_after_utc.isoformat(), days_left=int(days_left), state=state)


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
