"""The CA key's passphrase on the command line: where it comes from, and `ca-passphrase`.

One way for every command: --ca-password-file FILE, else $MTLS_WIZARD_CA_PASSWORD, else a
hidden prompt on a terminal (never the command line). A command that signs asks only when
ca/ca.key is under a passphrase, and checks it before any work starts, so a wrong one is one
line and nothing is written. `rotate` runs unattended: the file or the variable only.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from wizard import ca_key
from wizard.ca_key import Unlock
from wizard.cli.common import read_secret_file, resolve_workspace, warn
from wizard.environment import CA_PASSWORD_ENV
from wizard.errors import InputError
from wizard.i18n import _
from wizard.workspace import Workspace


def ca_passphrase(password_file: str | None, *, ask: bool, confirm: bool = False) -> str | None:
    """--ca-password-file, else $MTLS_WIZARD_CA_PASSWORD, else (when `ask`) a hidden prompt on a
    terminal (typed twice when `confirm`); None when none is given."""
    if password_file:
        return read_secret_file(password_file)
    if os.environ.get(CA_PASSWORD_ENV):
        return os.environ[CA_PASSWORD_ENV]
    if not ask or not sys.stdin.isatty():
        return None
    if confirm:
        return _typed_twice()
    return getpass.getpass(_("Passphrase of the CA key (ca/ca.key): "))


def _typed_twice() -> str:
    first = getpass.getpass(_("New passphrase for the CA key (ca/ca.key): "))
    if first != getpass.getpass(_("Again, to confirm: ")):
        raise InputError(_("the two passphrases differ: run the command again"))
    return first


def unlock_ca(ws: Workspace, password_file: str | None, *, ask: bool = True) -> Unlock:
    """What opens ca/ca.key for a command that signs: nothing is asked when it has no passphrase.
    With one, the passphrase is read (or asked for, on a terminal, when `ask`) and checked now,
    before any work starts: a wrong one stops the command (exit 1) with nothing written."""
    if not ca_key.is_encrypted(ws):
        if password_file:
            warn(_("ca/ca.key has no passphrase: --ca-password-file is not needed (add one with {command})").format(
                command="mtls-wizard ca-passphrase add"))
        return ca_key.given(None)
    passphrase = ca_passphrase(password_file, ask=ask)
    ca_key.check_passphrase(ws, passphrase or "")  # none given: CaLocked, naming where it may come from
    return ca_key.given(passphrase)


def new_ca_passphrase(args: argparse.Namespace) -> str | None:
    """The passphrase a new CA's key is put under (generate, --new-ca, a CA brought in): only when
    asked for with --protect-ca-key, --ca-password-file or $MTLS_WIZARD_CA_PASSWORD."""
    wanted = args.protect_ca_key or args.ca_password_file or os.environ.get(CA_PASSWORD_ENV)
    if not wanted:
        return None
    passphrase = ca_passphrase(args.ca_password_file, ask=True, confirm=True)
    if passphrase is None:
        raise InputError(_("--protect-ca-key needs the passphrase: give --ca-password-file FILE or set {variable} "
                           "(on a terminal it is asked for)").format(variable=CA_PASSWORD_ENV))
    ca_key.validate_passphrase(passphrase)  # refused before anything is made; its warning comes with the result
    return passphrase


def refuse_with_ccm(args: argparse.Namespace, ws: Workspace | None = None) -> None:
    """A passphrase asked for where the CA is held in CCM: said once, as a usage error."""
    if args.ca_password_file or getattr(args, "protect_ca_key", False):
        if ws is not None:
            ca_key.refuse_in_ccm(ws)
        raise InputError(_("a CA held in CCM has no key on this machine: --ca-password-file and --protect-ca-key do not apply to it"))


def ca_passphrase_command(args: argparse.Namespace) -> int:
    """`ca-passphrase add|change|remove`: the CA key's passphrase, with the old key file backed up first."""
    ws = Workspace(resolve_workspace(args.workspace))
    ca_key.refuse_in_ccm(ws)
    if not ws.key("ca").exists():
        raise InputError(_("there is no CA key at {file}: create the CA first (step 1, or {command})").format(
            file=ws.relative(ws.key("ca")), command="mtls-wizard generate"))
    encrypted = ca_key.is_encrypted(ws)
    if args.action == "add" and encrypted:
        raise InputError(_("ca/ca.key already has a passphrase: use {command} to change it").format(command="ca-passphrase change"))
    if args.action != "add" and not encrypted:
        raise InputError(_("ca/ca.key has no passphrase: use {command} to add one").format(command="ca-passphrase add"))
    unlock = unlock_ca(ws, args.ca_password_file) if encrypted else ca_key.given(None)
    new = None
    if args.action == "add":
        new = ca_passphrase(args.ca_password_file, ask=True, confirm=True)
    elif args.action == "change" and args.new_ca_password_file:
        new = read_secret_file(args.new_ca_password_file)
    elif args.action == "change" and sys.stdin.isatty():
        new = _typed_twice()
    if args.action != "remove" and new is None:
        raise InputError(_("no new passphrase: give it in a file (--ca-password-file for add, --new-ca-password-file for change) "
                           "or run this on a terminal"))
    backup, warnings = ca_key.change_passphrase(ws, unlock, new)
    for warning in warnings:
        warn(warning)
    done = {"add": _("ca/ca.key is now under a passphrase (AES-256)"), "change": _("the passphrase of ca/ca.key is changed"),
            "remove": _("ca/ca.key has no passphrase any more: whoever can read the file can sign with it")}[args.action]
    print(_("{done}; the old file is in {backup}").format(done=done, backup=ws.relative(backup)) if backup else done)
    if args.action == "add" and backup:
        warn(_("the old key file, without a passphrase, is kept in {file}: delete it once you have checked the new one "
               "(shred -u {file})").format(file=ws.relative(backup / "ca" / "ca.key")))
    return 0
