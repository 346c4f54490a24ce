"""`generate` (steps 1-3), `inspect` and `script`: the commands that make and read certificates."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from wizard import ca_key, clients, pki, script, steps
from wizard.ccm.authority import CaChoice
from wizard.ccm.record import records_ccm
from wizard.cli import ccm as ccm_cli
from wizard.elb.sdk import credentials
from wizard.pki import CertificateSummary, Inspection
from wizard.cli.bring import brings_something, check_brought, generate_with_brought
from wizard.cli.common import (
    open_session, p12_password, password_given_without_prompt, read_secret_file, resolve_workspace, save_session, state_word, warn,
)
from wizard.cli.layout import label
from wizard.cli.passphrase import new_ca_passphrase, refuse_with_ccm, unlock_ca
from wizard.defaults import PROG
from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _
from wizard.record import record_all
from wizard.safe_text import printable
from wizard.session import Session
from wizard.workspace import Workspace, read_bytes


def generate_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    store, session = open_session(ws.root)
    session.org = args.org
    session.ca_cn = args.ca_cn
    session.server_cn, session.server_sans = args.server_cn, list(args.san)
    session.client_cn = args.client_cn
    session.ca_key_type = session.server_key_type = session.client_key_type = args.key_type
    session.ca_days, session.server_days, session.client_days = args.ca_days, args.server_days, args.client_days
    session.p12_legacy = args.legacy_p12
    steps.validate_answers(session)  # bad input fails before a password is asked for
    through_ccm = ccm_cli.wants_ccm(args, ws)
    choice = ccm_cli.choice_from(args) if through_ccm else None
    if through_ccm:
        refuse_with_ccm(args)
        credentials()  # checked before any prompt, and nothing is sent without them
    # Brought files (and half a pair of them) refused before the workspace or a prompt exists.
    secrets = check_brought(args, session) if brings_something(args) and not through_ccm else None
    unlock, protect = (None, None) if through_ccm else _ca_passphrases(args, ws)
    if password_given_without_prompt(args.p12_password_file):
        password = p12_password(args.p12_password_file)  # a bad password source fails before the workspace is created
        pki.validate_p12_password(password)  # (an empty one too; its warnings come later, once)
        ws.ensure()
    else:
        ws.ensure()  # an unwritable workspace fails before the prompt
        password = p12_password(args.p12_password_file)
    if choice is not None:
        outcomes = _generate_through_ccm(args, ws, session, password, choice)
    elif secrets is not None:
        outcomes = generate_with_brought(args, ws, session, password, secrets, unlock=unlock, protect=protect)
        for warning in (w for outcome in outcomes for w in outcome.warnings):
            warn(warning)
    else:  # steps.generate reports the short-password warning itself (through on_warning): once.
        outcomes = steps.generate(ws, session, password, force=args.force, new_ca=args.new_ca, on_warning=warn, unlock=unlock, protect=protect)
    record_all(session, outcomes)
    session.current_step = max(session.current_step, 4)
    save_session(store, session)

    _print_outcomes(args, ws, outcomes)
    return 0


def _ca_passphrases(args: argparse.Namespace, ws: Workspace) -> tuple[ca_key.Unlock | None, str | None]:
    """(what opens the CA key that is reused, the passphrase a new CA key is put under): asked for
    before the workspace changes, and a wrong one stops here."""
    has_ca = ws.cert("ca").exists() or ws.key("ca").exists()
    if args.ca_cert and has_ca and not args.new_ca:
        raise WizardError(_("this workspace already has a CA: bring yours with --new-ca (the old files are backed up first), "
                            "or use another --workspace"))
    if args.new_ca or not has_ca:
        return None, new_ca_passphrase(args)
    if args.protect_ca_key and not ca_key.is_encrypted(ws):
        raise InputError(_("this workspace reuses its CA, whose key has no passphrase: add one with {command} "
                           "(--protect-ca-key applies to a new CA)").format(command=f"{PROG} ca-passphrase add"))
    return unlock_ca(ws, args.ca_password_file), None


def _generate_through_ccm(args: argparse.Namespace, ws: Workspace, session: Session, password: str, choice: CaChoice) -> list[steps.StepOutcome]:
    from wizard.ccm.generate import generate

    notice = ccm_cli.charges_notice(choice)
    if notice and choice.accept_charges:
        warn(notice)
    return generate(ws, session, password, ccm_cli.target_from(args), choice, keys=args.ccm_keys, force=args.force, new_ca=args.new_ca,
                    on_warning=warn)


# What generate did with each certificate, shown as "Step 1  CA: created".
STEP_LINES = {
    "ca": N_("Step 1  CA: {state}"),
    "server": N_("Step 2  server certificate: {state}"),
    "client": N_("Step 3  client certificate: {state}"),
}
STATES = {
    "reused": N_("reused (existing CA kept, so what was uploaded stays valid)"),
    "brought": N_("brought in (checked and copied)"),
    "created": N_("created"),
}


def _print_outcomes(args: argparse.Namespace, ws: Workspace, outcomes: list[steps.StepOutcome]) -> None:
    if outcomes[0].backup:
        print(_("Old files moved to {path}").format(path=printable(outcomes[0].backup)))
    for outcome in outcomes:
        state = "reused" if outcome.reused else "brought" if _brought(args, outcome.role) else "created"
        print(_(STEP_LINES[outcome.role]).format(state=_(STATES[state])))
        rows = (
            (_("subject"), printable(outcome.certificate["subject"])),  # a reused CA's subject is a file's text
            ("SHA-256", outcome.certificate["fingerprint"]),
            (_("expires"), outcome.certificate["not_after"][:10]),
            (_("files"), ", ".join(ws.relative(p) for p in outcome.files)),
        )
        for name, value in rows:
            print(f"  {label(name, 13)}{value}")
    ccm_cli.print_held_in_ccm(ws)
    print(_("Workspace: {path}").format(path=printable(ws.root)))
    print(_("Next: hand server/server.crt + server.key and ca/ca.crt to the load balancer ({prog} elb export), then {prog} check IP:PORT").format(prog=PROG))


def _brought(args: argparse.Namespace, role: str) -> bool:
    return bool(args.ca_cert if role == "ca" else args.server_cert if role == "server" else False)


def inspect_command(args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.client):
        raise InputError(_("give a FILE to inspect, or --client NAME (one of the two)"))
    ws = Workspace(resolve_workspace(args.workspace)) if args.client or args.workspace else None
    path = clients.client_files(ws, args.client).cert if ws and args.client else Path(args.file)
    client = clients.client_info(ws, args.client) if ws and args.client else None
    shown = printable(str(path))  # a file name can hold control characters too
    data = read_bytes(path)  # regular files only, at most 1 MiB: never hangs, never floods memory
    password = read_secret_file(args.password_file) if args.password_file else None
    try:
        inspection = pki.inspect_bytes(data, password, what=shown)
    except ValueError:
        raise InputError(_("{file} is not a certificate, key, CSR or .p12 this tool can read").format(file=shown)) from None
    revoked = [entry for cert in inspection.certificates if ws and (entry := _revocation(ws, cert.serial, cert.sha256_fingerprint))]
    if args.json:
        # json.dumps escapes every control and non-ASCII character (ensure_ascii).
        extra = {"client": client.to_dict() if client else None, "revoked": revoked} if ws else {}
        print(json.dumps({"file": str(path), **inspection.to_dict(), **extra}, indent=2))
        return 0
    print(_line(_("File:"), shown))
    if client:
        state = _("{name}, {state} ({days})").format(name=client.name, state=state_word(client.state), days=_days_left(client.days_left))
        print(printable(_line(_("Client:"), state)))
    print(format_inspection(inspection))
    for entry in revoked:
        where = _("{date} ({reason}) in {path}").format(
            date=entry.get("date", "")[:10], reason=entry.get("reason", ""), path=ws.relative(clients.record_path(ws)))
        print(printable(_line(_("Revoked:"), where)))
    return 0



def _revocation(ws: Workspace, hex_serial: str, fingerprint: str) -> dict | None:
    """The workspace's revocation of this very certificate (same serial and fingerprint), if any."""
    entry = clients.revocation_of(ws, clients.serial_text(int(hex_serial, 16)))
    return entry if entry and entry.get("fingerprint", fingerprint) == fingerprint else None


def _days_left(days: int) -> str:
    return _("expired {days} days ago").format(days=-days) if days < 0 else _("{days} days left").format(days=days)


def script_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    if not ws.cert("ca").exists():
        raise WizardError(_("no certificates in {path} yet: run {prog} generate (or the wizard) first").format(path=printable(ws.root), prog=PROG))
    _store, session = open_session(ws.root)
    if records_ccm(ws):  # the CA is in CCM: its API calls, and what runs here
        from wizard.ccm.teaching import workspace_script

        print(workspace_script(ws, session), end="")
        return 0
    print(script.full_script(script.profile_from_workspace(ws, session), ws.root), end="")
    return 0


# What a file holds (Inspection.kind) and how a .p12 is protected, as a person reads them.
KIND_WORDS = {"certificate": N_("certificate"), "certificate chain": N_("certificate chain"), "private key": N_("private key")}
P12_MODES = {"modern": N_("modern"), "legacy": N_("legacy"), "other": N_("other")}
LABEL_WIDTH = 14  # "Valid until:  " and the other labels of inspect


def _line(name: str, value: object) -> str:
    return f"{label(name, LABEL_WIDTH)}{value}"


def _listed(items: list[str]) -> str:
    return ", ".join(items) or _("(none)")


def _certificate_lines(cert: CertificateSummary) -> list[str]:
    issuer = _("{issuer}  (self-signed)").format(issuer=cert.issuer) if cert.self_signed else cert.issuer
    return [
        _line(_("Subject:"), cert.subject),
        _line(_("Issuer:"), issuer),
        _line(_("Serial:"), cert.serial),
        _line(_("Version:"), f"v{cert.version}"),
        _line(_("SANs:"), _listed(cert.sans)),
        _line(_("Key usage:"), _listed(cert.key_usage)),
        _line(_("Ext. usage:"), _listed(cert.extended_key_usage)),
        _line(_("Valid from:"), cert.not_before),
        _line(_("Valid until:"), cert.not_after),
        _line(_("Key:"), cert.key_type),
        _line(_("Signature:"), cert.signature_hash),
        _line(_("Is a CA:"), _("yes") if cert.is_ca else _("no")),
        _line("SHA-256:", cert.sha256_fingerprint),
    ]


def _p12_lines(p12: dict[str, str]) -> list[str]:
    if p12["mode"] == "unprotected":
        lines = [_line(_("Protection:"), _("none (unprotected: the key is not encrypted)"))]
    else:
        mode = _(P12_MODES[p12["mode"]]) if p12["mode"] in P12_MODES else p12["mode"]
        lines = [_line(_("Protection:"), _("{cipher}, MAC {mac} ({mode})").format(cipher=p12["cipher"], mac=p12["mac"], mode=mode))]
    if "friendly_name" in p12:
        lines.append(_line(_("Name:"), p12["friendly_name"]))
    return lines


def format_inspection(inspection: Inspection) -> str:
    kind = _(KIND_WORDS[inspection.kind]) if inspection.kind in KIND_WORDS else inspection.kind
    lines = [_line(_("Kind:"), kind)]
    for index, cert in enumerate(inspection.certificates):
        if len(inspection.certificates) > 1:
            lines.append(_("-- certificate {number} of {count}").format(number=index + 1, count=len(inspection.certificates)))
        lines += _certificate_lines(cert)
    if inspection.kind in ("private key", "CSR", "PKCS#12") and inspection.key_type:
        lines.append(_line(_("Key type:"), inspection.key_type))
    if inspection.key_encrypted:
        lines.append(_line(_("Encrypted:"), _("yes")))
    if inspection.csr_subject is not None:
        lines.append(_line(_("Subject:"), inspection.csr_subject))
        lines.append(_line(_("SANs:"), _listed(inspection.csr_sans)))
        lines.append(_line(_("Signature:"), _("valid") if inspection.csr_signature_valid else _("INVALID")))
    if inspection.p12:
        lines += _p12_lines(inspection.p12)
    lines += [_line(_("Note:"), note) for note in inspection.notes]
    # Subjects, names and SANs are whatever the file's maker wrote: escape ESC, BEL, bidi and the like.
    return "\n".join(printable(line) for line in lines)
