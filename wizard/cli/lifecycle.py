"""`status` and `renew`: life after setup."""

from __future__ import annotations

import argparse
import json

from wizard.cli.common import open_session, p12_password, resolve_workspace, save_session, warn
from wizard.defaults import PROG
from wizard.errors import InputError, WizardError
from wizard.lifecycle import renew, status
from wizard.record import record
from wizard.safe_text import printable
from wizard.workspace import Workspace


def status_command(args: argparse.Namespace) -> int:
    """Exit 0 when nothing expires within --warn-days, 1 when something does or has: for cron."""
    ws = Workspace(resolve_workspace(args.workspace))
    if not ws.root.is_dir():
        raise WizardError(f"there is no workspace at {ws.root}: give --workspace DIR")
    found = status.workspace_status(ws, args.warn_days)
    for problem in found.problems:
        warn(problem)
    if args.json:
        print(json.dumps([row.to_dict() for row in found.rows], indent=2))
    else:
        _print_table(ws, found)
    return 1 if found.warnings else 0


def _print_table(ws: Workspace, found: status.Status) -> None:
    if not found.rows:
        print(f"no certificates in {ws.root} yet")
        return
    width = max(len(printable(row.name)) for row in found.rows)
    print(f"{'ROLE':<7} {'NAME':<{width}}  {'WHERE':<9} {'EXPIRES':<10} {'DAYS':>5}")
    for row in found.rows:
        mark = "  revoked" if row.revoked else "  EXPIRED" if row.days_left < 0 else ("  <- renew soon" if row.days_left <= found.warn_days else "")
        where = "ELB" if row.location == "elb" else "workspace"
        print(f"{row.role:<7} {printable(row.name):<{width}}  {where:<9} {row.not_after[:10]} {row.days_left:>5}{mark}")
    if found.warnings:
        print(f"{len(found.warnings)} certificate(s) expire within {found.warn_days} days: {PROG} renew server|client NAME|ca")
    else:
        print(f"nothing expires within {found.warn_days} days")


def renew_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    if args.what != "client" and args.name:
        raise InputError(f"`renew {args.what}` takes no name (only clients have names)")
    if args.what == "ca":
        if args.keep_key:
            warn("a CA is always renewed with its own key (what it signed stays valid): --keep-key changes nothing")
        renewal = renew.renew_ca(ws, days=args.days or renew.CA_DAYS)
        _remember(ws, renewal)
        print(f"ca/ca.crt renewed for its own key: expires {renewal.certificate['not_after'][:10]}"
              + (f" (old one in {ws.relative(renewal.backup)})" if renewal.backup else ""))
        print("Everything it signed stays valid. Upload again: " + "; ".join(renewal.re_upload))
        return 0
    if args.what == "server":
        outcome = renew.renew_server(ws, days=args.days or renew.SERVER_DAYS, keep_key=args.keep_key)
        _remember(ws, outcome)
        next_step = f"upload it and move the listener to it: {PROG} elb upload --loadbalancer-id ID (add --delete-replaced to remove the old one)"
    else:
        name = args.name or "client"
        outcome = renew.renew_client(ws, name, p12_password(args.p12_password_file, f"{name}.p12"),
                                     days=args.days or renew.CLIENT_DAYS, keep_key=args.keep_key)
        if name == "client":
            _remember(ws, outcome)
        next_step = f"hand the new .p12 to {name}; the listener needs nothing new (same CA)"
    for warning in outcome.warnings:
        warn(warning)
    print(f"renewed: {', '.join(ws.relative(path) for path in outcome.files)}; expires {outcome.certificate['not_after'][:10]}"
          + (f" (old files in {ws.relative(outcome.backup)})" if outcome.backup else ""))
    print(f"Next: {next_step}")
    return 0


def _remember(ws: Workspace, outcome: object) -> None:
    store, session = open_session(ws.root)
    record(session, outcome)  # type: ignore[arg-type]
    save_session(store, session)
