"""The API endpoint as an adversary: a peer that trickles, one that says nothing, one that
answers garbage, and a plain-http endpoint on another machine. `elb upload` runs as a real
process against a real socket on 127.0.0.1; every case is bounded in time and ends in one line."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from conftest import ELB_PROJECT, ELB_REGION, elb_session
from support.hostile_peer import HostilePeer

from wizard import elb
from wizard.errors import InputError
from wizard.workspace import Workspace

DEADLINE = 2  # --timeout, seconds


def _upload(cli, ws: Workspace, endpoint: str, env: dict[str, str], *extra: str):  # noqa: ANN001, ANN202
    started = time.monotonic()
    run = cli("elb", "upload", "-w", str(ws.root), "--region", ELB_REGION, "--project-id", ELB_PROJECT, "--endpoint", endpoint,
              "--timeout", str(DEADLINE), *extra, env=env, timeout=60)
    return run, time.monotonic() - started


@pytest.mark.timeout(90)
@pytest.mark.parametrize(("mode", "said"), [
    ("trickle", f"began to answer but did not finish within {DEADLINE} s"),
    ("silent", f"took the request but sent no answer within {DEADLINE} s"),
])
def test_a_stuck_peer_ends_the_upload_at_the_deadline_and_says_which_part(cli, own_ws: Workspace, cloud_env: dict, mode: str, said: str) -> None:  # noqa: ANN001
    with HostilePeer(mode) as peer:
        run, elapsed = _upload(cli, own_ws, peer.endpoint, cloud_env)
    assert run.returncode == 1, run.stderr
    [line] = run.stderr.strip().splitlines()
    assert said in line and peer.endpoint in line and "could not connect" not in line
    assert elapsed < DEADLINE + 15  # the deadline, the SDK's start-up and the grace; never "forever"
    assert len(peer.requests) == 1 and not peer.requests[0].startswith(b"POST")  # the lookup; nothing was uploaded


@pytest.mark.timeout(60)
def test_an_answer_that_is_not_json_stops_the_upload_before_any_key_is_sent(cli, own_ws: Workspace, cloud_env: dict) -> None:  # noqa: ANN001
    with HostilePeer("garbage") as peer:
        run, _elapsed = _upload(cli, own_ws, peer.endpoint, cloud_env)
    assert run.returncode == 1
    [line] = run.stderr.strip().splitlines()
    assert "answered with something that is not the ELB API's JSON ({not json)" in line and "nothing more was sent" in line
    sent = b"".join(peer.requests)
    assert sent and b"PRIVATE KEY" not in sent and not any(request.startswith(b"POST") for request in peer.requests)


@pytest.mark.timeout(60)
def test_the_deadline_leaves_no_call_running_and_no_connection_open(own_ws: Workspace, cloud_env: dict) -> None:
    """In one process (the TUI's case): after the deadline the worker is gone and the peer sees
    its connection closed."""
    with HostilePeer("trickle") as peer:
        with pytest.raises(elb.UploadFailed, match="did not finish within 1.5 s"):
            elb.upload(own_ws, elb_session(own_ws), region=ELB_REGION, project_id=ELB_PROJECT, endpoint=peer.endpoint, timeout=(1, 1.5))
        give_up = time.monotonic() + 5
        while (peer.cut == 0 or _calls_running()) and time.monotonic() < give_up:
            time.sleep(0.05)
        assert not _calls_running() and peer.cut == 1


def _calls_running() -> bool:
    return any(thread.name == "elb-api-call" for thread in threading.enumerate())


@pytest.mark.parametrize("endpoint", ["http://elb.example.com", "http://192.0.2.10:8080", "http://[2001:db8::1]"])
def test_plain_http_to_another_machine_is_refused_before_anything_is_sent(own_ws: Workspace, cloud_env: dict, endpoint: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: attempts.append(address) or (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(InputError) as raised:
        elb.upload(own_ws, elb_session(own_ws), region=ELB_REGION, project_id=ELB_PROJECT, endpoint=endpoint)
    message = str(raised.value)
    assert "plain http on another machine" in message and "https://" in message and "\n" not in message
    assert attempts == []


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:1", "http://127.8.9.10:1", "http://[::1]:1", "http://localhost:1", "https://elb.example.com"])
def test_loopback_http_and_https_anywhere_are_taken(endpoint: str) -> None:
    assert elb.validate_endpoint(endpoint) == endpoint


def test_cli_refuses_plain_http_to_another_machine_in_one_line(cli, own_ws: Workspace, cloud_env: dict, closed_port: int) -> None:  # noqa: ANN001
    # Were it not refused, the request would go to a proxy on loopback that refuses: never off this machine.
    proxy = f"http://127.0.0.1:{closed_port}"
    env = {**cloud_env, "HTTP_PROXY": proxy, "http_proxy": proxy, "NO_PROXY": "", "no_proxy": ""}
    run, _elapsed = _upload(cli, own_ws, "http://192.0.2.10", env)
    assert run.returncode == 2
    [line] = run.stderr.strip().splitlines()
    assert "plain http on another machine" in line and run.stdout == ""
