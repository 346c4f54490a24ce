"""`serve`: the practice load balancer serving a listener built from the workspace as it is
(nothing recorded: for scripts), in the foreground until Ctrl+C or SIGTERM; and what `practice`
shares with it (the banner's lines, running until stopped)."""

from __future__ import annotations

import ipaddress
import shlex
import signal
import threading
from collections.abc import Callable
from typing import Any

from wizard.cli.common import check_listen_address, resolve_workspace
from wizard.defaults import PROG
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.handshake import format_address
from wizard.practice import PracticeLoadBalancer
from wizard.safe_text import printable
from wizard.workspace import Workspace, read_bytes


class _Shutdown(Exception):
    """SIGTERM, turned into the same clean stop as Ctrl+C."""


def _server_name(ws: Workspace) -> str | None:
    """The server certificate's CN, the name clients (and `check`) verify; None if unreadable."""
    from wizard import pki

    try:
        cn = pki.cn_of(pki.load_cert_pem(read_bytes(ws.cert("server")), _("server certificate")).subject)
        return pki.normalise_name(cn) if cn else None
    except (OSError, WizardError):  # the listener itself reports an unusable certificate
        return None


def _local_address(host: str) -> str:
    """Where a client on this machine reaches a listener bound to `host` (0.0.0.0 and :: mean loopback)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def curl_command(ws: Workspace, server: PracticeLoadBalancer) -> str:
    """A curl line that works as printed: it asks for the certificate's name and connects here."""
    address = _local_address(server.host)
    bracketed = f"[{address}]" if ":" in address else address
    name = _server_name(ws) or address
    base = ["curl", "--cacert", str(ws.cert("ca")), "--cert", str(ws.cert("client")), "--key", str(ws.key("client"))]
    if name == address:
        return shlex.join([*base, f"https://{bracketed}:{server.port}/"])
    try:
        ipaddress.ip_address(name)
    except ValueError:  # a host name: resolve it to this listener
        return shlex.join([*base, "--resolve", f"{name}:{server.port}:{bracketed}", f"https://{name}:{server.port}/"])
    url_name = f"[{name}]" if ":" in name else name  # an IP address: curl resolves nothing, so redirect the connection
    return shlex.join([*base, "--connect-to", f"{url_name}:{server.port}:{bracketed}:{server.port}", f"https://{url_name}:{server.port}/"])


def _setup_line(ws: Workspace, server: PracticeLoadBalancer, args: Any) -> str:
    """What the listener presents and whom it refuses, how."""
    if server.client_auth == "post-handshake":
        line = _("  server certificate {server_cert}, client CA {ca_cert}; the certificate is asked for after the request "
                 "(TLS 1.3 post-handshake auth, like Apache per location); refusals are TLS alerts")
    elif args.reject_with == "alert":
        line = _("  server certificate {server_cert}, client CA {ca_cert}; clients without a certificate get a TLS alert")
    elif args.reject_with == "app400":
        line = _("  server certificate {server_cert}, client CA {ca_cert}; clients without a certificate get through TLS and the application "
                 "answers HTTP 400: a listener that does not enforce mutual TLS (check must FAIL it)")
    else:
        line = _("  server certificate {server_cert}, client CA {ca_cert}; clients without a certificate get "
                 'HTTP 400 "No required SSL certificate was sent", a stranger\'s certificate "The SSL certificate error" (nginx\'s '
                 "and ELB's pages)")
    return line.format(server_cert=ws.relative(ws.cert("server")), ca_cert=ws.relative(ws.cert("ca")))


def try_lines(ws: Workspace, server: PracticeLoadBalancer) -> None:
    """The check line and the curl line, each working as printed."""
    address = _local_address(server.host)
    check = shlex.join([PROG, "check", format_address(address, server.port), "--workspace", str(ws.root)])
    print(_("  try:  {command}").format(command=check))
    print(f"        {curl_command(ws, server)}")


def _banner(ws: Workspace, server: PracticeLoadBalancer, args: Any) -> None:
    print(_("Practice load balancer on {url}  (port {port}; serve: a listener built from the workspace, nothing "
            "recorded)").format(url=server.url, port=server.port), flush=True)
    print(_setup_line(ws, server, args))
    try_lines(ws, server)
    if server.forward_client_cert:
        print(_("  its backend receives the client-certificate headers ELB would forward: {fields}").format(
            fields=", ".join(server.forward_client_cert)))
    print(_("  Ctrl+C stops it."), flush=True)


def _forwarded_fields(ws: Workspace, args: Any) -> tuple[str, ...]:
    """--forward-client-cert, else what step 6 chose for the listener (the session's)."""
    from wizard.cli.common import open_session
    from wizard.elb import validate_forward_fields

    given = getattr(args, "forward_client_cert", None)
    if given:
        return tuple(validate_forward_fields(given))
    _store, session = open_session(ws.root)
    return tuple(session.forward_client_cert)


def log_line(line: str) -> None:
    print(printable(line), flush=True)  # client certificate subjects are the client's choice


def run_until_stopped(server: PracticeLoadBalancer, banner: Callable[[], None]) -> None:
    """Serve in the foreground until Ctrl+C or SIGTERM; then stop and say so."""

    def on_term(signum: int, frame: object) -> None:
        raise _Shutdown

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # Before anything is printed (a script may signal as soon as it reads the first line), and
        # explicit, because a process started in the background by a shell inherits "ignore SIGINT".
        previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, on_term), signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler)}
    try:
        server.start()
        banner()
        threading.Event().wait()
    except (KeyboardInterrupt, _Shutdown):
        pass
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("\n" + _("Practice load balancer stopped. Goodbye."), flush=True)


def serve_command(args: Any) -> int:
    check_listen_address(args.host, getattr(args, "public", False))  # loopback unless --public
    ws = Workspace(resolve_workspace(getattr(args, "workspace", None)))
    server = PracticeLoadBalancer(ws, host=args.host, port=args.port, reject_with=args.reject_with, log=log_line,
                                  client_auth=getattr(args, "client_auth", "handshake"), forward_client_cert=_forwarded_fields(ws, args))
    run_until_stopped(server, lambda: _banner(ws, server, args))
    return 0
