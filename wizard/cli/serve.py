"""`serve`: the rehearsal listener in the foreground, until Ctrl+C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from typing import Any

from wizard.cli.common import resolve_workspace
from wizard.defaults import PROG
from wizard.rehearsal import RehearsalServer
from wizard.workspace import Workspace


class _Shutdown(Exception):
    """SIGTERM, turned into the same clean stop as Ctrl+C."""


def serve_command(args: Any) -> int:
    ws = Workspace(resolve_workspace(getattr(args, "workspace", None)))

    def log(line: str) -> None:
        print(line, flush=True)

    server = RehearsalServer(ws, host=args.host, port=args.port, reject_with=args.reject_with, log=log)
    server.start()
    style = "a TLS alert" if args.reject_with == "alert" else 'HTTP 400 "No required SSL certificate was sent"'
    print(f"Rehearsal mTLS listener on {server.url}  (port {server.port})", flush=True)
    print(f"  server certificate {ws.relative(ws.cert('server'))}, client CA {ws.relative(ws.cert('ca'))}; clients without a certificate get {style}")
    print(f"  try:  {PROG} check {server.address} --workspace {ws.root}")
    print(f"        curl --cacert {ws.cert('ca')} --cert {ws.cert('client')} --key {ws.key('client')} {server.url}")
    print("  Ctrl+C stops it.", flush=True)

    def on_term(signum: int, frame: object) -> None:
        raise _Shutdown

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # Explicit, because a process started in the background by a shell inherits "ignore SIGINT".
        previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, on_term), signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler)}
    try:
        threading.Event().wait()
    except (KeyboardInterrupt, _Shutdown):
        pass
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("\nRehearsal listener stopped. Goodbye.", flush=True)
    return 0
