"""`web`: the wizard in a browser, for a training room (textual-serve, the `web` extra).

textual-serve starts one process per browser tab: this very `mtls-wizard`, with the workspace
and language given here. Each tab is its own session; two tabs on one workspace take its lock in
turn, as two terminals do, and say the same when one waits too long.

textual-serve has no access control: whoever reaches the page drives a wizard that issues
certificates from the CA and hands out private keys. So it listens on loopback unless the person
says, with a flag that names the risk, that anyone who reaches it may use it; and every request
whose Host or Origin shows another site (a page elsewhere steering this one through the user's
own browser) is refused (`web_server.request_refusal`).
"""

from __future__ import annotations

import shlex
import socket
import sys
from pathlib import Path
from typing import Any

from wizard.cli.common import is_loopback_host, resolve_workspace, warn
from wizard.defaults import PROG
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.safe_text import printable


def tab_command(workspace: Path | None, language: str | None) -> str:
    """The shell command textual-serve runs for each browser tab: this mtls-wizard, on the Python
    it runs on now (whatever PATH the server has), with the workspace and language given. `exec`:
    the wizard replaces the shell, so the process the server stops (or kills) is the wizard."""
    argv = [sys.executable, "-m", "wizard"]
    if workspace is not None:
        argv += ["--workspace", str(workspace)]
    if language:
        argv += ["--lang", language]
    return "exec " + shlex.join(argv)


def _url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def _announce(host: str, port: int, workspace: Path | None, exposed: bool) -> None:
    print(_("The wizard in a browser: {url}").format(url=_url(host, port)), flush=True)
    if workspace is not None:
        print(_("  each browser tab runs its own wizard on {workspace}").format(workspace=printable(workspace)))
    else:
        print(_("  each browser tab runs its own wizard and asks for its workspace folder"))
    if not exposed:
        target = f"[{host}]" if ":" in host else host
        print(_("  from another computer: ssh -L {port}:{target}:{port} {machine}, then open http://127.0.0.1:{port}/ there").format(
            port=port, target=target, machine=printable(socket.gethostname())))
    print(_("  Ctrl+C stops it, and every wizard it started."), flush=True)


def _check_host(host: str, anyone_can_connect: bool) -> bool:
    """Whether other machines can reach `host` (allowed only with the flag that names the risk)."""
    if is_loopback_host(host):
        return False
    if not anyone_can_connect:
        raise InputError(_("--host {host} lets other machines open the wizard, and the page has no password: whoever reaches it can "
                           "issue certificates from this CA and download its private keys. Leave --host out (127.0.0.1) and reach it "
                           "over SSH, or add --i-understand-anyone-can-connect").format(host=printable(host)))
    warn(_("listening on {host}: whoever reaches this page can issue certificates from this CA and download its private keys "
           "(there is no password); stop it when the training is over").format(host=printable(host)))
    return True


def _server_class() -> Any:
    try:
        from wizard.cli.web_server import WizardWebServer
    except ImportError:
        raise WizardError(_("{prog} web needs textual-serve, which is not installed: pip install 'mtls-wizard[web]' "
                            "(in a checkout: pip install '.[web]')").format(prog=PROG)) from None
    return WizardWebServer


def web_command(args: Any) -> int:
    exposed = _check_host(args.host, getattr(args, "anyone_can_connect", False))
    server_class = _server_class()
    workspace = resolve_workspace(args.workspace) if getattr(args, "workspace", None) else None
    command = tab_command(workspace, getattr(args, "lang", None))
    server = server_class(command, args.host, args.port, exposed=exposed)
    server.run(lambda port: _announce(args.host, port, workspace, exposed))
    print(_("The web wizard stopped. Goodbye."), flush=True)
    return 0
