"""Unattended rotation, safe from cron: renew what expires soon, upload it, move the recorded
listener to it, delete what it replaced, and prove the result with the handshake test.

What is renewed: the CA (for its own key), the server certificate, and the clients named for
it, each when it expires within `within_days`, with the lifetime it had (short-lived
certificates stay short-lived). Never a brought one (a server certificate the workspace CA did
not issue, a CA that is not self-signed: renewed where they came from) and never a revoked
client. With the CA held in CCM Private CA (ca/issuer.json), the server and the clients are
renewed through it (wizard.ccm.dispatch); the CA itself is renewed in CCM, so a due one is a line
for a person. The upload goes where the last one went (elb/uploaded.json) and moves the listener
recorded there; nothing is typed again. A second run finds nothing due and ELB in step with
the workspace, and does nothing (not even a network call).

The whole run holds the workspace lock. Every action is one line for `log`; lines that need a
person start with "person: ", warnings with "warning: " (markers for the caller, never shown).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from wizard import handshake, pki
from wizard.ca_key import CaLocked, Unlock
from wizard.ccm import dispatch
from wizard.clients.names import client_files, validate_client_name
from wizard.clients.revocation import is_revoked
from wizard.elb.records import previous, recorded_target
from wizard.elb.sdk import DEFAULT_TIMEOUT
from wizard.elb.uploader import UploadFailed, move_recorded_listener
from wizard.lifecycle import renew
from wizard.errors import InputError, WizardError
from wizard.environment import CA_PASSWORD_ENV
from wizard.i18n import N_, _
from wizard.record import record
from wizard.session import Session
from wizard.steps import StepOutcome
from wizard.workspace import Workspace, read_bytes, read_limited

Log = Callable[[str], None]
PERSON, WARNING = "person: ", "warning: "
CHECK_EVERY = 5.0  # seconds between handshake tests while ELB applies the change

# The roles in words (English; shown translated), in the order they are renewed.
_WHAT = {"ca": N_("the CA certificate"), "server": N_("the server certificate")}


@dataclass(frozen=True)
class RotateOptions:
    within_days: int = 30
    dry_run: bool = False
    clients: tuple[str, ...] = ()  # the clients to renew too (their .p12 must reach their holders)
    p12_password: str | None = None  # for a named client without its own NAME.p12-password file
    check: tuple[str, int] | None = None  # the address to prove; None: the session's (step 7)
    no_check: bool = False
    check_wait: float = 60.0  # how long the handshake test may wait for ELB to apply the move
    timeout: tuple[float, float] = DEFAULT_TIMEOUT  # each API call
    unlock: Unlock | None = None  # the CA key's passphrase, when it is under one (never asked for: unattended)


@dataclass(frozen=True)
class Due:
    """A certificate to renew: its role, its name (a client's), days left and lifetime."""

    role: str
    name: str
    days_left: int
    lifetime: int
    path: Path


@dataclass
class Report:
    """What a run did: `person` holds what needs a person (exit 1); `changed` whether it renewed or uploaded."""

    person: list[str] = field(default_factory=list)
    changed: bool = False

    @property
    def exit_code(self) -> int:
        return 1 if self.person else 0


def _cert(path: Path, what: str) -> x509.Certificate:
    return pki.load_cert_pem(read_bytes(path), what)


def _days(cert: x509.Certificate, now: dt.datetime) -> tuple[int, int]:
    """(days left, lifetime in days) of a certificate."""
    left = (cert.not_valid_after_utc - now) // dt.timedelta(days=1)
    lifetime = round((cert.not_valid_after_utc - cert.not_valid_before_utc) / dt.timedelta(days=1))
    return left, max(1, lifetime)


def _what(item: Due) -> str:
    return _(_WHAT[item.role]) if item.role in _WHAT else _("the client {name}").format(name=item.name)


def due_certificates(ws: Workspace, options: RotateOptions, report: Report, log: Log,
                     now: dt.datetime | None = None) -> list[Due]:
    """What expires within `options.within_days` and may be renewed here; a brought one that is
    due goes to `report.person`. InputError when a renewal would be due again at once."""
    now = now or pki.utc_now()
    if not ws.cert("ca").exists():
        raise WizardError(_("there is no CA in {path}: nothing to rotate; run {step} first").format(path=ws.root, step="generate"))
    ca = _cert(ws.cert("ca"), _("CA certificate (ca/ca.crt)"))
    found: list[tuple[str, str, Path, bool]] = [("ca", "ca", ws.cert("ca"), ca.issuer == ca.subject)]
    if ws.cert("server").exists():
        found.append(("server", "server", ws.cert("server"), pki.verify_issued_by(_cert(ws.cert("server"), "server"), ca)))
    for name in options.clients:
        files = client_files(ws, validate_client_name(name))
        if not files.cert.exists():
            raise InputError(_("there is no client {name} in this workspace: check the name (client list shows them)").format(name=name))
        cert = _cert(files.cert, name)
        if is_revoked(ws, cert):
            log(_("client {name}: revoked, never renewed").format(name=name))
            continue
        found.append(("client", name, files.cert, pki.verify_issued_by(cert, ca)))
    due: list[Due] = []
    for role, name, path, ours in found:
        left, lifetime = _days(_cert(path, name), now)
        item = Due(role, name, left, lifetime, path)
        if left > options.within_days:
            continue
        if not ours:
            _person(report, log, _("{what} expires in {days} days but was brought, not made here: renew it where it was issued, "
                                   "then bring it in").format(what=_what(item), days=left))
        elif lifetime - 1 <= options.within_days:  # a fresh certificate has lifetime - 1 whole days left
            raise InputError(_("{what} lives {lifetime} days, no more than the {days} days ahead asked for: a renewal would be due "
                               "again at once; ask for fewer days ahead").format(what=_what(item), lifetime=lifetime, days=options.within_days))
        else:
            due.append(item)
    return due


def elb_behind(ws: Workspace, session: Session) -> list[str]:
    """The recorded uploads ("server", "ca", "listener") that no longer hold the workspace's certificates."""
    target = recorded_target(session, ws)
    if target is None:
        return []
    behind = []
    records = {role: previous(session, ws, role, target) for role in ("server", "ca", "listener")}
    for role in ("server", "ca"):
        path = ws.cert(role)
        if records[role] and path.exists() and records[role].get("fingerprint") != pki.fingerprint(_cert(path, role)):
            behind.append(role)
    listener = records["listener"]
    if listener and not behind and (listener.get("server_cert_id"), listener.get("ca_cert_id")) != (
            records["server"].get("id"), records["ca"].get("id")):
        behind.append("listener")
    return behind


def _person(report: Report, log: Log, line: str) -> None:
    report.person.append(line)
    log(PERSON + line)


def rotate(ws: Workspace, session: Session, options: RotateOptions, log: Log) -> Report:
    """One unattended rotation (see the module's docstring); records into `session` as it goes."""
    report = Report()
    with ws.locked():
        due = due_certificates(ws, options, report, log)
        behind = elb_behind(ws, session)
        if not due and not behind:
            if not report.person:
                log(_("nothing to do: nothing expires within {days} days, and ELB holds the workspace's certificates").format(
                    days=options.within_days))
            return report
        if options.dry_run:
            _dry_run(ws, session, due, behind, log)
            return report
        renewed = [item.role for item in due if _renew(ws, session, item, options, report, log)]
        report.changed = bool(renewed)
        if _upload(ws, session, options, report, log):
            report.changed = True
            _prove(ws, session, options, "server" in renewed or "server" in behind, report, log)
    return report


def _dry_run(ws: Workspace, session: Session, due: list[Due], behind: list[str], log: Log) -> None:
    for item in due:
        log(_("would renew {what} ({days} days left) for another {lifetime} days").format(
            what=_what(item), days=item.days_left, lifetime=item.lifetime))
    if recorded_target(session, ws) is None:
        log(_("would not upload: no upload is recorded for this workspace"))
    else:
        log(_("would upload what changed, move the recorded listener to it, then delete what it replaced"))


def _renew(ws: Workspace, session: Session, item: Due, options: RotateOptions, report: Report, log: Log) -> bool:
    """Renew one certificate; False (and a line for a person) when it cannot be done unattended."""
    try:
        if item.role == "ca":
            renewal = renew.renew_ca(ws, days=item.lifetime, unlock=options.unlock)
            record(session, renewal)
            log(_("renewed the CA certificate for its own key: expires {date}").format(date=renewal.certificate["not_after"][:10]))
            return True
        if item.role == "server":
            outcome = dispatch.renew_server(ws, days=item.lifetime, unlock=options.unlock)  # here, or through CCM
            record(session, outcome)
        else:
            outcome = _renew_client(ws, item, options)
            if item.name == "client":
                record(session, outcome)
    except CaLocked:
        _person(report, log, _("{what} expires in {days} days; renewing it needs the CA key's passphrase: give --ca-password-file FILE "
                               "or set {variable}").format(what=_what(item), days=item.days_left, variable=CA_PASSWORD_ENV))
        return False
    except (WizardError, OSError) as error:
        reason = getattr(error, "strerror", None) if isinstance(error, OSError) else error
        _person(report, log, _("{what} was not renewed: {error}").format(what=_what(item), error=reason or error))
        return False
    if outcome is None:
        _person(report, log, _("{what} expires in {days} days; renewing it needs its .p12 password: give --p12-password-file FILE "
                               "or set MTLS_WIZARD_P12_PASSWORD").format(what=_what(item), days=item.days_left))
        return False
    for warning in outcome.warnings:
        log(WARNING + warning)
    log(_("renewed {what}: expires {date}").format(what=_what(item), date=outcome.certificate["not_after"][:10]))
    if item.role == "client":
        log(_("client {name}: hand the new {file} to its holder").format(name=item.name, file=ws.relative(client_files(ws, item.name).p12)))
    return True


def _renew_client(ws: Workspace, item: Due, options: RotateOptions) -> StepOutcome | None:
    """A named client, with its own password file (written again with the new set: the renewal's
    backup takes the old one) or the one given; None without either."""
    files = client_files(ws, item.name)
    own = read_limited(files.password).decode("utf-8").split("\n", 1)[0].removesuffix("\r") if files.password.exists() else ""
    password = own or options.p12_password
    if not password:
        return None
    return dispatch.renew_client(ws, item.name, password, days=item.lifetime, password_file=bool(own), unlock=options.unlock)


def _upload(ws: Workspace, session: Session, options: RotateOptions, report: Report, log: Log) -> bool:
    """Upload what changed and move the recorded listener; True once a listener holds it."""
    if recorded_target(session, ws) is None:
        _person(report, log, _("no upload is recorded for this workspace: upload the new certificates with elb upload, or in the "
                               "console (steps 4-6)"))
        return False
    try:
        result = move_recorded_listener(ws, session, log=log, delete_replaced=True, timeout=options.timeout)
    except UploadFailed as failure:
        record(session, failure.partial)
        _person(report, log, str(failure))
        return False
    except WizardError as error:
        _person(report, log, str(error))
        return False
    record(session, result)
    if result.listener_gone:
        _person(report, log, _("the recorded listener {listener_id} is gone from ELB: create one with elb upload --loadbalancer-id "
                               "ID").format(listener_id=result.listener_gone))
    elif not result.listener_id:
        _person(report, log, _("no listener is recorded: point the listener at the new certificates in the console (step 6), or "
                               "let elb upload --loadbalancer-id ID do it once"))
    return bool(result.listener_id)


def _prove(ws: Workspace, session: Session, options: RotateOptions, server_moved: bool, report: Report, log: Log) -> None:
    """The handshake test against the listener's address, retried while ELB applies the move."""
    if options.no_check:
        return
    address = options.check or ((session.lb_address, session.lb_port) if session.lb_address else None)
    if address is None:
        log(_("check: no address was tested in step 7 or given: the result is not proved"))
        return
    host, port = address
    session.lb_address, session.lb_port = host, port
    shown = handshake.format_address(host, port)
    give_up = time.monotonic() + options.check_wait
    while True:
        verdict = handshake.probe(host, port, ws, sni=session.sni or None)
        facts = verdict.server_certificate
        fresh = not server_moved or (facts is not None and facts.is_workspace_cert)
        if (verdict.passed and fresh) or time.monotonic() + CHECK_EVERY > give_up:
            break
        time.sleep(CHECK_EVERY)
    record(session, verdict)
    if not verdict.passed:
        _person(report, log, _("check {address}: {summary}").format(address=shown, summary=verdict.summary))
    elif not fresh:
        _person(report, log, _("check {address}: mutual authentication works, but the listener still presents the old server "
                               "certificate after {seconds:g} s").format(address=shown, seconds=options.check_wait))
    else:
        log(_("check {address}: PASS, mutual authentication works with the current certificates").format(address=shown))
