"""`check`: the step-7 handshake test from the command line, and how its verdict is printed."""

from __future__ import annotations

import argparse
import json
import textwrap

from wizard import handshake
from wizard.cli.common import open_session, resolve_workspace, save_session
from wizard.handshake import Verdict
from wizard.record import record_verdict
from wizard.safe_text import printable
from wizard.workspace import Workspace


def format_verdict(verdict: Verdict) -> str:
    """The verdict as the terminal shows it. Everything a server chose (names, status lines, alerts)
    reaches the lines below, so each line is escaped: an ESC or BEL from a hostile server is shown,
    never obeyed. The JSON output keeps the raw text."""
    lines = [f"mTLS check of {verdict.address} (name {verdict.sni or '-'}, trust {'none: --insecure' if verdict.insecure else verdict.trust})"]
    width = max((len(a.label) for a in verdict.attempts), default=0)
    for attempt in verdict.attempts:
        mark = "ok " if attempt.ok else "BAD"
        lines.append(f"  {mark} {attempt.label:<{width}}  {attempt.outcome:<8}  {attempt.detail}")
    if verdict.tls_version:
        lines.append(f"  TLS          {verdict.tls_version}, {verdict.cipher}")
    facts = verdict.server_certificate
    if facts:
        origin = "this workspace's server.crt" if facts.is_workspace_cert else ("issued by our CA" if facts.verifies_against_ca else "NOT from our CA")
        lines.append(f"  server cert  {facts.subject} ({origin})")
        lines.append(f"               names {', '.join(facts.sans) or '-'}; {'covers' if facts.matches_sni else 'does NOT cover'} {verdict.sni}")
        lines.append(f"               expires {facts.not_after[:10]}{' (EXPIRED)' if facts.expired else ''}; SHA-256 {facts.fingerprint[:23]}...")
    if verdict.accepted_client_cas:
        ours = {True: " (ours among them)", False: " (ours is NOT among them)"}.get(verdict.our_ca_advertised, "")  # type: ignore[arg-type]
        lines.append(f"  client CAs   {'; '.join(verdict.accepted_client_cas)}{ours}")
    elif verdict.client_ca_names_known:
        lines.append("  client CAs   the server asks for a certificate but names no CA")
    lines = [printable(line) for line in lines]
    for finding in verdict.diagnosis:
        lines.append(textwrap.fill(printable(finding), width=78, initial_indent="  - ", subsequent_indent="    "))
    lines.append(printable(verdict.summary))
    return "\n".join(lines)


def check_command(args: argparse.Namespace) -> int:
    host, port = handshake.parse_address(args.address)
    ws = Workspace(resolve_workspace(args.workspace))
    # Validated (usage errors, a missing workspace) before we say we are checking.
    plan = handshake.prepare(host, port, ws, args.sni, args.timeout, args.insecure, args.trust, None, args.client)
    if not args.json:
        print(f"Checking {handshake.format_address(host, port)} ...", flush=True)
    verdict = handshake.execute(plan)
    if args.json:
        print(json.dumps(verdict.to_dict(), indent=2))
    else:
        print(format_verdict(verdict))
    if args.client in (None, "client"):  # step 7 is the tutorial client's test; a named client's is its own
        store, session = open_session(ws.root)
        session.lb_address, session.lb_port = host, port
        if args.sni:
            session.sni = verdict.sni
        record_verdict(session, verdict)
        save_session(store, session)
    return 0 if verdict.passed else 1
