"""`generate` with what you already have: an existing CA (--ca-cert/--ca-key) and/or a purchased
or corporate server certificate (--server-cert/--server-key/--server-chain). Every brought file
is read and checked before anything is written; what is not brought is made as usual."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from wizard import ca_key, steps
from wizard.ca_key import Unlock
from wizard.errors import InputError
from wizard.i18n import _
from wizard.lifecycle import bring
from wizard.session import Session
from wizard.steps import StepOutcome
from wizard.workspace import Workspace


def brings_something(args: argparse.Namespace) -> bool:
    pairs = (("--ca-cert", args.ca_cert, "--ca-key", args.ca_key), ("--server-cert", args.server_cert, "--server-key", args.server_key))
    for first, first_value, second, second_value in pairs:
        if bool(first_value) != bool(second_value):
            raise InputError(_("{first} and {second} go together: give both files").format(first=first, second=second))
    if args.server_chain and not args.server_cert:
        raise InputError(_("--server-chain goes with --server-cert and --server-key"))
    return bool(args.ca_cert or args.server_cert)


def _key_password(check: Callable[[str | None], object], role: str) -> str | None:
    """The password that opens the key `check` reads (the "ca" or "server" key): none, or
    (for an encrypted key) typed on a terminal."""
    try:
        check(None)
        return None
    except bring.KeyPasswordNeeded:
        if not sys.stdin.isatty():
            encrypted = (_("the CA key is encrypted: run this on a terminal to type its password, "
                           "or decrypt a copy first (openssl pkey -in KEY -out plain.key)") if role == "ca" else
                         _("the server key is encrypted: run this on a terminal to type its password, "
                           "or decrypt a copy first (openssl pkey -in KEY -out plain.key)"))
            raise InputError(encrypted) from None
    secret = getpass.getpass(_("Password of the CA key: ") if role == "ca" else _("Password of the server key: "))
    check(secret)  # a wrong password fails here, before anything is written
    return secret


def _chain(args: argparse.Namespace) -> Path | None:
    return Path(args.server_chain) if args.server_chain else None


def check_brought(args: argparse.Namespace, session: Session) -> tuple[str | None, str | None]:
    """Every brought file checked (and an encrypted key's password asked for) before the
    workspace is touched: (the CA key's password, the server key's password)."""
    ca_secret = server_secret = None
    if args.ca_cert:
        ca_secret = _key_password(lambda secret: bring.checked_ca(Path(args.ca_cert), Path(args.ca_key), secret), "ca")
    if args.server_cert:
        server_secret = _key_password(lambda secret: bring.checked_server(
            Path(args.server_cert), Path(args.server_key), _chain(args), session.server_cn, secret), "server")
    return ca_secret, server_secret


def generate_with_brought(args: argparse.Namespace, ws: Workspace, session: Session, password: str,
                          secrets: tuple[str | None, str | None], *, unlock: Unlock | None = None,
                          protect: str | None = None) -> list[StepOutcome]:
    """Steps 1-3 with the brought files (checked by `check_brought`) in place of what `generate` would make
    (`unlock`: what opens a reused CA key under a passphrase; `protect`: the passphrase for a new one)."""
    ca_secret, server_secret = secrets
    replace_leaves = args.force or args.new_ca
    leaves_unlock = ca_key.given(protect) if protect else unlock  # a new CA key under `protect` opens with it
    with ws.locked():  # the three steps as one change
        steps.check_generate(ws, replace_leaves, args.new_ca, unlock)  # generate's own refusals, before anything is written
        if args.ca_cert:
            ca = bring.bring_ca(ws, Path(args.ca_cert), Path(args.ca_key), password=ca_secret, replace=args.new_ca, protect=protect)
        else:
            ca = steps.create_ca(ws, session, replace=args.new_ca, protect=protect)
        if args.server_cert:
            server = bring.bring_server(ws, Path(args.server_cert), Path(args.server_key), chain_file=_chain(args),
                                        server_name=session.server_cn, password=server_secret, force=replace_leaves)
        else:
            server = steps.issue_server(ws, session, force=replace_leaves, unlock=leaves_unlock)
        client = steps.issue_client(ws, session, password, force=replace_leaves, unlock=leaves_unlock)
    return [ca, server, client]
