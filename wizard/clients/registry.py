"""The client list: every client of the workspace with its expiry and state (valid, expiring,
expired, revoked, or broken / old-ca: see wizard.sets)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from cryptography import x509

from wizard import pki
from wizard.clients.names import client_files
from wizard.clients.revocation_record import revoked_serials
from wizard.clients.survey import SurveyedClient, survey_clients
from wizard.elb.headers import serial_header_value as serial_text
from wizard.errors import WizardError
from wizard.i18n import N_, _
from wizard.ownership import Untrusted
from wizard.sets import BROKEN, OLD_CA, workspace_ca
from wizard.workspace import Workspace

EXPIRING_DAYS = 30
_DAY = dt.timedelta(days=1)
# broken: a piece of its set is missing or unreadable, or its key is not its certificate's;
# old-ca: issued by a CA the workspace replaced since (no listener holding the new CA lets it in).
STATES = ("valid", "expiring", "expired", "revoked", BROKEN, OLD_CA)
# Each state as a person reads it (both faces show these; --json keeps the English word).
STATE_WORDS = {"valid": N_("valid"), "expiring": N_("expiring"), "expired": N_("expired"), "revoked": N_("revoked"),
               BROKEN: N_("broken"), OLD_CA: N_("old-ca")}


@dataclass(frozen=True)
class ClientInfo:
    name: str
    serial: str
    not_after: str
    days_left: int
    state: str  # one of STATES
    # Its certificate (None when unreadable): the common name and fingerprint are read off it only
    # when asked for (--json), not for each of thousands of rows on the page or in the table.
    cert: x509.Certificate | None = field(default=None, compare=False, repr=False)

    @property
    def common_name(self) -> str:
        return (pki.cn_of(self.cert.subject) or "") if self.cert is not None else ""

    @property
    def fingerprint_sha256(self) -> str:
        return pki.fingerprint(self.cert) if self.cert is not None else ""

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "common_name": self.common_name, "serial": self.serial, "fingerprint_sha256": self.fingerprint_sha256,
                "not_after": self.not_after, "days_left": self.days_left, "state": self.state}


def list_clients(ws: Workspace, now: dt.datetime | None = None, problems: list[str] | None = None, *, strict: bool = False) -> list[ClientInfo]:
    """Every client of the workspace, a broken one (a piece missing or unreadable, a key that is
    not its certificate's) and one issued by a replaced CA (`old-ca`) included; why each broken one
    is broken goes to `problems`.

    A workspace another user could have changed, or a revocation record that cannot be
    trusted, leaves every client out (never a revoked one shown as valid): with `problems`
    that is the one problem reported, without it (or `strict`) the WizardError is raised."""
    listed: list[ClientInfo] = []
    for batch in client_batches(ws, now, problems, strict=strict):
        listed = [] if batch is None else listed + batch
    return listed


def client_batches(ws: Workspace, now: dt.datetime | None = None, problems: list[str] | None = None, *, strict: bool = False,
                   first: int = 0, size: int = 0, names: list[str] | None = None) -> Iterator[list[ClientInfo] | None]:
    """list_clients in batches as they are read: the first `first` clients, then `size` at a time
    (one batch when `first` is 0), or only `names` (the Clients page shows the first rows while
    the others are read). A refusal met on the way (a client folder another user could have
    changed) ends it with that one problem and None: what came before is to be dropped."""
    now = now or pki.utc_now()
    try:
        ws.refuse_untrusted(clients=False)  # each client's folder is checked as it is read (wizard.clients.survey)
        revoked = revoked_serials(ws)
    except WizardError as error:
        if problems is None or strict:
            raise
        problems.append(str(error))
        return
    ca_cert, batch = workspace_ca(ws), []
    try:
        for client in survey_clients(ws, ca_cert, names):
            batch.append(_info(client, revoked, now, problems))
            if len(batch) == first:
                yield batch
                batch, first = [], size or first
    except Untrusted as error:
        if problems is None or strict:
            raise
        problems[:] = [str(error)]
        yield None
        return
    yield batch


def _info(client: SurveyedClient, revoked: set[str], now: dt.datetime, problems: list[str] | None) -> ClientInfo:
    checked, cert = client.checked, client.checked.cert
    if cert is None:
        info = ClientInfo(client.name, "", "", 0, BROKEN)
    else:
        serial = serial_text(cert.serial_number)
        not_after = cert.not_valid_after_utc
        state = "revoked" if serial in revoked else checked.state or state_of(False, not_after - now)
        info = ClientInfo(name=client.name, serial=serial, not_after=not_after.isoformat(), days_left=int((not_after - now) // _DAY),
                          state=state, cert=cert)
    if info.state == BROKEN and problems is not None:  # (a revoked client's files no longer matter)
        problems.append(_("{name} is broken: {reason}").format(name=client.name, reason=checked.why))
    return info


def client_info(ws: Workspace, name: str, now: dt.datetime | None = None) -> ClientInfo:
    """One client's state, by its name (`client list` shows the names): its folder alone is read."""
    files = client_files(ws, name)
    if not files.cert.exists():
        raise WizardError(_("there is no client {name} in {folder}: see `client list` for the names").format(name=repr(name), folder=ws.root))
    problems: list[str] = []
    for batch in client_batches(ws, now, problems, names=[name]):
        for info in batch or []:
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
