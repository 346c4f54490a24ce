"""`check`: the step-7 handshake test from the command line, and how its verdict is printed."""

from __future__ import annotations

import argparse
import json

from wizard import handshake
from wizard.cli.common import open_session, resolve_workspace, save_session
from wizard.cli.layout import cells, fill, pad
from wizard.handshake import Verdict
from wizard.i18n import N_, _
from wizard.handshake.model import BackendEcho, layer_text, outcome_text, status_text
from wizard.record import record_verdict
from wizard.safe_text import printable
from wizard.workspace import Workspace


# How each try went (Attempt.outcome) as a person reads it; --json keeps the English word.
TRUST_WORDS = {"workspace": N_("workspace"), "system": N_("system")}  # what verified the server (--trust)
FACT_WIDTH = 11  # "server cert", the widest label of the facts under the table


def _fact(name: str, value: str) -> str:
    return f"  {pad(name, FACT_WIDTH)}  {value}"


def _attempt_lines(verdict: Verdict) -> list[str]:
    ok, bad = _("ok"), _("BAD")
    marks = max(cells(ok), cells(bad))
    width = max((cells(a.label) for a in verdict.attempts), default=0)
    lines = []
    for attempt in verdict.attempts:
        outcome = outcome_text(attempt.outcome)
        lines.append(f"  {pad(ok if attempt.ok else bad, marks)} {pad(attempt.label, width)}  {pad(outcome, 8)}  {attempt.detail}")
    return lines


def _server_lines(verdict: Verdict) -> list[str]:
    facts = verdict.server_certificate
    if not facts:
        return []
    origin = (_("this workspace's server.crt") if facts.is_workspace_cert
              else _("issued by our CA") if facts.verifies_against_ca else _("NOT from our CA"))
    names, sni = ", ".join(facts.sans) or "-", verdict.sni
    covers = (_("names {names}; covers {name}") if facts.matches_sni else _("names {names}; does NOT cover {name}")).format(names=names, name=sni)
    expires = _("expires {date} (EXPIRED); SHA-256 {fingerprint}...") if facts.expired else _("expires {date}; SHA-256 {fingerprint}...")
    return [
        _fact(_("server cert"), _("{subject} ({origin})").format(subject=facts.subject, origin=origin)),
        _fact("", covers),
        _fact("", expires.format(date=facts.not_after[:10], fingerprint=facts.fingerprint[:23])),
    ]


def _client_ca_lines(verdict: Verdict) -> list[str]:
    if verdict.accepted_client_cas:
        names = "; ".join(verdict.accepted_client_cas)
        shown = {True: _("{names} (ours among them)"), False: _("{names} (ours is NOT among them)")}.get(verdict.our_ca_advertised, "{names}")  # type: ignore[arg-type]
        return [_fact(_("client CAs"), shown.format(names=names))]
    if verdict.client_ca_names_known:
        return [_fact(_("client CAs"), _("the server asks for a certificate but names no CA"))]
    return []


def format_verdict(verdict: Verdict) -> str:
    """The verdict as the terminal shows it. Everything a server chose (names, status lines, alerts)
    reaches the lines below, so each line is escaped: an ESC or BEL from a hostile server is shown,
    never obeyed. The JSON output keeps the raw text."""
    trust = _("none: --insecure") if verdict.insecure else _(TRUST_WORDS[verdict.trust]) if verdict.trust in TRUST_WORDS else verdict.trust
    lines = [_("mTLS check of {address} (name {name}, trust {trust})").format(address=verdict.address, name=verdict.sni or "-", trust=trust)]
    lines += _attempt_lines(verdict)
    if verdict.tls_version:
        lines.append(_fact("TLS", f"{verdict.tls_version}, {verdict.cipher}"))
    lines += _server_lines(verdict) + _client_ca_lines(verdict)
    lines = [printable(line) for line in lines]
    for finding in verdict.diagnosis:
        lines.append(fill(printable(finding), width=78, initial_indent="  - ", subsequent_indent="    "))
    lines.append(printable(verdict.summary))
    return "\n".join(lines)


def format_backend_echo(echo: BackendEcho) -> str:
    """The backend-echo checks: one line per check with the layer that decided it, the fixes, one summary
    line. What the backend echoed (header values) is escaped like everything a server sent."""
    lines = [printable(_("Behind the listener: {path}, the backend kit's echo").format(path=echo.path))]
    width = max((cells(status_text(check.status)) for check in echo.checks), default=0)
    for check in echo.checks:
        line = _("{layer}: {detail}").format(layer=layer_text(check.layer), detail=check.detail)
        lines.append(fill(printable(line), width=78, initial_indent=f"  {pad(status_text(check.status), width)}  ",
                          subsequent_indent=" " * (width + 4), break_on_hyphens=False))
    for finding in echo.diagnosis:
        lines.append(fill(printable(finding), width=78, initial_indent="  - ", subsequent_indent="    ", break_on_hyphens=False))
    lines.append(printable(echo.summary))
    return "\n".join(lines)


def check_command(args: argparse.Namespace) -> int:
    host, port = handshake.parse_address(args.address)
    ws = Workspace(resolve_workspace(args.workspace))
    # Validated (usage errors, a missing workspace) before we say we are checking.
    plan = handshake.prepare(host, port, ws, args.sni, args.timeout, args.insecure, args.trust, None, args.client, args.backend_echo)
    if not args.json:
        print(_("Checking {address} ...").format(address=handshake.format_address(host, port)), flush=True)
    verdict = handshake.execute(plan)
    if args.json:
        print(json.dumps(verdict.to_dict(), indent=2))
    else:
        print(format_verdict(verdict))
        if verdict.backend_echo is not None:
            print(format_backend_echo(verdict.backend_echo))
    if args.client in (None, "client"):  # step 7 is the tutorial client's test; a named client's is its own
        store, session = open_session(ws.root)
        session.lb_address, session.lb_port = host, port
        if args.sni:
            session.sni = verdict.sni
        record_verdict(session, verdict)
        save_session(store, session)
    backend_passed = verdict.backend_echo is None or verdict.backend_echo.passed
    return 0 if verdict.passed and backend_passed else 1
