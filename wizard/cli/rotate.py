"""`rotate`: unattended renewal, upload, listener move and proof, one line per action (for cron)."""

from __future__ import annotations

import argparse
import os
import sys

from wizard import backend, handshake
from wizard import ca_key
from wizard.cli.common import open_session, read_secret_file, resolve_workspace, save_session, warn
from wizard.cli.passphrase import ca_passphrase
from wizard.cli.elb import api_timeout
from wizard.defaults import PROG
from wizard.environment import PASSWORD_ENV
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.rotate import PERSON, WARNING, RotateOptions, rotate
from wizard.safe_text import printable
from wizard.cli.backend import print_kit_refresh
from wizard.workspace import Workspace


def _log(line: str) -> None:
    if line.startswith(WARNING):
        warn(line[len(WARNING):])
    elif line.startswith(PERSON):
        print(_("{prog}: needs a person: {message}").format(prog=PROG, message=printable(line[len(PERSON):])), file=sys.stderr, flush=True)
    else:
        print(printable(line), flush=True)


def rotate_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    if not ws.root.is_dir():
        raise WizardError(_("there is no workspace at {path}: give --workspace DIR").format(path=ws.root))
    password = read_secret_file(args.p12_password_file) if args.p12_password_file else os.environ.get(PASSWORD_ENV) or None
    passphrase = ca_passphrase(args.ca_password_file, ask=False)  # unattended: never a prompt
    if passphrase is not None and ca_key.is_encrypted(ws):
        ca_key.check_passphrase(ws, passphrase)  # a wrong one: one line, exit 1, before anything is renewed
    options = RotateOptions(
        within_days=args.within_days, dry_run=args.dry_run, clients=tuple(dict.fromkeys(args.client)), p12_password=password,
        check=handshake.parse_address(args.check) if args.check else None, no_check=args.no_check, check_wait=args.check_wait,
        timeout=api_timeout(args.timeout), unlock=ca_key.given(passphrase),
    )
    store, session = open_session(ws.root)
    try:
        report = rotate(ws, session, options, _log)
    finally:
        if not args.dry_run:
            save_session(store, session)  # what was renewed, uploaded or proved, also when a later part failed
    if report.changed and not args.dry_run and not print_kit_refresh(ws, backend.refresh_kits(ws)):
        return 1  # a backend kit left with an out-of-date deny-list needs a person
    return report.exit_code
