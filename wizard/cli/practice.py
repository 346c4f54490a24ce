"""`practice`: steps 4-6 on the practice load balancer from the workspace, recorded as uploads
are, then that listener served on this machine until Ctrl+C or SIGTERM."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from wizard.cli.common import open_session, resolve_workspace, save_session, warn
from wizard.cli.serve import log_line, run_until_stopped, try_lines
from wizard.defaults import PROG
from wizard.errors import InputError
from wizard.elb.headers import header_names
from wizard.i18n import _
from wizard.practice import PracticeLoadBalancer, records
from wizard.practice.records import PracticeResult
from wizard.record import choose_route, record
from wizard.safe_text import printable
from wizard.workspace import Workspace

CA_OPTION = {"yours": "ca", "other": "other_ca"}


def _loopback_only(host: str) -> None:
    """The practice load balancer stays on this machine: InputError for any other address."""
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host.lower().rstrip(".") == "localhost"
    if not loopback:
        raise InputError(_("--host {host}: the practice load balancer listens on this machine only: give 127.0.0.1, ::1 or "
                           "localhost (serve --public reaches other machines)").format(host=printable(host)))


def _free_port(host: str) -> int:
    """A port nobody listens on now (--port 0), so the listener is recorded with the port it serves."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _steps_lines(result: PracticeResult) -> list[str]:
    listener = result.records["listener"]
    lines = []
    for role, step, what in (("server", 4, _("server certificate")), ("ca", 5, _("CA certificate"))):
        cert_id = result.records[role]["id"]
        said = (_("step {step}: the {what} is held by the practice load balancer as {cert_id} (the same one, kept)") if role in result.reused
                else _("step {step}: the {what} added to the practice load balancer as {cert_id}"))
        lines.append(said.format(step=step, what=what, cert_id=cert_id))
    if listener.get("ssl_auth") == "one-way":
        auth = _("one-way authentication (no client certificate asked for)")
    elif listener.get("ca_choice") == "other_ca":
        auth = _("mutual authentication, CA certificate {cert_id} (another team's CA, not yours)").format(cert_id=listener["ca_cert_id"])
    else:
        auth = _("mutual authentication, CA certificate {cert_id}").format(cert_id=listener["ca_cert_id"])
    fields = [item for item in listener.get("forward_client_cert", "").split(",") if item]
    lines.append(_("step 6: listener {listener_id}, HTTPS on port {port}: {auth}, policy {policy}").format(
        listener_id=listener["id"], port=listener["port"], auth=auth, policy=listener["tls_policy"]))
    lines.append("  " + (_("client-certificate headers for the backend: {headers}").format(headers=", ".join(header_names(fields)))
                         if fields else _("client-certificate headers for the backend: none")))
    lines.append("  " + (_("backend: {url}").format(url=listener["backend"]) if listener.get("backend")
                         else _("backend: the built-in one (it answers with the client-certificate headers it received)")))
    return lines


def _banner(ws: Workspace, server: PracticeLoadBalancer) -> None:
    print(_("Practice load balancer on {url}  (port {port})").format(url=server.url, port=server.port), flush=True)
    try_lines(ws, server)
    print(_("  Ctrl+C stops it; {prog} practice --ssl-auth one-way serves the same listener without mutual authentication, "
            "for check to FAIL.").format(prog=PROG), flush=True)


def practice_command(args: Any) -> int:
    _loopback_only(args.host)
    ws = Workspace(resolve_workspace(getattr(args, "workspace", None)))
    store, session = open_session(ws.root)
    port = _free_port(args.host) if args.port == 0 else args.port
    choices = records.choices_from(session, ws, port=port, ssl_auth=args.ssl_auth, ca=CA_OPTION.get(args.ca) if args.ca else None,
                                   tls_policy=args.tls_policy, forward_client_cert=args.forward_client_cert, backend=args.backend,
                                   host=args.host)
    result = records.practise(ws, choices)
    for warning in result.warnings:
        warn(warning)
    if choose_route(session, "practice"):
        print(_("The wizard now takes the practice route (steps 4-7 on the practice load balancer); its first page switches back to ELB."))
    record(session, result)
    session.practice_port, session.ssl_auth, session.practice_ca = choices.port, choices.ssl_auth, choices.ca
    session.tls_policy, session.forward_client_cert = choices.tls_policy, list(choices.forward_client_cert)
    session.current_step = max(session.current_step, 7)
    save_session(store, session)
    for line in _steps_lines(result):
        print(line)
    print(_("Recorded in {path} and the session (marked as practice).").format(path=ws.relative(ws.elb_dir / "uploaded.json")))
    server = records.balancer_for(ws, result.records["listener"], log=log_line)
    run_until_stopped(server, lambda: _banner(ws, server))
    return 0
