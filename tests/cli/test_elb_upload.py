"""`elb upload`: the official SDK for real, against the local stand-in of the ELB v3 API."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from conftest import (
    ELB_AK,
    ELB_PROJECT,
    ELB_REGION,
    P12_PASSWORD,
    elb_session,
    upload_recorded,
)
from support.fake_elb_api import FakeElbApi

from wizard import elb, pki, steps
from wizard.elb.sdk import ApiTarget, describe_sdk_error
from wizard.errors import InputError, WizardError
from wizard.record import record
from wizard.session import SessionStore
from wizard.workspace import Workspace

AK, PROJECT = ELB_AK, ELB_PROJECT
REGION = ELB_REGION
LB = "lb-0001"


@pytest.fixture
def api(api: FakeElbApi) -> FakeElbApi:
    """The stand-in, knowing LB: a dedicated load balancer with an application (L7) flavour."""
    api.add_load_balancer(LB)
    return api


def _free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------
# the happy path
# ---------------------------------------------------------------------------


def test_upload_sends_two_signed_certificates_and_a_listener_using_their_ids(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    result, lines = upload_recorded(own_ws, session, api, loadbalancer_id=LB, port=443)

    creates = [r for r in api.requests if r.method == "POST"]
    assert [(r.path, r.route) for r in creates] == [
        (f"/v3/{PROJECT}/elb/certificates", "create_certificate"),
        (f"/v3/{PROJECT}/elb/certificates", "create_certificate"),
        (f"/v3/{PROJECT}/elb/listeners", "create_listener"),
    ]
    for request in api.requests:
        assert request.header("Authorization").startswith(f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=")
        assert request.signature_ok is True  # checked with our own reading of the scheme
        assert request.header("X-Sdk-Date") and request.header("X-Project-Id") == PROJECT

    server, ca, listener = (r.json for r in creates)
    assert server["certificate"]["type"] == "server"
    assert server["certificate"]["certificate"] == own_ws.cert("server").read_text().rstrip("\n")
    # the key in the traditional form (SEC1 for this EC key), the same key as the file's
    sent_key = server["certificate"]["private_key"]
    assert sent_key.startswith("-----BEGIN EC PRIVATE KEY-----") and not sent_key.endswith("\n")
    assert pki.keys_match(pki.load_key_pem(sent_key.encode()), pki.load_cert_pem(own_ws.cert("server").read_bytes()))
    assert server["certificate"]["name"] == "localhost-server"
    assert ca["certificate"]["type"] == "client" and "private_key" not in ca["certificate"]
    assert ca["certificate"]["certificate"] == own_ws.cert("ca").read_text().rstrip("\n")
    assert ca["certificate"]["name"] == "localhost-ca"
    for body in (server, ca):
        assert not body["certificate"]["certificate"].endswith("\n")

    ids = {c["type"]: c["id"] for c in api.certificates.values()}
    assert listener["listener"] == {
        "name": "localhost-mtls-443", "loadbalancer_id": LB, "protocol": "HTTPS", "protocol_port": 443,
        "default_tls_container_ref": ids["server"], "client_ca_tls_container_ref": ids["client"],
        "tls_ciphers_policy": "tls-1-2-strict",
    }
    assert (result.server_cert_id, result.ca_cert_id) == (ids["server"], ids["client"])
    assert result.listener_id == next(iter(api.listeners))
    assert not (result.server_reused or result.ca_reused or result.listener_reused)
    assert result.server_expire_time and result.server_fingerprint == pki.fingerprint(pki.load_cert_pem(own_ws.cert("server").read_bytes()))

    # recorded in the session object and in elb/uploaded.json
    assert (session.server_cert_id, session.ca_cert_id, session.listener_id, session.loadbalancer_id) == (
        result.server_cert_id, result.ca_cert_id, result.listener_id, LB)
    assert {4, 5, 6} <= set(session.steps_done)
    recorded = json.loads((own_ws.elb_dir / elb.UPLOADED).read_text())
    assert recorded["server"]["id"] == result.server_cert_id and recorded["ca"]["id"] == result.ca_cert_id
    assert recorded["listener"]["id"] == result.listener_id
    assert recorded["server"]["expire_time"] == api.certificates[result.server_cert_id]["expire_time"]
    assert any("uploaded as" in line for line in lines) and any("created" in line for line in lines)


def test_the_echoed_private_key_is_never_kept(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    """The API echoes the key in its answer; nothing we write may hold it."""
    session = elb_session(own_ws)
    upload_recorded(own_ws, session, api)
    assert "PRIVATE KEY" in json.dumps(api.certificates)  # the stand-in does echo it
    assert "PRIVATE KEY" not in (own_ws.elb_dir / elb.UPLOADED).read_text()
    store = SessionStore()
    path = store.save(session)
    assert "PRIVATE KEY" not in path.read_text()


def test_rerun_reuses_both_certificates_and_the_listener(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=LB)
    posts = len([r for r in api.requests if r.method in ("POST", "PUT")])
    second, lines = upload_recorded(own_ws, session, api, loadbalancer_id=LB)
    assert len([r for r in api.requests if r.method in ("POST", "PUT")]) == posts  # no second upload
    assert (second.server_cert_id, second.ca_cert_id, second.listener_id) == (first.server_cert_id, first.ca_cert_id, first.listener_id)
    assert second.server_reused and second.ca_reused and second.listener_reused
    assert sum("reused" in line for line in lines) == 3
    assert len(api.certificates) == 2 and len(api.listeners) == 1


def test_rerun_with_a_fresh_session_reuses_ids_from_uploaded_json(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    upload_recorded(own_ws, elb_session(own_ws), api)
    second, _ = upload_recorded(own_ws, elb_session(own_ws), api)
    assert second.server_reused and second.ca_reused
    assert len(api.calls("create_certificate")) == 2


def test_another_project_is_a_new_upload(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    upload_recorded(own_ws, session, api)
    other, _ = upload_recorded(own_ws, session, api, project_id="another-project")
    assert not other.server_reused and not other.ca_reused
    assert [r.path for r in api.calls("create_certificate")][-1] == "/v3/another-project/elb/certificates"


def test_a_reissued_server_certificate_is_uploaded_and_the_listener_updated(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=LB)
    record(session, steps.issue_server(own_ws, session, force=True))
    second, lines = upload_recorded(own_ws, session, api, loadbalancer_id=LB)
    assert second.server_cert_id != first.server_cert_id and not second.server_reused
    assert second.ca_reused and second.ca_cert_id == first.ca_cert_id
    assert second.listener_updated and second.listener_id == first.listener_id
    [update] = api.calls("update_listener")
    assert update.path == f"/v3/{PROJECT}/elb/listeners/{first.listener_id}"
    assert update.json["listener"]["default_tls_container_ref"] == second.server_cert_id
    assert api.listeners[first.listener_id]["default_tls_container_ref"] == second.server_cert_id
    assert any(line.endswith("updated: server certificate") for line in lines)


def test_a_certificate_deleted_in_the_console_is_uploaded_again(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api)
    del api.certificates[first.server_cert_id]
    second, lines = upload_recorded(own_ws, session, api)
    assert not second.server_reused and second.server_cert_id != first.server_cert_id
    assert second.ca_reused
    assert any("gone" in line for line in lines)


def test_names_can_be_overridden(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    upload_recorded(own_ws, elb_session(own_ws), api, server_cert_name="web-2026", ca_cert_name="clients-ca")
    names = [r.json["certificate"]["name"] for r in api.calls("create_certificate")]
    assert names == ["web-2026", "clients-ca"]


def test_a_tls13_policy_on_a_dedicated_load_balancer_is_sent_without_a_warning(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    result, lines = upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=LB, tls_policy="tls-1-2-fs-with-1-3")
    assert any(line.startswith(f"load balancer: {LB}") and "dedicated" in line for line in lines)
    assert not any("dedicated load balancers only" in w for w in result.warnings)
    assert api.calls("create_listener")[0].json["listener"]["tls_ciphers_policy"] == "tls-1-2-fs-with-1-3"
    assert result.lb_type == "dedicated"


# ---------------------------------------------------------------------------
# refusals before any network traffic
# ---------------------------------------------------------------------------


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (and refuse) every outgoing connection attempt made in this process."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("connections are not allowed in this test")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: attempts.append(address) or 111)
    yield attempts
    monkeypatch.setattr(socket.socket, "connect", real_connect)


@pytest.mark.parametrize("missing", [(elb.ENV_AK, elb.ENV_SK), (elb.ENV_SK,), (elb.ENV_AK,)])
def test_missing_credentials_refuse_before_any_connection(
    own_ws: Workspace, api: FakeElbApi, cloud_env: dict, monkeypatch: pytest.MonkeyPatch, no_connections: list, missing: tuple[str, ...],
) -> None:
    for name in missing:
        monkeypatch.delenv(name)
    for endpoint in (api.endpoint, None):  # None: the region's endpoint, where the SDK would ask the metadata service
        with pytest.raises(InputError) as raised:
            elb.upload(own_ws, elb_session(own_ws), region=REGION, project_id=PROJECT, endpoint=endpoint, log=lambda _: None)
        assert elb.ENV_AK in str(raised.value) and elb.ENV_SK in str(raised.value)
    assert no_connections == []
    assert api.requests == []


def test_blocking_readiness_stops_the_upload_with_its_fix(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    own_ws.key("server").write_bytes(pki.key_to_pem(pki.generate_key("ec-p256")))
    with pytest.raises(WizardError) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api)
    assert "does not belong" in str(raised.value) and "server/server.key" in str(raised.value)
    assert api.requests == []


def test_a_ca_certificate_that_is_not_a_ca_stops_the_upload(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    own_ws.cert("ca").write_bytes(own_ws.cert("client").read_bytes())
    with pytest.raises(WizardError, match="not a CA certificate"):
        upload_recorded(own_ws, elb_session(own_ws), api)
    assert api.requests == []


@pytest.mark.parametrize(("options", "message"), [
    ({"tls_policy": "TLS 1.2!"}, "is not a policy name"),
    ({"port": 0}, "port"),
    ({"project_id": " "}, "project id"),
    ({"region": ""}, "--region"),
    ({"endpoint": "ftp://127.0.0.1"}, "--endpoint"),
    ({"loadbalancer_id": "a b"}, "load balancer id"),
    ({"server_cert_name": "x" * 300}, "server certificate name"),
])
def test_bad_input_is_refused_before_any_request(own_ws: Workspace, api: FakeElbApi, cloud_env: dict, options: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        upload_recorded(own_ws, elb_session(own_ws), api, **options)
    assert api.requests == []


def test_an_unknown_region_without_endpoint_is_input_error(own_ws: Workspace, cloud_env: dict, no_connections: list) -> None:
    with pytest.raises(InputError, match="region 'mars-north-1'"):
        elb.upload(own_ws, elb_session(own_ws), region="mars-north-1", project_id=PROJECT, log=lambda _: None)
    assert no_connections == []


def test_without_the_sdk_the_message_says_how_to_install_it(own_ws: Workspace, cloud_env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wizard.elb.uploader.sdk_available", lambda: False)  # the test machine has the SDK
    with pytest.raises(WizardError, match=r"mtls-wizard\[cloud\]"):
        elb.upload(own_ws, elb_session(own_ws), region=REGION, project_id=PROJECT, log=lambda _: None)


# ---------------------------------------------------------------------------
# API errors: one line each
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code", "text", "hint"), [
    (400, "ELB.8902", "Invalid certificate content", "inspect"),
    (400, "ELB.8999", "Invalid private key content", "private key was refused"),
    (400, "ELB.1071", "Quota exceeded for resources: certificate", "quota"),
    (401, "APIGW.0301", "Incorrect IAM authentication information", elb.ENV_SK),
    (403, "ELB.0403", "Policy doesn't allow elb:certificates:create to be performed", "permissions"),
    (500, "ELB.1000", "Internal server error", "try again later"),
])
def test_api_errors_become_one_line(own_ws: Workspace, api: FakeElbApi, cloud_env: dict, capfd: pytest.CaptureFixture[str], status: int, code: str, text: str, hint: str) -> None:
    api.fail("create_certificate", status, code, text)
    with pytest.raises(WizardError) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api)
    message = str(raised.value)
    assert raised.value.exit_code == 1
    assert "\n" not in message
    assert message.startswith("uploading the server certificate failed: ")
    assert f"HTTP {status} {code}: {text}" in message
    request_id = message.split("request id ")[1].split(";")[0]
    assert len(request_id) == 32  # the request id from the error body
    assert hint in message
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # nothing from the SDK's own logger


def test_wrong_secret_key_is_unauthorised(own_ws: Workspace, api: FakeElbApi, cloud_env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(elb.ENV_SK, "not-the-right-one")
    with pytest.raises(WizardError, match="HTTP 401 APIGW.0301"):
        upload_recorded(own_ws, elb_session(own_ws), api)
    assert api.requests[0].signature_ok is False


def test_a_listener_failure_keeps_the_uploaded_ids_for_the_rerun(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    api.fail("create_listener", 409, "ELB.8907", "port 443 is already used", times=1)
    with pytest.raises(WizardError, match="HTTP 409 ELB.8907.*another --port"):
        upload_recorded(own_ws, session, api, loadbalancer_id=LB)
    assert session.server_cert_id and session.ca_cert_id and not session.listener_id
    assert json.loads((own_ws.elb_dir / elb.UPLOADED).read_text())["server"]["id"] == session.server_cert_id
    result, _ = upload_recorded(own_ws, session, api, loadbalancer_id=LB)
    assert result.server_reused and result.ca_reused and result.listener_id
    assert len(api.calls("create_certificate")) == 2 and len(api.calls("create_listener")) == 2


def test_a_failed_ca_upload_leaves_steps_5_and_6_open(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    api.fail("create_certificate", 400, "ELB.8902", "Invalid certificate content", skip=1)  # the server one passes
    with pytest.raises(WizardError, match="^uploading the CA certificate failed: HTTP 400 ELB.8902"):
        upload_recorded(own_ws, session, api, loadbalancer_id=LB)
    assert session.is_done(4) and not session.is_done(5) and not session.is_done(6)
    assert session.server_cert_id and not session.ca_cert_id and not session.listener_id
    assert api.calls("create_listener") == []
    recorded = json.loads((own_ws.elb_dir / elb.UPLOADED).read_text())
    assert recorded["server"]["id"] == session.server_cert_id and "ca" not in recorded


def test_a_new_certificate_reopens_step_6_until_the_listener_uses_it(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    upload_recorded(own_ws, session, api, loadbalancer_id=LB)
    assert {4, 5, 6} <= set(session.steps_done)
    record(session, steps.issue_server(own_ws, session, force=True))
    upload_recorded(own_ws, session, api, no_listener=True)  # certificates only: the listener still holds the old one
    assert session.is_done(4) and session.is_done(5) and not session.is_done(6)
    upload_recorded(own_ws, session, api, loadbalancer_id=LB)
    assert session.is_done(6)
    assert api.listeners[session.listener_id]["default_tls_container_ref"] == session.server_cert_id


@pytest.mark.timeout(30)
def test_a_refused_connection_fails_fast_with_one_line(own_ws: Workspace, cloud_env: dict, capfd: pytest.CaptureFixture[str]) -> None:
    endpoint = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(WizardError) as raised:
        elb.upload(own_ws, elb_session(own_ws), region=REGION, project_id=PROJECT, endpoint=endpoint, log=lambda _: None)
    message = str(raised.value)
    assert f"cannot reach {endpoint}" in message and "Connection refused" in message and "\n" not in message
    assert "object at 0x" not in message
    assert capfd.readouterr().err == ""


@pytest.mark.timeout(30)
def test_a_silent_endpoint_times_out(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    api.stall("create_certificate", 20)
    with pytest.raises(WizardError, match=r"took the request but sent no answer within 0\.5 s"):
        upload_recorded(own_ws, elb_session(own_ws), api, timeout=(5, 0.5))


# ---------------------------------------------------------------------------
# the command, as a real process
# ---------------------------------------------------------------------------


def _all_written_text(*roots: Path) -> str:
    chunks = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                chunks.append(path.read_bytes().decode("latin-1"))
    return "\n".join(chunks)


def test_cli_upload_end_to_end_leaks_no_secret(cli, own_ws: Workspace, api: FakeElbApi, cloud_env: dict, sk: str, isolated_data_dir: Path) -> None:  # noqa: ANN001
    args = ("elb", "upload", "-w", str(own_ws.root), "--region", REGION, "--project-id", PROJECT,
            "--endpoint", api.endpoint, "--loadbalancer-id", LB, "--port", "443")
    env = {**cloud_env, "MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}
    first = cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    assert "uploaded as" in first.stdout and "listener: created" in first.stdout
    second = cli(*args, env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("reused") == 3
    assert len(api.calls("create_certificate")) == 2 and len(api.calls("create_listener")) == 1

    session = SessionStore().load(own_ws.root)
    assert session is not None and session.listener_id == next(iter(api.listeners))
    assert session.server_cert_id and session.ca_cert_id
    written = _all_written_text(own_ws.root, isolated_data_dir)
    for secret in (sk, P12_PASSWORD):
        for run in (first, second):
            assert secret not in run.stdout and secret not in run.stderr
        assert secret not in written
    assert "Traceback" not in first.stderr + second.stderr


def test_cli_missing_credentials_is_exit_2_naming_both(cli, own_ws: Workspace, api: FakeElbApi) -> None:  # noqa: ANN001
    env = {elb.ENV_AK: "", elb.ENV_SK: ""}
    run = cli("elb", "upload", "-w", str(own_ws.root), "--region", REGION, "--project-id", PROJECT, "--endpoint", api.endpoint, env=env)
    assert run.returncode == 2
    assert elb.ENV_AK in run.stderr and elb.ENV_SK in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert api.requests == []


def test_cli_api_error_is_exit_1_one_line(cli, own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:  # noqa: ANN001
    api.fail("create_certificate", 403, "ELB.0403", "no permission")
    run = cli("elb", "upload", "-w", str(own_ws.root), "--region", REGION, "--project-id", PROJECT, "--endpoint", api.endpoint, env=cloud_env)
    assert run.returncode == 1
    [line] = run.stderr.strip().splitlines()
    assert "HTTP 403 ELB.0403: no permission" in line and "request id" in line
    assert run.stdout == ""


def test_cli_failed_ca_upload_saves_step_4_only(cli, own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:  # noqa: ANN001
    api.fail("create_certificate", 400, "ELB.8902", "Invalid certificate content", skip=1)
    run = cli("elb", "upload", "-w", str(own_ws.root), "--region", REGION, "--project-id", PROJECT, "--endpoint", api.endpoint,
              "--loadbalancer-id", LB, env=cloud_env)
    assert run.returncode == 1
    [line] = run.stderr.strip().splitlines()
    assert "uploading the CA certificate failed: HTTP 400 ELB.8902" in line
    session = SessionStore().load(own_ws.root)
    assert session is not None and session.server_cert_id and not session.ca_cert_id
    assert session.is_done(4) and not session.is_done(5) and not session.is_done(6)
    assert session.current_step == 5
    assert api.calls("create_listener") == []


def test_cli_unknown_tls_policy_is_exit_2(cli, own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:  # noqa: ANN001
    """The region's own list decides (asked before anything is uploaded)."""
    run = cli("elb", "upload", "-w", str(own_ws.root), "--region", REGION, "--project-id", PROJECT, "--endpoint", api.endpoint,
              "--loadbalancer-id", LB, "--tls-policy", "strict", env=cloud_env)
    assert run.returncode == 2 and "this region does not offer the TLS policy 'strict'" in run.stderr and "tls-1-2-strict" in run.stderr
    assert api.writes() == [] and api.calls("list_system_security_policies")


# ---------------------------------------------------------------------------
# error wording for cases the stand-in does not produce
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "hint"), [(404, "--loadbalancer-id"), (409, "another --port"), (429, "wait a minute"), (503, "try again later")])
def test_status_hints(status: int, hint: str) -> None:
    """Creating a listener: a conflict there is a port in use."""
    from huaweicloudsdkcore.exceptions.exceptions import (
        ClientRequestException,
        SdkError,
        ServerResponseException,
    )

    kind = ServerResponseException if status >= 500 else ClientRequestException
    error = kind(status, SdkError(request_id="rid-1", error_code="ELB.X", error_msg="something\nmultiline   happened"))
    target = ApiTarget(REGION, PROJECT, "")
    message = str(describe_sdk_error(error, "creating the listener", target, (10, 60), call="create_listener"))
    prefix = f"creating the listener failed: HTTP {status} ELB.X: something multiline happened, request id rid-1; "
    assert message.startswith(prefix) and "\n" not in message
    assert hint in message[len(prefix):]  # the hint follows the facts


def test_connect_timeout_wording() -> None:
    from huaweicloudsdkcore.exceptions.exceptions import ConnectionException

    error = ConnectionException("HTTPSConnection(host='elb.example.com', port=443): Connection to elb.example.com timed out. (connect timeout=10)")
    message = str(describe_sdk_error(error, "uploading the CA certificate", ApiTarget(REGION, PROJECT, ""), (10, 60)))
    assert message.startswith(f"uploading the CA certificate failed: could not connect to the {REGION} endpoint within 10 s")
