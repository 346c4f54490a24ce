"""The whole path on one machine: the practice load balancer (`mtls-wizard practice --backend`)
forwarding the client-certificate headers, as ELB does, to real nginx, HAProxy and Apache httpd
running the generated backend kit; `check --backend-echo` proves a valid client's serial arrives,
a forged serial header does not (the load balancer replaces it), and a revoked client is refused
by the kit's deny-list, as it does through the ELB-like nginx front (test_check_backend_echo.py).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from conftest import P12_PASSWORD, CliRunner
from support.foreground import Foreground
from support.kit_backends import kit_backend, readable_folder
from support.server_process import require_binary

from wizard import backend, clients
from wizard.handshake.backend_echo import FORGED_SERIAL
from wizard.workspace import Workspace

FIELDS = ("subjectdn", "fingerprint", "serialnumber=x-client-serial", "clientverify")
BINARIES = {"nginx": ("nginx", "nginx"), "haproxy": ("haproxy", "haproxy"), "apache": ("apache2", "apache2")}
SOURCE = "127.0.0.1"  # where the practice load balancer's requests to the backend come from


@dataclass
class PracticePath:
    server: str
    ws: Workspace
    address: str  # the practice load balancer's listener
    alice_serial: str


@pytest.fixture(scope="module")
def echo_ws(tmp_path_factory: pytest.TempPathFactory, pki_workspace: Workspace) -> Workspace:
    """The shared PKI plus alice (valid) and bob (revoked)."""
    ws = Workspace(tmp_path_factory.mktemp("practice-echo") / "ws")
    shutil.copytree(pki_workspace.root, ws.root)
    clients.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, clients.ClientOptions(key_type="ec-p256"))
    clients.revoke(ws, "bob", "keyCompromise", 30)
    return ws


@pytest.fixture(scope="module", params=sorted(BINARIES))
def path(request: pytest.FixtureRequest, echo_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PracticePath]:
    server = request.param
    require_binary(*BINARIES[server])
    with readable_folder() as folder:
        backend.write_kit(echo_ws, backend.make_spec(server, folder / "kit", [f"{SOURCE}/32"], FIELDS))
        with kit_backend(server, echo_ws, tmp_path_factory.mktemp(server), folder / "kit") as app, \
                Foreground(tmp_path_factory.mktemp("data"), "practice", "--workspace", str(echo_ws.root), "--port", "0",
                           "--backend", f"http://{app.address}", *[f"--forward-client-cert={field}" for field in FIELDS]) as running:
            assert running.started, running.stop()
            assert running.line("backend:") == f"backend: http://{app.address}"
            yield PracticePath(server, echo_ws, f"127.0.0.1:{running.port}", clients.client_info(echo_ws, "alice").serial)


def _check(cli: CliRunner, path: PracticePath, client: str, *extra: str):  # noqa: ANN202 - a CompletedProcess
    return cli("check", path.address, "--workspace", str(path.ws.root), "--client", client, "--backend-echo", "--timeout", "5", *extra,
               timeout=90)


def test_a_valid_clients_serial_arrives_and_a_forged_one_is_replaced(cli: CliRunner, path: PracticePath) -> None:
    done = _check(cli, path, "alice", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "pass"
    echo = result["backend_echo"]
    assert (echo["status"], echo["server"], echo["source"]) == ("pass", path.server, SOURCE)
    assert [(c["name"], c["status"], c["layer"]) for c in echo["checks"]] == [
        ("serial_arrives", "pass", "listener_headers"), ("forged_header", "pass", "listener_headers")]
    assert echo["received"]["x-client-serial"] == path.alice_serial  # under the alias step 6 gave it
    assert echo["checks"][1]["forged"] == FORGED_SERIAL and echo["checks"][1]["received"] == path.alice_serial
    assert echo["received"]["x-forwarded-clientcert-clientverify"] == "SUCCESS"


def test_a_revoked_client_passes_the_practice_listener_and_is_refused_by_the_kit(cli: CliRunner, path: PracticePath) -> None:
    done = _check(cli, path, "bob")
    assert done.returncode == 0, done.stdout + done.stderr
    flat = " ".join(done.stdout.split())
    assert "the revoked bob passes the listener and is refused by the backend's deny-list" in flat
    assert f"403 Forbidden: {backend.REVOKED}" in flat
    assert "the revoked bob passes its TLS and is refused behind it by the backend's deny-list" in flat
