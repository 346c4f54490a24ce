"""`status` and `renew`: life after setup."""

from __future__ import annotations

import argparse
import json

from wizard.ca_key import Unlock
from wizard.cli.ccm import print_held_in_ccm
from wizard.cli.common import open_session, p12_password, resolve_workspace, save_session, warn
from wizard.cli.layout import cells, pad, pad_left
from wizard.cli.passphrase import unlock_ca
from wizard.defaults import PROG
from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _, ngettext
from wizard.lifecycle import integrity, renew, restore, status
from wizard.record import record
from wizard.safe_text import printable
from wizard.workspace import Workspace


def status_command(args: argparse.Namespace) -> int:
    """Exit 0 when nothing expires within --warn-days, 1 when something does or has: for cron."""
    ws = Workspace(resolve_workspace(args.workspace, check=False))  # workspace_status walks it before it reads anything
    if not ws.root.is_dir():
        ws.refuse_untrusted()  # a link where the workspace should be is named as one
        raise WizardError(_("there is no workspace at {path}: give --workspace DIR").format(path=ws.root))
    found = status.workspace_status(ws, args.warn_days)
    for problem in found.problems:
        warn(problem)
    for finding in found.findings:  # what is broken, each with the command that mends it (exit 1)
        warn(finding.message)
    if args.json:
        print(json.dumps([row.to_dict() for row in found.rows], indent=2))
    else:
        _print_table(ws, found)
        print_held_in_ccm(ws)
        if found.findings:
            print(ngettext("{count} problem in the workspace: it is named above, with the command that mends it",
                           "{count} problems in the workspace: each is named above, with the command that mends it",
                           len(found.findings)).format(count=len(found.findings)))
    return 1 if found.warnings or found.findings else 0


# The status table's roles as a person reads them; --json keeps the English word.
ROLE_WORDS = {"ca": N_("ca"), "server": N_("server"), "client": N_("client")}


def _print_table(ws: Workspace, found: status.Status) -> None:
    if not found.rows:
        if not found.findings:
            print(_("no certificates in {path} yet").format(path=ws.root))
        return
    width = max(cells(printable(row.name)) for row in found.rows)
    role, name, where, expires, days = _("ROLE"), _("NAME"), _("WHERE"), _("EXPIRES"), _("DAYS")
    print(f"{pad(role, 7)} {pad(name, width)}  {pad(where, 9)} {pad(expires, 10)} {pad_left(days, 5)}")
    lines = []
    for row in found.rows:
        mark = _("revoked") if row.revoked else _("EXPIRED") if row.days_left < 0 else (_("<- renew soon") if row.days_left <= found.warn_days else "")
        where = "ELB" if row.location == "elb" else _("workspace")
        role = _(ROLE_WORDS[row.role]) if row.role in ROLE_WORDS else row.role
        lines.append(f"{pad(role, 7)} {pad(printable(row.name), width)}  {pad(where, 9)} {row.not_after[:10]} {row.days_left:>5}{'  ' + mark if mark else ''}")
    print("\n".join(lines))  # one write for thousands of rows
    if found.warnings:
        print(_("{count} certificate(s) expire within {days} days: {prog} renew server|client NAME|ca").format(
            count=len(found.warnings), days=found.warn_days, prog=PROG))
    else:
        print(_("nothing expires within {days} days").format(days=found.warn_days))


def renew_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    if args.what != "client" and args.name:
        raise InputError(_("`renew {what}` takes no name (only clients have names)").format(what=args.what))
    unlock = unlock_ca(ws, args.ca_password_file)  # a wrong passphrase stops here, before anything is renewed
    if args.what == "ca":
        return _renew_ca(ws, args, unlock)
    from wizard.ccm import dispatch  # the workspace's CA signs: the key here, or the private CA in CCM

    if args.what == "server":
        outcome = dispatch.renew_server(ws, days=args.days or renew.SERVER_DAYS, keep_key=args.keep_key, unlock=unlock)
        _remember(ws, outcome)
        next_step = _("Next: {prog} elb upload --delete-replaced uploads it, moves the recorded listener to it and deletes the old one "
                      "(the first time: add --region, --project-id and --loadbalancer-id)").format(prog=PROG)
    else:
        name = args.name or "client"
        outcome = dispatch.renew_client(ws, name, p12_password(args.p12_password_file, f"{name}.p12"),
                                        days=args.days or renew.CLIENT_DAYS, keep_key=args.keep_key, unlock=unlock)
        if name == "client":
            _remember(ws, outcome)
        next_step = _("Next: hand the new .p12 to {name}; the listener needs nothing new (same CA)").format(name=name)
    for warning in outcome.warnings:
        warn(warning)
    files, expires = ", ".join(ws.relative(path) for path in outcome.files), outcome.certificate["not_after"][:10]
    if outcome.backup:
        print(_("renewed: {files}; expires {expires} (old files in {backup})").format(files=files, expires=expires, backup=ws.relative(outcome.backup)))
    else:
        print(_("renewed: {files}; expires {expires}").format(files=files, expires=expires))
    print(next_step)
    return 0


def _renew_ca(ws: Workspace, args: argparse.Namespace, unlock: Unlock) -> int:
    if args.keep_key:
        warn(_("a CA is always renewed with its own key (what it signed stays valid): --keep-key changes nothing"))
    renewal = renew.renew_ca(ws, days=args.days or renew.CA_DAYS, unlock=unlock)
    _remember(ws, renewal)
    for warning in renewal.warnings:
        warn(warning)
    expires = renewal.certificate["not_after"][:10]
    if renewal.backup:
        print(_("ca/ca.crt renewed for its own key: expires {expires} (old one in {backup})").format(expires=expires, backup=ws.relative(renewal.backup)))
    else:
        print(_("ca/ca.crt renewed for its own key: expires {expires}").format(expires=expires))
    print(_("Everything it signed stays valid. Upload again: {what}").format(what="; ".join(renewal.re_upload)))
    return 0


def _remember(ws: Workspace, outcome: object) -> None:
    store, session = open_session(ws.root)
    record(session, outcome)  # type: ignore[arg-type]
    save_session(store, session)


def recover_command(args: argparse.Namespace) -> int:
    """Take the lock, which finishes or rolls back what a killed run left (the line is said by the
    lock's listener); then say whether anything else is broken."""
    ws = Workspace(resolve_workspace(args.workspace, check=False))  # workspace_status walks it before it reads anything
    if not ws.root.is_dir():
        ws.refuse_untrusted()  # a link where the workspace should be is named as one
        raise WizardError(_("there is no workspace at {path}: give --workspace DIR").format(path=ws.root))
    with ws.locked() as hold:
        for notice in hold.notices:
            warn(notice)
        if hold.recovered is None:
            print(_("nothing to recover in {path}: no replacement was interrupted").format(path=printable(ws.root)))
        broken = integrity.findings(ws)
    for finding in broken:
        warn(finding.message)
    return 1 if broken else 0


def restore_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace, check=False))  # workspace_status walks it before it reads anything
    if not ws.root.is_dir():
        ws.refuse_untrusted()  # a link where the workspace should be is named as one
        raise WizardError(_("there is no workspace at {path}: give --workspace DIR").format(path=ws.root))
    restored = restore.restore(ws, args.backup)
    for name in restored.left_out:
        warn(_("{backup}/{file} is not put back: it is not a certificate, key, .p12 or CA record of the workspace").format(
            backup=restored.source.name, file=printable(name)))
    for warning in restored.warnings:
        warn(warning)
    files = ", ".join(ws.relative(path) for path in restored.files)
    if restored.backup:
        print(_("put back from {source}: {files} (what they replaced is in {backup})").format(
            source=restored.source.name, files=files, backup=ws.relative(restored.backup)))
    else:
        print(_("put back from {source}: {files}").format(source=restored.source.name, files=files))
    print(_("Next: {prog} status shows what the workspace holds now; upload again what the load balancer must hold").format(prog=PROG))
    return 0
