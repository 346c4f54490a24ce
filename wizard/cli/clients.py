"""`client issue|list|revoke|crl`: many clients, each with its own certificate and .p12."""

from __future__ import annotations

import argparse
import json
import sys

from wizard import clients
from wizard.cli.common import p12_password, resolve_workspace, warn
from wizard.defaults import PROG
from wizard.errors import WizardError
from wizard.safe_text import printable
from wizard.workspace import Workspace, read_text


def _names(args: argparse.Namespace) -> list[str]:
    names = list(args.names)
    if args.from_file:
        names += clients.read_names_file(read_text(args.from_file, "the names file"))
    return clients.validate_client_names(names)  # usage errors before any prompt


def _progress(done: int, total: int, name: str) -> None:
    if sys.stderr.isatty():
        print(f"\r  {done}/{total} issued ({printable(name)})\x1b[K", end="" if done < total else "\n", file=sys.stderr, flush=True)


def issue_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    names = _names(args)
    if not ws.cert("ca").exists():
        raise WizardError(f"no CA in {ws.root} yet: run {PROG} generate (or the wizard's step 1) first")
    password = None if args.random_passwords else p12_password(args.p12_password_file, "the .p12 files")
    options = clients.ClientOptions(days=args.days, key_type=args.key_type or "", legacy_p12=args.legacy_p12,
                                    random_passwords=args.random_passwords, force=args.force)
    result = clients.issue_clients(ws, names, password, options, progress=_progress)
    for warning in result.warnings:
        warn(warning)
    for issued in result.issued:
        secret = f"; password in {ws.relative(issued.password_file)}" if issued.password_file else ""
        backup = f" (old files in {ws.relative(issued.backup)})" if issued.backup else ""
        print(f"{issued.name}: {ws.relative(clients.client_files(ws, issued.name).p12)}, "
              f"serial {issued.certificate['serial']}, expires {issued.certificate['not_after'][:10]}{secret}{backup}")
    for name, why in result.failed:
        print(f"{PROG}: error: {name}: {why}", file=sys.stderr)
    print(f"{len(result.issued)} of {len(names)} clients issued in {ws.root}")
    return 1 if result.failed else 0


def list_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    problems: list[str] = []
    listed = clients.list_clients(ws, problems=problems)
    for problem in problems:
        warn(problem)
    if args.json:
        print(json.dumps([entry.to_dict() for entry in listed], indent=2))
        return 0
    if not listed:
        print(f"no client certificates in {ws.root} yet")
        return 0
    width = max(len(entry.name) for entry in listed)
    print(f"{'NAME':<{width}}  {'STATE':<8}  {'EXPIRES':<10}  {'DAYS':>5}  SERIAL")
    for entry in listed:
        print(f"{printable(entry.name):<{width}}  {entry.state:<8}  {entry.not_after[:10]}  {entry.days_left:>5}  {entry.serial}")
    return 0


def revoke_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    done = clients.revoke(ws, args.name, args.reason, args.crl_days)
    if done.already:
        print(f"{done.name} was already revoked on {done.date[:10]} (serial {done.serial}): nothing changed")
        return 0
    print(f"{done.name} revoked (serial {done.serial}, reason {done.reason})")
    _what_enforces_it(ws)
    return 0


def crl_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    path = clients.refresh_crl(ws, args.crl_days)
    print(f"{ws.relative(path)} signed again, valid for {args.crl_days} days")
    return 0


def _what_enforces_it(ws: Workspace) -> None:
    print(f"  written: {ws.relative(clients.crl_path(ws))} (the CRL), {ws.relative(clients.record_path(ws))}, "
          f"{ws.relative(clients.serials_path(ws))}")
    print("  ELB itself checks no CRL: the load balancer still lets this client in.")
    print(f"  A backend that loads the CRL refuses it, e.g. nginx: ssl_crl {clients.crl_path(ws)};")
    print("  Behind ELB, forward the client certificate's serial number (X-Forwarded-Clientcert-serialnumber)")
    print(f"  and refuse those in {ws.relative(clients.serials_path(ws))}, or move every other client to a new CA.")
