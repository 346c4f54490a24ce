"""`mtls-wizard check --backend-echo` as a real process, through a real ELB-like front (nginx verifying
client certificates and forwarding X-Forwarded-Clientcert-* from 127.0.0.2) to real nginx, HAProxy and
Apache httpd backends running the generated kit: a valid client's serial arrives, a revoked client is
refused by the deny-list, a front that keeps a client's forged header fails, a front that forwards no
headers fails naming the setting, and a backend without the kit is said to lack it (never a PASS).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, CliRunner
from support.elb_front import LB_ADDRESS, ElbFront
from support.i18n_helpers import untranslated_words
from support.kit_backends import NginxKitBackend, kit_backend, readable_folder
from support.server_process import require_binary

from wizard import backend, clients, i18n
from wizard.handshake.backend_echo import FORGED_SERIAL
from wizard.i18n import _
from wizard.workspace import Workspace

FIELDS = ("subjectdn", "fingerprint", "serialnumber", "clientverify")
BINARIES = {"nginx": ("nginx", "nginx"), "haproxy": ("haproxy", "haproxy"), "apache": ("apache2", "apache2")}
TIMEOUT = "5"


@dataclass
class EchoPath:
    """One backend behind three fronts: as ELB forwards, a broken one, and one that forwards nothing."""

    server: str
    ws: Workspace
    front: ElbFront
    keeping_front: ElbFront
    silent_front: ElbFront
    alice_serial: str


@pytest.fixture(scope="module")
def echo_ws(tmp_path_factory: pytest.TempPathFactory, pki_workspace: Workspace) -> Workspace:
    """The shared PKI plus alice (valid) and bob (revoked)."""
    ws = Workspace(tmp_path_factory.mktemp("echo") / "ws")
    shutil.copytree(pki_workspace.root, ws.root)
    clients.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, clients.ClientOptions(key_type="ec-p256"))
    clients.revoke(ws, "bob", "keyCompromise", 30)
    return ws


@pytest.fixture(scope="module", params=sorted(BINARIES))
def path(request: pytest.FixtureRequest, echo_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EchoPath]:
    server = request.param
    require_binary(*BINARIES[server])
    require_binary("nginx", "nginx")  # the fronts
    with readable_folder() as folder:
        backend.write_kit(echo_ws, backend.make_spec(server, folder / "kit", [f"{LB_ADDRESS}/32"], FIELDS))
        with kit_backend(server, echo_ws, tmp_path_factory.mktemp(server), folder / "kit") as app, \
                ElbFront(echo_ws, tmp_path_factory.mktemp("front"), app.address, FIELDS) as front, \
                ElbFront(echo_ws, tmp_path_factory.mktemp("keeping"), app.address, FIELDS, keeps_client_headers=True) as keeping, \
                ElbFront(echo_ws, tmp_path_factory.mktemp("silent"), app.address, ()) as silent:
            yield EchoPath(server, echo_ws, front, keeping, silent, clients.client_info(echo_ws, "alice").serial)


def _check(cli: CliRunner, ws: Workspace, address: str, client: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return cli("check", address, "--workspace", str(ws.root), "--client", client, "--backend-echo", "--timeout", TIMEOUT, *extra,
               env=env, timeout=90)


def _line(output: str, *fragments: str) -> str:
    """The one line (wrapped lines joined) of the backend section that holds every fragment."""
    entries: list[str] = []
    for line in output.split("Behind the listener:", 1)[1].splitlines():
        if line.startswith("    ") and entries:  # a wrapped line goes on with the entry above
            entries[-1] += " " + line
        else:
            entries.append(line)
    found = [" ".join(entry.split()) for entry in entries if all(fragment in " ".join(entry.split()) for fragment in fragments)]
    assert len(found) == 1, (fragments, output)
    return found[0]


def test_a_valid_clients_serial_arrives_and_a_forged_one_does_not(cli: CliRunner, path: EchoPath) -> None:
    done = _check(cli, path.ws, path.front.address, "alice")
    assert done.returncode == 0, done.stdout + done.stderr
    arrives = _line(done.stdout, "alice's serial number arrives at the backend")
    assert arrives.startswith("PASS the listener's headers:") and path.alice_serial in arrives and f"({path.server}, from {LB_ADDRESS})" in arrives
    forged = _line(done.stdout, "a forged x-forwarded-clientcert-serialnumber")
    assert forged.startswith("PASS the listener's headers:") and FORGED_SERIAL in forged and "does not reach the backend" in forged
    assert done.stdout.splitlines()[-1].startswith(f"PASS: behind {path.front.address} the backend ({path.server}) receives alice's")
    assert done.stderr == ""


def test_the_json_has_the_backend_echo_for_scripts(cli: CliRunner, path: EchoPath) -> None:
    done = _check(cli, path.ws, path.front.address, "alice", "--json")
    assert done.returncode == 0, done.stderr
    echo = json.loads(done.stdout)["backend_echo"]
    assert (echo["status"], echo["passed"], echo["server"], echo["source"]) == ("pass", True, path.server, LB_ADDRESS)
    assert [(c["name"], c["status"], c["layer"]) for c in echo["checks"]] == [
        ("serial_arrives", "pass", "listener_headers"), ("forged_header", "pass", "listener_headers")]
    assert echo["checks"][0]["received"] == path.alice_serial == echo["received"]["x-forwarded-clientcert-serialnumber"]
    assert echo["checks"][1]["forged"] == FORGED_SERIAL and echo["checks"][1]["received"] == path.alice_serial


def test_a_revoked_client_is_refused_by_the_backends_deny_list(cli: CliRunner, path: EchoPath) -> None:
    done = _check(cli, path.ws, path.front.address, "bob")
    assert done.returncode == 0, done.stdout + done.stderr
    refused = _line(done.stdout, "the revoked bob passes the listener")
    assert refused.startswith("PASS the backend's deny-list:") and refused.endswith(f"403 Forbidden: {backend.REVOKED})")
    forged = _line(done.stdout, "the revoked bob with a forged")
    assert forged.startswith("PASS the backend's deny-list:") and "is still refused" in forged
    # The listener lets bob through TLS (it checks no CRL, as ELB): the verdict says where revocation held.
    assert "the revoked bob passes its TLS and is refused behind it by the backend's deny-list" in done.stdout
    assert done.stdout.splitlines()[-1].startswith(f"PASS: behind {path.front.address} the revoked bob is refused")


def test_a_front_that_keeps_a_clients_forged_header_fails(cli: CliRunner, path: EchoPath) -> None:
    done = _check(cli, path.ws, path.keeping_front.address, "alice", "--json")
    assert done.returncode == 1, done.stderr
    echo = json.loads(done.stdout)["backend_echo"]
    arrives, forged = echo["checks"]
    assert arrives["status"] == "pass"  # without a forged header the certificate's serial arrives
    assert (forged["status"], forged["layer"], forged["received"]) == ("fail", "listener_headers", FORGED_SERIAL)
    text = _check(cli, path.ws, path.keeping_front.address, "alice").stdout
    assert _line(text, "reaches the backend as it was sent").startswith("FAIL the listener's headers: a forged x-forwarded-clientcert-serialnumber")
    assert "passes a client's own x-forwarded-clientcert-serialnumber through instead of replacing it" in " ".join(text.split())
    assert text.splitlines()[-1].startswith("FAIL: a forged client-certificate header reaches the backend behind")


def test_through_the_broken_front_a_revoked_client_gets_in_with_a_forged_serial(cli: CliRunner, path: EchoPath) -> None:
    done = _check(cli, path.ws, path.keeping_front.address, "bob", "--json")
    assert done.returncode == 1
    revoked, forged = json.loads(done.stdout)["backend_echo"]["checks"]
    assert (revoked["name"], revoked["status"], revoked["layer"]) == ("revoked_refused", "pass", "backend_deny_list")
    # Its own serial and fingerprint are refused; the made-up ones the front passed on are not.
    assert (forged["name"], forged["status"], forged["layer"], forged["received"]) == ("forged_header", "fail", "listener_headers", FORGED_SERIAL)


def test_a_front_that_forwards_no_headers_fails_naming_the_setting(cli: CliRunner, path: EchoPath) -> None:
    done = _check(cli, path.ws, path.silent_front.address, "alice")
    assert done.returncode == 1
    line = _line(done.stdout, "the backend received no verified client certificate")
    assert line.startswith("FAIL the listener's headers:") and backend.UNVERIFIED in line
    flat = " ".join(done.stdout.split())
    assert "step 6: X-Forwarded-Clientcert-serialnumber, -fingerprint and -clientverify" in flat
    assert "mtls-wizard elb upload --forward-client-cert serialnumber" in flat
    assert done.stdout.splitlines()[-1].startswith("FAIL: the listener forwards no client-certificate headers behind")


class NotFoundBackend(NginxKitBackend):
    """nginx without the kit whose site answers / alone and 404 to every other path."""

    def config(self) -> str:
        return super().config().replace("location / {", "location / { return 404; }\n    location = / {")


@pytest.fixture(scope="module")
def bare_backends(echo_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ElbFront]]:
    """The ELB-like front before backends without the kit: each web server's site, and a 404 nginx."""
    require_binary("nginx", "nginx")
    fronts: dict[str, ElbFront] = {}
    started: list[object] = []
    try:
        for name in ("nginx", "haproxy", "apache", "404"):
            if name != "404":
                require_binary(*BINARIES[name])
            app = NotFoundBackend(echo_ws, tmp_path_factory.mktemp(name), None) if name == "404" else \
                kit_backend(name, echo_ws, tmp_path_factory.mktemp(name), None)
            started.append(app.__enter__())
            front = ElbFront(echo_ws, tmp_path_factory.mktemp("front"), app.address, FIELDS)
            started.append(front.__enter__())
            fronts[name] = front
        yield fronts
    finally:
        for server in reversed(started):
            server.__exit__(None, None, None)  # type: ignore[attr-defined]


@pytest.mark.parametrize("server", ["nginx", "haproxy", "apache"])
def test_a_backend_without_the_kit_is_said_to_lack_it(cli: CliRunner, echo_ws: Workspace, bare_backends: dict[str, ElbFront], server: str) -> None:
    done = _check(cli, echo_ws, bare_backends[server].address, "alice")
    assert done.returncode == 1
    line = _line(done.stdout, "but not with the kit's echo")
    assert line.startswith("FAIL the backend kit: /.well-known/mtls-wizard/echo answered HTTP/1.1 200 OK")
    assert "the backend kit is not installed behind this listener" in line
    assert "mtls-wizard backend nginx|haproxy|apache --out DIR" in " ".join(done.stdout.split())
    assert "PASS: behind" not in done.stdout


def test_a_missing_echo_location_says_the_kit_is_not_installed(cli: CliRunner, echo_ws: Workspace, bare_backends: dict[str, ElbFront]) -> None:
    done = _check(cli, echo_ws, bare_backends["404"].address, "alice")
    assert done.returncode == 1
    line = _line(done.stdout, "is missing")
    assert line == ("FAIL the backend kit: /.well-known/mtls-wizard/echo is missing (HTTP/1.1 404 Not Found): "
                    "the backend kit is not installed behind this listener")
    assert done.stdout.splitlines()[-1].startswith("FAIL: the backend kit is not installed behind")
    # A revoked client reaches that backend unrefused: let in, not "refused".
    done = _check(cli, echo_ws, bare_backends["404"].address, "bob")
    assert done.returncode == 1
    assert _line(done.stdout, "the revoked bob is let in").startswith("FAIL the backend kit: the revoked bob is let in")
    assert _line(done.stdout, "the revoked bob with a forged").endswith("is let in: /.well-known/mtls-wizard/echo answered "
                                                                         "HTTP/1.1 404 Not Found, and no kit refused it")


def test_a_kit_that_does_not_know_the_load_balancers_address_refuses_its_headers(
        cli: CliRunner, echo_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> None:
    require_binary("nginx", "nginx")
    ws = Workspace(tmp_path_factory.mktemp("lb") / "ws")
    shutil.copytree(echo_ws.root, ws.root)
    with readable_folder() as folder:
        backend.write_kit(ws, backend.make_spec("nginx", folder / "kit", [backend.SHARED_LB_SOURCE], FIELDS))
        with kit_backend("nginx", ws, tmp_path_factory.mktemp("nginx"), folder / "kit") as app, \
                ElbFront(ws, tmp_path_factory.mktemp("front"), app.address, FIELDS) as front:
            done = _check(cli, ws, front.address, "alice")
    assert done.returncode == 1
    line = _line(done.stdout, "refuses the listener's own headers as forged")
    assert line.startswith("FAIL the backend kit:") and backend.FORGED in line
    assert "write the kit again with --lb-source CIDR" in " ".join(done.stdout.split())


def test_without_a_listener_to_get_through_the_backend_is_not_asked(cli: CliRunner, echo_ws: Workspace, closed_port: int) -> None:
    done = _check(cli, echo_ws, f"127.0.0.1:{closed_port}", "alice", "--json")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["status"] == "unreachable" and data["backend_echo"]["status"] == "not_run" and data["backend_echo"]["checks"] == []


def test_the_backend_echo_is_off_unless_asked(cli: CliRunner, path: EchoPath) -> None:
    done = cli("check", path.front.address, "--workspace", str(path.ws.root), "--client", "alice", "--json", timeout=90)
    assert json.loads(done.stdout)["backend_echo"] is None
    assert "Behind the listener" not in cli("check", path.front.address, "-w", str(path.ws.root), "--client", "alice").stdout


def test_every_backend_line_is_translated(cli: CliRunner, path: EchoPath) -> None:
    pseudo = {"MTLS_WIZARD_LANG": "qps"}
    runs = [_check(cli, path.ws, address, client, env=pseudo) for address, client in
            ((path.front.address, "alice"), (path.front.address, "bob"), (path.silent_front.address, "alice"),
             (path.keeping_front.address, "bob"))]
    # Data: what the servers said (status lines, the kit's fixed refusal texts), names, header names.
    allowed = ["alice", "bob", path.server, "Forbidden", *backend.REVOKED.split(), *backend.UNVERIFIED.split(), "DIR"]
    i18n.set_language(i18n.PSEUDO)
    heading = _("Behind the listener: {path}, the backend kit's echo").split(":", 1)[0]  # where the backend's section starts
    left = [untranslated_words(run.stdout.split(heading, 1)[1], allowed) for run in runs]
    assert left == [[]] * len(runs), left
    chinese = _check(cli, path.ws, path.front.address, "bob", env={"MTLS_WIZARD_LANG": "zh_CN"})
    assert chinese.returncode == 0 and "后端的拒绝列表" in chinese.stdout and chinese.stderr == ""
