"""Strict addresses on the command line: `check`, `rotate --check` and `serve --host` take a
dotted-quad IPv4 address, an IPv6 address or a DNS name, and refuse everything the system would
quietly read as some other address, in one line (exit 2), before any connection is made."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from wizard import cli
from wizard.workspace import Workspace


@pytest.fixture
def watched_port() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1 that no connection may reach."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener


def assert_never_reached(listener: socket.socket) -> None:
    listener.setblocking(False)
    with pytest.raises(BlockingIOError):  # a connection, even one closed at once, would wait here to be accepted
        listener.accept()


# Each of these reaches 127.0.0.1 through the system's resolver: refused, the listener must see nothing.
LOOPBACK_IN_DISGUISE = ["127.1", "0177.0.0.1", "0x7f.1", "0x7f000001", "2130706433", "0.0.0.0"]


@pytest.mark.parametrize("host", LOOPBACK_IN_DISGUISE)
def test_check_refuses_a_disguised_address_and_connects_nowhere(cli, pki_workspace: Workspace, watched_port: socket.socket, host: str) -> None:  # noqa: ANN001
    port = watched_port.getsockname()[1]
    result = cli("check", f"{host}:{port}", "-w", str(pki_workspace.root), "--timeout", "2")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""  # not even "Checking ..."
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mtls-wizard: error: '{host}:{port}': "), lines
    assert "would be read as 127.0.0.1" in lines[0] or "unspecified address" in lines[0]
    assert_never_reached(watched_port)


@pytest.fixture
def no_traffic(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """In this process, any name look-up or connection fails the test (the addresses below would
    leave this machine if they were taken: 0.0.0.1, a DNS server)."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise AssertionError(f"traffic attempted: {args!r}")

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection"):
        monkeypatch.setattr(socket, name, refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.mark.parametrize(("address", "understood"), [
    ("1:8443", "'1' would be read as 0.0.0.1"),
    ("127.0.0.300:443", "is neither an IPv4 address"),
    ("255.255.255.255:443", "broadcast"),
    ("[ff02::1]:443", "multicast"),
    ("[::]:443", "unspecified"),
    (".".join(["part"] * 60) + ".example:443", "a host name has at most 253"),
    ("x" * 64 + ".example:443", "more than 63 characters"),
])
def test_check_refuses_before_any_look_up(pki_workspace: Workspace, no_traffic: list[object], capsys: pytest.CaptureFixture[str],
                                          address: str, understood: str) -> None:
    code = cli.main(["check", address, "-w", str(pki_workspace.root), "--timeout", "2"])
    out, err = capsys.readouterr()
    assert code == 2 and no_traffic == []
    assert out == "" and err.count("\n") == 1 and understood in err, err


def test_rotate_check_refuses_a_disguised_address(cli, pki_workspace: Workspace) -> None:  # noqa: ANN001
    run = cli("rotate", "-w", str(pki_workspace.root), "--within-days", "3", "--check", "127.1:8443")
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "'127.1' would be read as 127.0.0.1" in run.stderr


@pytest.mark.parametrize(("host", "understood"), [
    ("127.1", "would be read as 127.0.0.1"), ("0177.0.0.1", "would be read as 127.0.0.1"),
    ("224.0.0.1", "multicast"), ("255.255.255.255", "broadcast"), ("127.0.0.300", "neither an IPv4 address"),
    ("x" * 300, "a host name has at most 253"),
])
def test_serve_refuses_a_listen_address_the_system_would_read_otherwise(cli, pki_workspace: Workspace, host: str, understood: str) -> None:  # noqa: ANN001
    run = cli("serve", "-w", str(pki_workspace.root), "--host", host, "--port", "0", timeout=30)
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "--host" in lines[0] and understood in lines[0], lines
