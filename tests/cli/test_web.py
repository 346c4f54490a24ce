"""`mtls-wizard web`: loopback only unless a flag names the risk, a page of its own that fetches
nothing from elsewhere, requests from other sites refused, one-line errors, a clean stop.

The server is the installed command, run as a person runs it; the requests are plain HTTP on
127.0.0.1. (A browser walking the wizard: tests/tui/test_web_browser.py.)
"""

from __future__ import annotations

import http.client
import re
import shlex
import socket
import sys
from pathlib import Path

import pytest
from support.web_wizard import WebWizard

from wizard.cli import main
from wizard.cli.web import tab_command
from wizard.cli.web_server import request_refusal


def get(url: str, path: str = "/", **headers: str) -> tuple[int, str]:
    address = url.removeprefix("http://").rstrip("/")
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def listening_addresses(port: int) -> list[str]:
    """The local addresses listening on `port`, as the kernel lists them (hex, /proc/net/tcp*)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, _remote, state = line.split()[1:4]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                found.append(address)
    return found


def test_it_listens_on_127_0_0_1_only_with_a_page_that_fetches_nothing_from_elsewhere(console_command: str, tmp_path: Path) -> None:
    with WebWizard(console_command, "--workspace", str(tmp_path / "ws"), cwd=tmp_path) as web:
        port = int(web.url.rstrip("/").rsplit(":", 1)[1])
        assert listening_addresses(port) == ["0100007F"]  # 127.0.0.1, and no IPv6 or wildcard socket
        status, page = get(web.url)
        assert status == 200
        links = re.findall(r'(?:src|href)="([^"]*)"', page)
        assert links and all(link.startswith("/static/") for link in links), links
        assert "googleapis" not in page and "http://" not in page.replace(f'ws://127.0.0.1:{port}/ws', "")
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
        # Reached through a tunnel under another name or port, the page finds its websocket there.
        assert 'data-session-websocket-url="ws://localhost:9999/ws"' in get(web.url, Host="localhost:9999")[1]
        # A name made to point at 127.0.0.1 (DNS rebinding), another site's page: refused.
        status, text = get(web.url, Host=f"attacker.example:{port}")
        assert status == 403 and "loopback" in text
        status, text = get(web.url, "/ws", Origin="http://attacker.example", Connection="Upgrade", Upgrade="websocket",
                           **{"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
        assert status == 403 and "another site" in text
    assert web.returncode == 0 and "Goodbye" in web.output, web.output
    assert f"from another computer: ssh -L {port}:127.0.0.1:{port} " in web.output


def test_another_address_needs_the_flag_that_names_the_risk(cli) -> None:  # noqa: ANN001
    result = cli("web", "--host", "0.0.0.0")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "--i-understand-anyone-can-connect" in result.stderr and "private keys" in result.stderr and "SSH" in result.stderr


def test_with_the_flag_it_warns_then_says_why_it_cannot_listen(cli) -> None:  # noqa: ANN001
    # 192.0.2.1 (a documentation address) is no address of this machine: nothing is sent or bound.
    result = cli("web", "--host", "192.0.2.1", "--i-understand-anyone-can-connect", "--port", "0")
    assert result.returncode == 1
    warning, error = result.stderr.splitlines()
    assert "warning: listening on 192.0.2.1: whoever reaches this page can issue certificates from this CA" in warning
    assert "error: 192.0.2.1 is not an address of this machine" in error


def test_a_port_in_use_is_one_line(cli) -> None:  # noqa: ANN001
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("web", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip() == f"mtls-wizard: error: port {port} on 127.0.0.1 is taken by another program: choose another with --port"


def test_without_the_web_extra_one_line_says_what_to_install(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in [name for name in sys.modules if name.split(".")[0] == "textual_serve"] + ["textual_serve"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed: importing it fails
    monkeypatch.delitem(sys.modules, "wizard.cli.web_server", raising=False)
    assert main(["web", "--port", "0"]) == 1
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1 and "pip install 'mtls-wizard[web]'" in error and "Traceback" not in error


def test_each_tab_runs_this_mtls_wizard_with_the_workspace_and_language() -> None:
    folder = Path("/tmp/a folder; rm -rf x")
    assert shlex.split(tab_command(folder, "zh_CN")) == ["exec", sys.executable, "-m", "wizard", "--workspace", str(folder), "--lang", "zh_CN"]
    assert shlex.split(tab_command(None, None)) == ["exec", sys.executable, "-m", "wizard"]


@pytest.mark.parametrize(("host", "origin", "exposed", "refused"), [
    ("127.0.0.1:8000", None, False, None),
    ("127.0.0.1:8000", "http://127.0.0.1:8000", False, None),
    ("localhost:9000", "http://localhost:9000", False, None),  # an SSH tunnel on another local port
    ("[::1]:8000", "http://[::1]:8000", False, None),
    ("attacker.example:8000", None, False, "loopback"),  # DNS rebinding
    ("127.0.0.1:8000", "http://attacker.example", False, "another site"),
    ("127.0.0.1:8000", "null", False, "another site"),  # a sandboxed frame or a file
    ("127.0.0.1:8000", "http://127.0.0.1:8001", False, "another site"),
    ("trainer-pc:8000", "http://trainer-pc:8000", True, None),  # with --i-understand-anyone-can-connect
    ("trainer-pc:8000", "http://attacker.example", True, "another site"),
    ('127.0.0.1:8000"><script>', None, False, "no valid address"),
    ("", None, False, "no valid address"),
])
def test_what_the_server_refuses(host: str, origin: str | None, exposed: bool, refused: str | None) -> None:
    refusal = request_refusal(host, origin, exposed=exposed)
    assert (refusal is None) if refused is None else (refusal is not None and refused in refusal), refusal
