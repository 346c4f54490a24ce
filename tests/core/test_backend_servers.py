"""The backend kits in real nginx, HAProxy and Apache httpd, behind a real ELB-like front (nginx
verifying client certificates and forwarding X-Forwarded-Clientcert-* headers, from 127.0.0.2):
a valid client is admitted, a revoked one refused, forged headers never reach the backend or are
refused, requests from elsewhere than the load balancer are refused, every spelling of a revoked
serial is refused, and all of it with 5,000 more revoked serials on the deny-list.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from conftest import P12_PASSWORD
from support.elb_front import LB_ADDRESS, ElbFront
from support.kit_backends import add_revoked_serials, kit_backend, readable_folder
from support.kit_requests import direct, through_front
from support.server_process import require_binary

from wizard import backend, clients
from wizard.backend.denylist import serial_spellings
from wizard.workspace import Workspace

FIELDS = ("subjectdn", "issuerdn", "fingerprint", "serialnumber", "clientverify")
SERIAL, VERIFY, FINGERPRINT = "X-Forwarded-Clientcert-serialnumber", "X-Forwarded-Clientcert-clientverify", "X-Forwarded-Clientcert-fingerprint"
MANY = 5000
BINARIES = {"nginx": ("nginx", "nginx"), "haproxy": ("haproxy", "haproxy"), "apache": ("apache2", "apache2")}


@dataclass
class Setup:
    server: str
    ws: Workspace
    front: ElbFront
    backend: object  # the kit backend (support.kit_backends)
    alice: clients.ClientInfo  # valid
    bob: clients.ClientInfo  # revoked
    many: list[str]  # 5,000 more revoked serials


@pytest.fixture(scope="module")
def shared_ws(tmp_path_factory: pytest.TempPathFactory, pki_workspace: Workspace) -> Workspace:
    """The shared PKI plus alice (valid), bob (revoked) and 5,000 more revoked serials."""
    ws = Workspace(tmp_path_factory.mktemp("kit") / "ws")
    shutil.copytree(pki_workspace.root, ws.root)
    clients.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, clients.ClientOptions(key_type="ec-p256"))
    add_revoked_serials(ws, MANY)
    clients.revoke(ws, "bob", "keyCompromise", 30)  # a real revocation: signs all 5,001 into the CRL
    return ws


@pytest.fixture(scope="module", params=sorted(BINARIES))
def setup(request: pytest.FixtureRequest, shared_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    server = request.param
    require_binary(*BINARIES[server])
    require_binary("nginx", "nginx")  # the front
    with readable_folder() as folder:
        kit = folder / "kit"
        backend.write_kit(shared_ws, backend.make_spec(server, kit, [f"{LB_ADDRESS}/32"], FIELDS))
        with kit_backend(server, shared_ws, tmp_path_factory.mktemp(server), kit) as app, \
                ElbFront(shared_ws, tmp_path_factory.mktemp("front"), app.address, FIELDS) as front:
            many = [entry["serial"] for entry in clients.revocation.read_record(shared_ws)["revoked"] if entry["name"].startswith("gone-")]
            yield Setup(server, shared_ws, front, app, clients.client_info(shared_ws, "alice"), clients.client_info(shared_ws, "bob"), many)


def test_a_valid_client_is_admitted(setup: Setup) -> None:
    answer = through_front(setup.ws, setup.front.address, "alice")
    assert answer.status == 200 and setup.backend.app_marker in answer.body


def test_a_revoked_client_is_refused_by_the_deny_list(setup: Setup) -> None:
    answer = through_front(setup.ws, setup.front.address, "bob")
    assert (answer.status, answer.body.strip()) == (403, backend.REVOKED)


def test_the_echo_shows_what_the_front_forwarded(setup: Setup) -> None:
    answer = through_front(setup.ws, setup.front.address, "alice", backend.ECHO_PATH)
    echo = backend.parse_echo(answer.body)
    assert answer.status == 200 and echo is not None, answer.body
    assert echo[SERIAL.lower()] == setup.alice.serial and echo[VERIFY.lower()] == "SUCCESS"
    assert "CN=alice" in echo["x-forwarded-clientcert-subjectdn"] and echo["server"] == setup.server


def test_a_forged_header_from_a_client_never_reaches_the_backend(setup: Setup) -> None:
    forged = {SERIAL: "0123456789ABCDEF", VERIFY: "SUCCESS"}
    answer = through_front(setup.ws, setup.front.address, "alice", backend.ECHO_PATH, forged)
    echo = backend.parse_echo(answer.body)
    assert echo is not None and echo[SERIAL.lower()] == setup.alice.serial  # the front's value, not the client's
    # A revoked client that claims a valid client's serial is still refused.
    answer = through_front(setup.ws, setup.front.address, "bob", "/", {SERIAL: setup.alice.serial})
    assert (answer.status, answer.body.strip()) == (403, backend.REVOKED)


def test_headers_from_elsewhere_than_the_load_balancer_are_forged(setup: Setup) -> None:
    genuine = {SERIAL: setup.alice.serial, VERIFY: "SUCCESS", FINGERPRINT: "00" * 20}
    for path in ("/", backend.ECHO_PATH):
        answer = direct(setup.backend.address, "127.0.0.1", path, genuine)
        assert (answer.status, answer.body.strip()) == (403, backend.FORGED), path
    answer = direct(setup.backend.address, "127.0.0.1")  # and without any header: not verified
    assert (answer.status, answer.body.strip()) == (403, backend.UNVERIFIED)


def test_a_request_without_the_verified_client_headers_is_refused(setup: Setup) -> None:
    for headers in ({}, {SERIAL: setup.alice.serial, FINGERPRINT: "aa" * 20}, {SERIAL: setup.alice.serial, VERIFY: "FAILED:unknown", FINGERPRINT: "aa" * 20}):
        answer = direct(setup.backend.address, LB_ADDRESS, "/", headers)
        assert (answer.status, answer.body.strip()) == (403, backend.UNVERIFIED), headers


def _from_lb(setup: Setup, serial: str) -> int:
    return direct(setup.backend.address, LB_ADDRESS, "/", {SERIAL: serial, VERIFY: "SUCCESS", FINGERPRINT: "ab" * 20}).status


def test_every_spelling_of_a_revoked_serial_is_refused(setup: Setup) -> None:
    spellings = [s for serial in (setup.bob.serial, *setup.many[:40]) for s in serial_spellings(serial)]
    spellings += [s.upper() for s in spellings[:20]]  # upper and lower case alike
    refused = {spelling: _from_lb(setup, spelling) for spelling in spellings}
    assert set(refused.values()) == {403}, {s: status for s, status in refused.items() if status != 403}
    assert _from_lb(setup, setup.alice.serial) == 200
    assert _from_lb(setup, setup.alice.serial.lower()) == 200


def test_five_thousand_revoked_serials_are_all_enforced(setup: Setup) -> None:
    assert len(setup.many) == MANY
    sample = setup.many[::250] + setup.many[-3:]  # spread over the whole list, its end included
    assert {serial: _from_lb(setup, serial) for serial in sample} == dict.fromkeys(sample, 403)


def test_the_revoked_fingerprint_alone_is_refused(setup: Setup) -> None:
    fingerprints = backend.read_deny_list(setup.ws).fingerprints
    bob_sha1 = next(f for f in fingerprints if len(f) == 40)
    answer = direct(setup.backend.address, LB_ADDRESS, "/", {SERIAL: setup.alice.serial, VERIFY: "SUCCESS", FINGERPRINT: bob_sha1.upper()})
    assert (answer.status, answer.body.strip()) == (403, backend.REVOKED)


def test_the_generated_configuration_is_what_runs(setup: Setup) -> None:
    # The backend runs the kit's files as written: the echo, asked from the load balancer's address
    # without the headers, is refused by the kit rather than served.
    answer = direct(setup.backend.address, LB_ADDRESS, backend.ECHO_PATH)
    assert (answer.status, answer.body.strip()) == (403, backend.UNVERIFIED)
