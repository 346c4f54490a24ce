"""`client issue|list|revoke|crl`: many clients, each with its own certificate and .p12."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from wizard import backend, clients
from wizard.ccm import dispatch
from wizard.ccm.record import records_ccm
from wizard.cli import ccm as ccm_cli
from wizard.cli.backend import print_kit_refresh
from wizard.cli.common import p12_password, resolve_workspace, state_word, warn
from wizard.cli.layout import cells, pad, pad_left
from wizard.cli.passphrase import refuse_with_ccm, unlock_ca
from wizard.defaults import PROG
from wizard.elb.sdk import credentials
from wizard.errors import InputError, WizardError
from wizard.i18n import _, ngettext
from wizard.safe_text import printable
from wizard.workspace import Workspace, read_bytes


def _names(args: argparse.Namespace) -> list[str]:
    names = list(args.names)
    if args.from_file:  # a file the user names: missing or unreadable is a usage error (exit 2)
        try:
            text = read_bytes(Path(args.from_file)).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(_("{path} is not UTF-8 text: give a file with one name per line").format(path=printable(args.from_file))) from None
        names += clients.read_names_file(text)
    return clients.validate_client_names(names)  # usage errors before any prompt


def _progress(done: int, total: int, name: str) -> None:
    if sys.stderr.isatty():
        issued = _("{done}/{total} issued ({name})").format(done=done, total=total, name=printable(name))
        print(f"\r  {issued}\x1b[K", end="" if done < total else "\n", file=sys.stderr, flush=True)


def issue_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    names = _names(args)
    if not ws.cert("ca").exists():
        raise WizardError(_("no CA in {path} yet: run {prog} generate (or the wizard's step 1) first").format(path=ws.root, prog=PROG))
    target = ccm_cli.target_from(args)
    if records_ccm(ws):
        refuse_with_ccm(args, ws)
        credentials()  # checked before any prompt, and nothing is sent without them
    unlock = None if records_ccm(ws) else unlock_ca(ws, args.ca_password_file)  # a wrong passphrase stops here
    password = None if args.random_passwords else p12_password(args.p12_password_file, _("the .p12 files"))
    options = clients.ClientOptions(days=args.days, key_type=args.key_type or "", legacy_p12=args.legacy_p12,
                                    random_passwords=args.random_passwords, force=args.force)
    result = dispatch.issue_clients(ws, names, password, options, progress=_progress, target=target, keys=args.ccm_keys, unlock=unlock)
    for warning in result.warnings:
        warn(warning)
    for issued in result.issued:
        print(_issued_line(ws, issued))
    for name, why in result.failed:
        print(_("{prog}: error: {message}").format(prog=PROG, message=f"{name}: {why}"), file=sys.stderr)
    if result.interrupted:
        print(_("{prog}: interrupted: {issued} of {total} clients issued in {path}, each complete; the others were not started "
                "(run the command again with the names not listed above)").format(
            prog=PROG, issued=len(result.issued), total=len(names), path=ws.root), file=sys.stderr)
        return 130
    print(_("{issued} of {total} clients issued in {path}").format(issued=len(result.issued), total=len(names), path=ws.root))
    return 1 if result.failed else 0


def _issued_line(ws: Workspace, issued: clients.IssuedClient) -> str:
    if issued.password_file and issued.backup:
        line = _("{name}: {p12}, serial {serial}, expires {expires}; password in {password_file} (old files in {backup})")
    elif issued.password_file:
        line = _("{name}: {p12}, serial {serial}, expires {expires}; password in {password_file}")
    elif issued.backup:
        line = _("{name}: {p12}, serial {serial}, expires {expires} (old files in {backup})")
    else:
        line = _("{name}: {p12}, serial {serial}, expires {expires}")
    return line.format(
        name=issued.name, p12=ws.relative(clients.client_files(ws, issued.name).p12), serial=issued.certificate["serial"],
        expires=issued.certificate["not_after"][:10], password_file=ws.relative(issued.password_file) if issued.password_file else "",
        backup=ws.relative(issued.backup) if issued.backup else "")


def list_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace, check=False))  # list_clients walks it before it reads anything
    problems: list[str] = []
    # strict: a record that cannot be trusted stops the list (no revoked client shown as valid), and so does a refusal
    listed = clients.list_clients(ws, problems=problems, strict=True)
    for problem in problems:
        warn(problem)
    replaced = sum(1 for entry in listed if entry.state == "old-ca")
    if replaced:
        warn(ngettext("{count} client was issued by a CA this workspace replaced since (old-ca): no listener holding the workspace CA "
                      "lets it in; renew it ({prog} renew client NAME) or revoke it",
                      "{count} clients were issued by a CA this workspace replaced since (old-ca): no listener holding the workspace CA "
                      "lets them in; renew each ({prog} renew client NAME) or revoke it", replaced).format(count=replaced, prog=PROG))
    if args.json:
        print(json.dumps([entry.to_dict() for entry in listed], indent=2))
        return 0
    if not listed:
        print(_("no client certificates in {path} yet").format(path=ws.root))
        return 0
    width = max(cells(printable(entry.name)) for entry in listed)
    name, state, expires, days = _("NAME"), _("STATE"), _("EXPIRES"), _("DAYS")
    print(f"{pad(name, width)}  {pad(state, 8)}  {pad(expires, 10)}  {pad_left(days, 5)}  " + _("SERIAL"))
    words = {state: state_word(state) for state in {entry.state for entry in listed}}
    print("\n".join(f"{pad(printable(entry.name), width)}  {pad(words[entry.state], 8)}  {entry.not_after[:10]}  {entry.days_left:>5}  {entry.serial}"
                    for entry in listed))  # one write for thousands of lines
    return 0


def revoke_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace, clients=False))  # the lock walks the whole workspace before it reads a client
    in_ccm = records_ccm(ws)
    if args.crl_bucket and not in_ccm:
        raise InputError(_("--crl-bucket is for a CA held in CCM; this workspace's CRL is ca/crl.pem, signed here"))
    if in_ccm:
        refuse_with_ccm(args, ws)
        credentials()  # nothing is sent without them
    unlock = None if in_ccm else unlock_ca(ws, args.ca_password_file)
    done = dispatch.revoke_client(ws, args.name, args.reason, args.crl_days, target=ccm_cli.target_from(args), unlock=unlock)
    crl_point = ccm_cli.enable_crl(args, ws)
    if done.already and not crl_point:
        print(_("{name} was already revoked on {date} (serial {serial}): nothing changed").format(name=done.name, date=done.date[:10], serial=done.serial))
        return 0
    if not done.already:
        print(_("{name} revoked (serial {serial}, reason {reason})").format(name=done.name, serial=done.serial, reason=done.reason))
    if in_ccm:
        ccm_cli.print_ccm_revocation(ws, done, crl_point)
    else:
        _what_enforces_it(ws)
    return 0 if print_kit_refresh(ws, backend.refresh_kits(ws)) else 1  # the backend kits refuse it once their deny-lists are rewritten


def crl_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace, clients=False))  # the lock walks the whole workspace before it signs
    if records_ccm(ws):
        raise WizardError(_("the CA of this workspace is held in CCM, which signs and publishes its CRL itself: turn that on with "
                            "`client revoke NAME --crl-bucket BUCKET`"))
    path = clients.refresh_crl(ws, args.crl_days, unlock=unlock_ca(ws, args.ca_password_file))
    print(_("{path} signed again, valid for {days} days").format(path=ws.relative(path), days=args.crl_days))
    return 0 if print_kit_refresh(ws, backend.refresh_kits(ws)) else 1  # the backend kits refuse it once their deny-lists are rewritten


def rebuild_record_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    rebuilt = clients.rebuild_record(ws)
    print(_("{record} rebuilt from {crl} (CRL number {number}): {count} revoked certificate(s), "
            "{unnamed} of them not matched to a client certificate (listed without a name)").format(
        record=ws.relative(clients.record_path(ws)), crl=ws.relative(clients.crl_path(ws)), number=rebuilt.crl_number,
        count=rebuilt.revoked, unnamed=rebuilt.unnamed))
    if rebuilt.backup:
        print(_("  the damaged record is kept in {backup}").format(backup=ws.relative(rebuilt.backup)))
    return 0


def _what_enforces_it(ws: Workspace) -> None:
    crl, serials = ws.relative(clients.crl_path(ws)), ws.relative(clients.serials_path(ws))
    print(_("  written: {crl} (the CRL), {record}, {serials}").format(crl=crl, record=ws.relative(clients.record_path(ws)), serials=serials))
    print(_("  ELB itself checks no CRL: the load balancer still lets this client in."))
    print(_("  A backend that loads the CRL refuses it, e.g. nginx: ssl_crl {path};").format(path=clients.crl_path(ws)))
    print(_("  Behind ELB, forward the client certificate's serial number (X-Forwarded-Clientcert-serialnumber)\n"
            "  and refuse those in {serials}, or move every other client to a new CA.").format(serials=serials))
