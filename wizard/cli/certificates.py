"""`generate` (steps 1-3), `inspect` and `script`: the commands that make and read certificates."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from wizard import clients, pki, script, steps
from wizard.pki import Inspection
from wizard.cli.bring import brings_something, generate_with_brought
from wizard.cli.common import (
    open_session, p12_password, password_given_without_prompt, read_secret_file, resolve_workspace, save_session, warn,
)
from wizard.defaults import PROG
from wizard.errors import InputError, WizardError
from wizard.record import record_all
from wizard.safe_text import printable
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
    brings_something(args)  # (and half a pair of brought files)
    if password_given_without_prompt(args.p12_password_file):
        password = p12_password(args.p12_password_file)  # a bad password source fails before the workspace is created
        pki.validate_p12_password(password)  # (an empty one too; its warnings come later, once)
        ws.ensure()
    else:
        ws.ensure()  # an unwritable workspace fails before the prompt
        password = p12_password(args.p12_password_file)
    if brings_something(args):
        outcomes = generate_with_brought(args, ws, session, password)
        for warning in (w for outcome in outcomes for w in outcome.warnings):
            warn(warning)
    else:  # steps.generate reports the short-password warning itself (through on_warning): once.
        outcomes = steps.generate(ws, session, password, force=args.force, new_ca=args.new_ca, on_warning=warn)
    record_all(session, outcomes)
    session.current_step = max(session.current_step, 4)
    save_session(store, session)

    if outcomes[0].backup:
        print(f"Old files moved to {printable(outcomes[0].backup)}")
    titles = {"ca": "Step 1  CA", "server": "Step 2  server certificate", "client": "Step 3  client certificate"}
    for outcome in outcomes:
        state = ("reused (existing CA kept, so what was uploaded stays valid)" if outcome.reused
                 else "brought in (checked and copied)" if _brought(args, outcome.role) else "created")
        print(f"{titles[outcome.role]}: {state}")
        print(f"  subject      {printable(outcome.certificate['subject'])}")  # a reused CA's subject is a file's text
        print(f"  SHA-256      {outcome.certificate['fingerprint']}")
        print(f"  expires      {outcome.certificate['not_after'][:10]}")
        print(f"  files        {', '.join(ws.relative(p) for p in outcome.files)}")
    print(f"Workspace: {printable(ws.root)}")
    print(f"Next: hand server/server.crt + server.key and ca/ca.crt to the load balancer ({PROG} elb export), then {PROG} check IP:PORT")
    return 0


def _brought(args: argparse.Namespace, role: str) -> bool:
    return bool(args.ca_cert if role == "ca" else args.server_cert if role == "server" else False)


def inspect_command(args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.client):
        raise InputError("give a FILE to inspect, or --client NAME (one of the two)")
    ws = Workspace(resolve_workspace(args.workspace)) if args.client or args.workspace else None
    path = clients.client_files(ws, args.client).cert if ws and args.client else Path(args.file)
    client = clients.client_info(ws, args.client) if ws and args.client else None
    shown = printable(str(path))  # a file name can hold control characters too
    data = read_bytes(path)  # regular files only, at most 1 MiB: never hangs, never floods memory
    password = read_secret_file(args.password_file, "password") if args.password_file else None
    try:
        inspection = pki.inspect_bytes(data, password, what=shown)
    except ValueError:
        raise InputError(f"{shown} is not a certificate, key, CSR or .p12 this tool can read") from None
    revoked = [entry for cert in inspection.certificates if ws and (entry := _revocation(ws, cert.serial, cert.sha256_fingerprint))]
    if args.json:
        # json.dumps escapes every control and non-ASCII character (ensure_ascii).
        extra = {"client": client.to_dict() if client else None, "revoked": revoked} if ws else {}
        print(json.dumps({"file": str(path), **inspection.to_dict(), **extra}, indent=2))
        return 0
    print(f"File:         {shown}")
    if client:
        print(printable(f"Client:       {client.name}, {client.state} ({_days_left(client.days_left)})"))
    print(format_inspection(inspection))
    for entry in revoked:
        print(printable(f"Revoked:      {entry.get('date', '')[:10]} ({entry.get('reason', '')}) in {ws.relative(clients.record_path(ws))}"))
    return 0


def _revocation(ws: Workspace, hex_serial: str, fingerprint: str) -> dict | None:
    """The workspace's revocation of this very certificate (same serial and fingerprint), if any."""
    entry = clients.revocation_of(ws, clients.serial_text(int(hex_serial, 16)))
    return entry if entry and entry.get("fingerprint", fingerprint) == fingerprint else None


def _days_left(days: int) -> str:
    return f"expired {-days} days ago" if days < 0 else f"{days} days left"


def script_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    if not ws.cert("ca").exists():
        raise WizardError(f"no certificates in {printable(ws.root)} yet: run {PROG} generate (or the wizard) first")
    _, session = open_session(ws.root)
    print(script.full_script(script.profile_from_workspace(ws, session), ws.root), end="")
    return 0


def format_inspection(inspection: Inspection) -> str:
    lines = [f"Kind:         {inspection.kind}"]
    for index, cert in enumerate(inspection.certificates):
        if len(inspection.certificates) > 1:
            lines.append(f"-- certificate {index + 1} of {len(inspection.certificates)}")
        lines += [
            f"Subject:      {cert.subject}",
            f"Issuer:       {cert.issuer}{'  (self-signed)' if cert.self_signed else ''}",
            f"Serial:       {cert.serial}",
            f"Version:      v{cert.version}",
            f"SANs:         {', '.join(cert.sans) or '(none)'}",
            f"Key usage:    {', '.join(cert.key_usage) or '(none)'}",
            f"Ext. usage:   {', '.join(cert.extended_key_usage) or '(none)'}",
            f"Valid from:   {cert.not_before}",
            f"Valid until:  {cert.not_after}",
            f"Key:          {cert.key_type}",
            f"Signature:    {cert.signature_hash}",
            f"Is a CA:      {'yes' if cert.is_ca else 'no'}",
            f"SHA-256:      {cert.sha256_fingerprint}",
        ]
    if inspection.kind in ("private key", "CSR", "PKCS#12") and inspection.key_type:
        lines.append(f"Key type:     {inspection.key_type}")
    if inspection.key_encrypted:
        lines.append("Encrypted:    yes")
    if inspection.csr_subject is not None:
        lines.append(f"Subject:      {inspection.csr_subject}")
        lines.append(f"SANs:         {', '.join(inspection.csr_sans) or '(none)'}")
        lines.append(f"Signature:    {'valid' if inspection.csr_signature_valid else 'INVALID'}")
    if inspection.p12:
        if inspection.p12["mode"] == "unprotected":
            lines.append("Protection:   none (unprotected: the key is not encrypted)")
        else:
            lines.append(f"Protection:   {inspection.p12['cipher']}, MAC {inspection.p12['mac']} ({inspection.p12['mode']})")
        if "friendly_name" in inspection.p12:
            lines.append(f"Name:         {inspection.p12['friendly_name']}")
    lines += [f"Note:         {note}" for note in inspection.notes]
    # Subjects, names and SANs are whatever the file's maker wrote: escape ESC, BEL, bidi and the like.
    return "\n".join(printable(line) for line in lines)
