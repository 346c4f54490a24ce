"""`backend nginx|haproxy|apache --out DIR`: the backend kit, and what `client revoke` prints after
rewriting the kits' deny-lists."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wizard import backend
from wizard.cli.common import open_session, resolve_workspace, warn
from wizard.defaults import PROG
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.safe_text import printable
from wizard.session import Session
from wizard.workspace import Workspace


def _fields(args: argparse.Namespace, session: Session) -> list[str]:
    """--forward-client-cert, else step 6's choice, else what the kit needs (with a note)."""
    if args.forward_client_cert:
        return list(args.forward_client_cert)
    if session.forward_client_cert:
        return list(session.forward_client_cert)
    print(_("Step 6 forwards no client-certificate header yet: the kit reads {fields}. Turn them on for the listener "
            "({prog} elb export|upload --forward-client-cert FIELD, or the console).").format(
        fields=", ".join(backend.DEFAULT_FIELDS), prog=PROG))
    return list(backend.DEFAULT_FIELDS)


def _lb_sources(args: argparse.Namespace, session: Session) -> list[str]:
    """--lb-source, else the shared load balancers' range (a dedicated one has no default)."""
    if args.lb_source:
        return list(args.lb_source)
    if session.lb_type == "dedicated":
        raise InputError(_("a dedicated load balancer reaches its backends from addresses of its backend subnet: "
                           "give that subnet with --lb-source CIDR"))
    if session.lb_type != "shared":
        print(_("Client-certificate headers are believed from {cidr}, where shared load balancers come from; "
                "for a dedicated one give its backend subnet with --lb-source CIDR.").format(cidr=backend.SHARED_LB_SOURCE))
    return [backend.SHARED_LB_SOURCE]


def backend_command(args: argparse.Namespace) -> int:
    ws = Workspace(resolve_workspace(args.workspace))
    if not args.out.strip():
        raise InputError(_("--out is empty: give the folder for the kit, e.g. --out /etc/nginx/mtls-wizard"))
    if not ws.cert("ca").exists():
        raise WizardError(_("no CA in {path} yet: run {prog} generate (or the wizard's step 1) first").format(path=ws.root, prog=PROG))
    _store, session = open_session(ws.root)
    spec = backend.make_spec(args.server, Path(args.out), _lb_sources(args, session), _fields(args, session))
    written = backend.write_kit(ws, spec)
    _print_written(written)
    return 0


def _print_written(written: backend.WrittenKit) -> None:
    spec = written.spec
    print(_("Backend kit for {server} written to {path}:").format(server=spec.server, path=printable(spec.out)))
    for path in written.files:
        print(f"  {printable(path)}")
    print(_("Add to the configuration ({where}):").format(where=_(written.where)))
    for line in written.include:
        print(f"  {printable(line)}")
    print(_("Then test and reload: {test} && {reload}").format(test=written.test, reload=written.reload))
    print(_("Refused with 403: client-certificate headers from elsewhere than {sources} (forged), requests without a verified "
            "client certificate, and the {count} revoked certificate(s).").format(sources=", ".join(spec.lb_sources), count=len(written.deny.serials)))
    print(_("Headers read: {headers}").format(headers=", ".join(f"{name} ({field})" for field, name in spec.headers().items())))
    if spec.header("fingerprint") and not spec.header("serialnumber") and written.deny.without_sha1:
        warn(_("{count} revoked certificate(s) are no longer in the workspace, so their SHA-1 fingerprint is unknown: "
               "forward the serial number too (serialnumber)").format(count=len(written.deny.without_sha1)))
    print(_("Echo for `{prog} check`: {path} (the load balancer's addresses only)").format(prog=PROG, path=backend.ECHO_PATH))
    print(_("After each `{prog} client revoke` the deny-list here is rewritten; then run: {reload}").format(prog=PROG, reload=written.reload))


def print_kit_refresh(ws: Workspace, refreshed: list[backend.RefreshedKit]) -> bool:
    """What `refresh_kits` did, for `client revoke`, `client crl` (and a CA rotation); False when a
    kit could not be rewritten (its deny-list is then out of date)."""
    for kit in refreshed:
        if kit.problem:
            print(_("{prog}: error: {message}").format(prog=PROG, message=_("the {server} kit was not updated: {reason}").format(
                server=kit.spec.server, reason=kit.problem)), file=sys.stderr)
            continue
        files = ", ".join(path.name for path in kit.files)
        print(_("  backend kit for {server} updated in {path} ({files}); reload: {reload}").format(
            server=kit.spec.server, path=printable(kit.spec.out), files=files, reload=kit.reload))
    return not any(kit.problem for kit in refreshed)
