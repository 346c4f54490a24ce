"""Expiry status of everything the workspace made, and of what the load balancer holds.

One row per certificate: the CA, the server certificate, the tutorial's client, every named
client, and the certificates recorded as uploaded to ELB (elb/uploaded.json). Meant for a
person and for cron: `warnings` is what expires within the threshold (or already has), and
`findings` what is broken (wizard.lifecycle.integrity), each with the command that mends it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, replace

from wizard import pki
from wizard.clients.survey import survey
from wizard.elb.headers import serial_header_value as serial_text
from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _
from wizard.lifecycle.integrity import Finding, findings
from wizard.workspace import Workspace, read_bytes, read_limited

WARN_DAYS = 30
# one message per role: the role's name is part of the sentence, not a word glued in
NO_READABLE_EXPIRY = {
    "ca": N_("the ca certificate {id} on ELB has no readable expiry ({expire_time})"),
    "server": N_("the server certificate {id} on ELB has no readable expiry ({expire_time})"),
}


@dataclass(frozen=True)
class StatusRow:
    role: str  # "ca", "server", "client"
    name: str  # the file's role name, a client's name, or the ELB certificate's name
    not_after: str  # ISO 8601, UTC
    days_left: int
    location: str = "workspace"  # or "elb": a certificate the load balancer holds
    detail: str = ""  # the file, or the ELB id
    revoked: bool = False  # a revoked client: its expiry no longer matters

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Status:
    rows: list[StatusRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warn_days: int = WARN_DAYS
    findings: list[Finding] = field(default_factory=list)  # broken sets, an interrupted replacement: exit 1

    @property
    def warnings(self) -> list[StatusRow]:
        """Rows that expire within `warn_days` days, or already have."""
        return [row for row in self.rows if row.days_left <= self.warn_days and not row.revoked]


def workspace_status(ws: Workspace, warn_days: int = WARN_DAYS, now: dt.datetime | None = None) -> Status:
    if warn_days < 0:
        raise InputError(_("--warn-days {warn_days}: give a number of days, 0 or more").format(warn_days=warn_days))
    now = now or pki.utc_now()
    ws.refuse_untrusted(clients=False)  # each client's folder is checked as it is read (wizard.clients.survey)
    clients = survey(ws)  # once, for the table and for the findings
    status = Status(warn_days=warn_days, findings=findings(ws, clients))
    judged = {finding.folder for finding in status.findings}
    for role in ("ca", "server"):
        path = ws.cert(role)
        if not path.exists():
            continue
        try:
            cert = pki.load_cert_pem(read_bytes(path), ws.relative(path))
        except (OSError, InputError) as error:
            if ws.relative(path.parent) + "/" not in judged:  # a finding says it already, with the mending command
                status.problems.append(_("{file} left out: {reason}").format(file=ws.relative(path), reason=getattr(error, "strerror", None) or error))
            continue
        status.rows.append(_row(role, role, cert.not_valid_after_utc, now, "workspace", ws.relative(path)))
    # A damaged revocation record: a finding says so (exit 1), with the way back; no client is shown meanwhile (none as not revoked).
    for client in [] if clients.damaged else clients.clients:
        if not client.has_cert:
            continue
        cert = client.cert
        if cert is None:
            if client.folder not in judged:  # a finding says it already, with the mending command
                status.problems.append(_("{file} left out: {reason}").format(file=client.cert_file, reason=client.cert_error))
            continue
        row = _row("client", client.name, cert.not_valid_after_utc, now, "workspace", client.cert_file)
        status.rows.append(replace(row, revoked=True) if serial_text(cert.serial_number) in clients.revoked else row)
    status.rows += _uploaded(ws, now, status.problems)
    return status


def _row(role: str, name: str, not_after: dt.datetime, now: dt.datetime, location: str, detail: str) -> StatusRow:
    return StatusRow(role, name, not_after.isoformat(), (not_after - now) // dt.timedelta(days=1), location, detail)


def _uploaded(ws: Workspace, now: dt.datetime, problems: list[str]) -> list[StatusRow]:
    """The certificates elb/uploaded.json says ELB holds, with the expiry ELB reported."""
    path = ws.elb_dir / "uploaded.json"
    try:
        records = json.loads(read_limited(path).decode("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError, WizardError):  # WizardError: not a regular file, or far too big
        problems.append(_("{file} cannot be read: what ELB holds is not shown").format(file=ws.relative(path)))
        return []
    rows = []
    for role in ("ca", "server"):
        record = records.get(role) if isinstance(records, dict) else None
        if not isinstance(record, dict) or not record.get("id"):
            continue
        expires = parse_elb_time(str(record.get("expire_time", "")))
        if expires is None:
            problems.append(_(NO_READABLE_EXPIRY[role]).format(id=record["id"], expire_time=repr(record.get("expire_time"))))
            continue
        rows.append(_row(role, str(record.get("name") or record["id"]), expires, now, "elb", str(record["id"])))
    return rows


def parse_elb_time(text: str) -> dt.datetime | None:
    """ELB's expire_time ("2029-03-05T00:21:39Z", also seen with a space and without the Z)."""
    text = text.strip().replace(" ", "T")
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
