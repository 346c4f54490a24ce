"""The web face's server: textual-serve's `Server`, kept to its own pages, with a page of its own
and a clean start and stop. Imported only by `mtls-wizard web` (it needs the `web` extra).

What it changes from textual-serve: every request passes `request_refusal` (loopback names only,
no other site's pages); the page (assets/web/index.html) fetches nothing from another site and
finds its websocket at the address the browser used (an SSH tunnel may use another local port);
each tab's wizard is stopped when its tab closes or the server stops, and killed if it does not
quit; the port is reported once it really listens (or why it cannot).
"""

from __future__ import annotations

import asyncio
import errno
import html
import logging
import re
import signal
import socket
from collections.abc import Callable
from string import Template
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from wizard import assets_loader, i18n
from wizard.cli.common import is_loopback_host
from wizard.defaults import PROG
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.safe_text import printable

log = logging.getLogger("textual-serve")

MAX_TABS = 32  # each tab is a wizard process: enough for a training room, not for a flood
STOP_WAIT = 10.0  # seconds a tab's wizard has to write its session and quit before it is killed
PAGE_LANGUAGES = {"zh_CN": "zh-CN"}
# What a Host header may hold: a name or IPv4 address, or an IPv6 address in brackets, and a port.
_HOST_HEADER = re.compile(r"^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?\Z")


def request_refusal(host_header: str, origin: str | None, *, exposed: bool) -> str | None:
    """Why the server must refuse a request, or None.

    On loopback the page answers only to a loopback name: a site whose name is made to point at
    127.0.0.1 (DNS rebinding) is refused. Anywhere, a browser request sent for a page of another
    site (its Origin differs from the address asked) is refused: a browser opens a websocket to
    any address a page asks for, so this is what keeps other sites' pages from driving the wizard.
    """
    if not _HOST_HEADER.match(host_header):
        return _("the request names no valid address (Host header): open the address {prog} web printed").format(prog=PROG)
    name = urlsplit(f"//{host_header}").hostname or ""
    if not exposed and not is_loopback_host(name):
        return _("this wizard answers only at a loopback address: open http://127.0.0.1 with the port {prog} web printed").format(prog=PROG)
    if origin is not None and urlsplit(origin).netloc.lower() != host_header.lower():
        return _("a page of another site ({origin}) may not use this wizard").format(origin=printable(origin)[:200])
    return None


class WizardWebServer(Server):
    def __init__(self, command: str, host: str, port: int, *, exposed: bool) -> None:
        super().__init__(command, host=host, port=port, title=PROG)
        self.page = Template(assets_loader.read_text("web/index.html"))
        if not self.page.template:
            raise WizardError(_("the web page (assets/web/index.html) is missing from this installation: reinstall {prog}").format(prog=PROG))
        self.exposed = exposed
        self._tabs: set[web.WebSocketResponse] = set()
        self._wizards: set[AppService] = set()  # each tab's wizard, until it has ended

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        refusal = request_refusal(request.headers.get("Host", ""), request.headers.get("Origin"), exposed=self.exposed)
        if refusal is not None:
            raise web.HTTPForbidden(text=refusal)
        response: web.StreamResponse = await handler(request)
        return response

    async def handle_index(self, request: web.Request) -> web.Response:  # type: ignore[override]
        scheme = "wss" if request.secure else "ws"
        values = {
            "language": PAGE_LANGUAGES.get(i18n.current_language(), i18n.current_language()),
            "title": PROG,
            "starting": _("Starting the wizard…"),
            "ended": _("This wizard has ended (its session is saved)."),
            "again": _("Start again"),
            "websocket_url": f"{scheme}://{request.host}/ws",  # the address the browser used (checked by _guard)
            "font_size": str(min(max(to_int(request.query.get("fontsize", "16"), 16), 8), 48)),
        }
        body = self.page.substitute({name: html.escape(value, quote=True) for name, value in values.items()})
        return web.Response(text=body, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser tab: its own wizard process, fed the tab's keys and size, until either ends."""
        if len(self._tabs) >= MAX_TABS:
            raise web.HTTPServiceUnavailable(text=_("{count} wizards are open already: close a tab first").format(count=MAX_TABS))
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        self._tabs.add(websocket)
        wizard = AppService(self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str, close=websocket.close,
                            download_manager=self.download_manager)
        self._wizards.add(wizard)
        try:
            await wizard.start(_cells(request, "width", 80), _cells(request, "height", 24))
            await self._process_messages(websocket, wizard)
        except Exception as error:  # noqa: BLE001 - a broken tab must not stop the others
            log.warning("a browser tab ended: %s", error)
        finally:
            self._tabs.discard(websocket)
            await self.download_manager.cancel_app_downloads(app_service_id=wizard.app_service_id)
            await _stop(wizard)  # (when the server stops, this may be cut short: _serve ends it then)
            self._wizards.discard(wizard)
            await websocket.close()
        return websocket

    async def on_startup(self, app: web.Application) -> None:
        """(textual-serve prints a banner here; `run` announces the address once it listens.)"""

    async def on_shutdown(self, app: web.Application) -> None:
        # Closing a tab's websocket ends its loop above, which stops its wizard.
        await asyncio.gather(*(tab.close(code=WSCloseCode.GOING_AWAY) for tab in list(self._tabs)), return_exceptions=True)

    def run(self, announce: Callable[[int], None]) -> None:
        """Serve until Ctrl+C or SIGTERM; `announce(port)` once the port listens."""
        asyncio.run(self._serve(announce))

    async def _serve(self, announce: Callable[[int], None]) -> None:
        runner = web.AppRunner(await self._make_app(), handle_signals=False, access_log=None, shutdown_timeout=STOP_WAIT + 5)
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, self.host, self.port).start()
            except OSError as error:
                raise WizardError(_listen_problem(self.host, self.port, error)) from None
            announce(runner.addresses[0][1])
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
        finally:
            await runner.cleanup()
            await asyncio.gather(*(_stop(wizard) for wizard in list(self._wizards)))  # no tab's wizard outlives the server


def _cells(request: web.Request, name: str, default: int) -> int:
    return min(max(to_int(request.query.get(name, str(default)), default), 10), 1000)


async def _stop(wizard: AppService) -> None:
    """Ask a tab's wizard to quit (it writes its session first) and wait; kill it if it does not quit."""
    process = getattr(wizard, "_process", None)  # textual-serve keeps the process to itself
    if process is None or process.returncode is not None:
        return
    try:
        await wizard.send_meta({"type": "quit"})
        await asyncio.wait_for(process.wait(), STOP_WAIT)
    except (asyncio.TimeoutError, ConnectionError, RuntimeError):
        if process.returncode is None:
            process.kill()
            await process.wait()


def _listen_problem(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return _("port {port} on {host} is taken by another program: choose another with --port").format(port=port, host=printable(host))
    if error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
        return _("{host} is not an address of this machine: leave --host out (127.0.0.1) or give one of its addresses").format(host=printable(host))
    reason = error.strerror or str(error)
    return _("cannot listen on {host} port {port}: {reason}").format(host=printable(host), port=port, reason=reason)
