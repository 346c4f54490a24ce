"""ELB as it really is, against the stand-in: the load balancer's pre-flight, TLS policies by
type, the backend group and forwarded headers, idempotency against what ELB already holds,
the key form, the error codes and a TLS failure to the endpoint. The official SDK talks for
real to tests/support/fake_elb_api.py on 127.0.0.1."""

from __future__ import annotations

import json
import re
import ssl
from pathlib import Path

import pytest
from conftest import (
    DEDICATED_LB,
    ELB_AK,
    ELB_PROJECT,
    ELB_REGION,
    NO_L7_LB,
    P12_PASSWORD,
    SHARED_LB,
    elb_session,
    make_pki,
    upload_recorded,
    with_three_load_balancers,
)
from support.fake_elb_api import FakeElbApi

from wizard import elb, steps
from wizard.elb.sdk import ApiTarget, ElbApi
from wizard.errors import WizardError
from wizard.record import record
from wizard.session import Session, SessionStore
from wizard.workspace import Workspace

AK, PROJECT, REGION = ELB_AK, ELB_PROJECT, ELB_REGION


@pytest.fixture
def api(api: FakeElbApi) -> FakeElbApi:
    return with_three_load_balancers(api)


# ---------------------------------------------------------------------------
# the pre-flight: refusals come before the first upload
# ---------------------------------------------------------------------------


def test_a_shared_load_balancer_refuses_a_dedicated_only_policy_before_any_upload(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    with pytest.raises(elb.UploadFailed) as raised:
        upload_recorded(own_ws, session, api, loadbalancer_id=SHARED_LB, tls_policy="tls-1-2-fs")
    message = str(raised.value)
    assert raised.value.exit_code == 2
    assert "shared load balancer does not take the TLS policy tls-1-2-fs" in message
    assert ", ".join(elb.SHARED_POLICIES) in message  # the allowed list
    assert api.writes() == [] and api.certificates == {}  # no orphan certificates
    assert [r.route for r in api.requests] == ["show_loadbalancer"]
    assert session.lb_type == "shared"  # learnt, so step 6 can offer what fits


def test_a_dedicated_load_balancer_without_an_l7_flavour_is_refused_before_any_upload(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    with pytest.raises(elb.UploadFailed) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=NO_L7_LB)
    assert raised.value.exit_code == 1
    assert NO_L7_LB in str(raised.value) and "application (HTTP/HTTPS) flavour" in str(raised.value)
    assert api.writes() == []


def test_an_unknown_load_balancer_names_the_id_and_region(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    with pytest.raises(elb.UploadFailed, match=f"load balancer lb-nowhere was not found in region {REGION}"):
        upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id="lb-nowhere")
    assert api.writes() == []


def test_a_custom_security_policy_on_a_shared_load_balancer_is_refused_before_any_upload(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    with pytest.raises(elb.UploadFailed, match="custom security policy needs a dedicated load balancer"):
        upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=SHARED_LB, security_policy_id="sp-0001")
    assert api.writes() == []


def test_a_port_held_by_another_listener_is_refused_before_any_upload(own_ws: Workspace, foreign_workspace: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    other = upload_recorded(foreign_workspace, elb_session(foreign_workspace), api, loadbalancer_id=DEDICATED_LB)[0]
    writes = len(api.writes())
    with pytest.raises(elb.UploadFailed) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB)
    assert f"port 443 of load balancer {DEDICATED_LB} is used by listener {other.listener_id}" in str(raised.value)
    assert "trusting another CA" in str(raised.value) and "another --port" in str(raised.value)
    assert len(api.writes()) == writes


def test_the_load_balancer_itself_decides_which_policies_fit(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    session.lb_type, session.tls_policy = "shared", "tls-1-2-fs"  # believed earlier, for another load balancer
    upload_recorded(own_ws, session, api)  # no listener: the policy does not matter yet
    result, lines = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB, tls_policy=None)
    assert api.calls("create_listener")[0].json["listener"]["tls_ciphers_policy"] == "tls-1-2-fs"
    assert any("taken as shared so far" in line for line in lines)
    assert session.lb_type == "dedicated" and result.lb_type == "dedicated"


def test_a_shared_load_balancer_gets_a_terminated_https_listener(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    result, lines = upload_recorded(own_ws, session, api, loadbalancer_id=SHARED_LB)
    assert any("shared one: ELB shows its HTTPS listeners as TERMINATED_HTTPS" in line for line in lines)
    assert any("TERMINATED_HTTPS, client certificates required" in line for line in lines)
    assert api.listeners[result.listener_id]["protocol"] == "TERMINATED_HTTPS"
    assert session.lb_type == "shared" and session.uploaded["listener"]["protocol"] == "TERMINATED_HTTPS"
    again, _ = upload_recorded(own_ws, session, api, loadbalancer_id=SHARED_LB)
    assert again.listener_reused and len(api.calls("create_listener")) == 1


# ---------------------------------------------------------------------------
# the listener's options: backend group, forwarded headers, custom policy
# ---------------------------------------------------------------------------


def test_pool_and_forwarded_fields_reach_the_listener_body(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    result, lines = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB, pool_id="pool-1",
                            forward_client_cert=["cert", "serialnumber=x-client-serial", "fingerprint"])
    listener = api.calls("create_listener")[0].json["listener"]
    assert listener["default_pool_id"] == "pool-1"
    assert listener["insert_headers"] == {
        "X-Forwarded-Clientcert-enable": True, "X-Forwarded-Clientcert-fingerprint-enable": True,
        "X-Forwarded-Clientcert-serialnumber-enable": True, "X-Forwarded-Clientcert-serialnumber-alias": "x-client-serial",
    }
    assert not any("backend server group" in w for w in result.warnings)
    assert session.pool_id == "pool-1"
    assert session.forward_client_cert == ["cert", "fingerprint", "serialnumber=x-client-serial"]


def test_a_listener_without_a_backend_group_warns(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    result, lines = upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB)
    assert elb.NO_POOL_WARNING in result.warnings
    assert f"warning: {elb.NO_POOL_WARNING}" in lines
    assert "5xx" in elb.NO_POOL_WARNING and "handshake test still proves mTLS" in elb.NO_POOL_WARNING


def test_forwarded_fields_and_pool_are_updated_on_an_existing_listener(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB, forward_client_cert=["cert"])
    second, lines = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB, forward_client_cert=["subjectdn"], pool_id="pool-2")
    assert second.listener_updated and second.listener_id == first.listener_id
    [update] = api.calls("update_listener")
    sent = update.json["listener"]
    assert set(sent) == {"default_pool_id", "insert_headers"}  # only what differs
    assert sent["insert_headers"]["X-Forwarded-Clientcert-subjectdn-enable"] is True
    assert sent["insert_headers"]["X-Forwarded-Clientcert-enable"] is False  # the one no longer wanted
    held = api.listeners[first.listener_id]
    assert held["default_pool_id"] == "pool-2" and held["insert_headers"]["X-Forwarded-Clientcert-enable"] is False
    assert session.forward_client_cert == ["subjectdn"] and session.pool_id == "pool-2"
    assert any("backend server group, forwarded client certificate fields" in line for line in lines)


def test_unset_forwarded_fields_leave_the_listener_as_it_is(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB, forward_client_cert=["cert"])
    result, lines = upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB)  # a session that never chose
    assert result.listener_reused and api.calls("update_listener") == []
    assert any("forwards client certificate fields cert (kept" in line for line in lines)
    off, _ = upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB, forward_client_cert=["none"])
    assert off.listener_updated and api.calls("update_listener")[0].json["listener"]["insert_headers"]["X-Forwarded-Clientcert-enable"] is False


def test_a_custom_security_policy_replaces_the_system_one_on_a_dedicated_load_balancer(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB, security_policy_id="sp-0001")
    listener = api.calls("create_listener")[0].json["listener"]
    assert listener["security_policy_id"] == "sp-0001" and "tls_ciphers_policy" not in listener
    assert session.security_policy_id == "sp-0001"


# ---------------------------------------------------------------------------
# idempotency against the cloud
# ---------------------------------------------------------------------------


def _forget_everything(ws: Workspace) -> Session:
    (ws.elb_dir / elb.UPLOADED).unlink()
    return elb_session(ws)


def test_losing_the_record_and_the_session_uploads_nothing_new(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    first, _ = upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB, pool_id="pool-1")
    writes = len(api.writes())
    session = _forget_everything(own_ws)
    second, lines = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB, pool_id="pool-1")
    assert len(api.writes()) == writes  # nothing uploaded, created or changed
    assert (second.server_cert_id, second.ca_cert_id, second.listener_id) == (first.server_cert_id, first.ca_cert_id, first.listener_id)
    assert second.server_adopted and second.ca_adopted and second.listener_adopted and second.listener_reused
    assert sum("adopted" in line for line in lines) == 3
    assert {4, 5, 6} <= set(session.steps_done)
    recorded = json.loads((own_ws.elb_dir / elb.UPLOADED).read_text())
    assert recorded["server"]["id"] == first.server_cert_id and recorded["listener"]["id"] == first.listener_id


def test_a_certificate_changed_in_place_is_noticed(own_ws: Workspace, foreign_workspace: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    # someone replaces the content behind the same id (the API's UpdateCertificate)
    api.certificates[first.ca_cert_id]["certificate"] = foreign_workspace.cert("ca").read_text()
    second, lines = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    assert any(f"{first.ca_cert_id} now holds another certificate in ELB (changed in place)" in line for line in lines)
    assert not second.ca_reused and second.ca_cert_id != first.ca_cert_id
    assert second.server_reused and second.listener_updated
    assert api.listeners[first.listener_id]["client_ca_tls_container_ref"] == second.ca_cert_id


def test_the_certificate_search_follows_the_pages(own_ws: Workspace, foreign_workspace: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    first, _ = upload_recorded(own_ws, elb_session(own_ws), api)
    ours = api.certificates.pop(first.server_cert_id)
    decoy = {**ours, "certificate": foreign_workspace.cert("server").read_text()}  # same CN and type, other content
    for number in range(450):
        api.certificates[f"decoy-{number:04d}"] = {**decoy, "id": f"decoy-{number:04d}"}
    api.certificates[ours["id"]] = ours  # the last page
    before = len(api.requests)
    second, _ = upload_recorded(own_ws, _forget_everything(own_ws), api)
    assert second.server_adopted and second.server_cert_id == first.server_cert_id
    pages = [r for r in api.requests[before:] if r.route == "list_certificates" and r.query.get("type") == ["server"]]
    assert len(pages) == 3 and all(page.query["common_name"] == ["localhost"] for page in pages)
    assert [page.query.get("marker") for page in pages] == [None, ["decoy-0199"], ["decoy-0399"]]
    assert len(api.calls("create_certificate")) == 2  # only the first run's


def test_a_listener_that_refers_to_other_certificates_is_updated_after_a_lost_record(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    record(session, steps.issue_server(own_ws, session, force=True))
    second, lines = upload_recorded(own_ws, _forget_everything(own_ws), api, loadbalancer_id=DEDICATED_LB)
    assert second.listener_adopted and second.listener_updated and second.listener_id == first.listener_id
    assert api.listeners[first.listener_id]["default_tls_container_ref"] == second.server_cert_id


# ---------------------------------------------------------------------------
# what the stand-in answers like the real API
# ---------------------------------------------------------------------------


def test_expire_time_has_the_api_format(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    result, _ = upload_recorded(own_ws, elb_session(own_ws), api)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result.server_expire_time)


def _direct_api(api: FakeElbApi, sk: str) -> ElbApi:
    return ElbApi(ApiTarget(REGION, PROJECT, api.endpoint), AK, sk, (5.0, 10.0))


def test_a_key_sent_with_a_ca_certificate_is_ignored(own_ws: Workspace, api: FakeElbApi, sk: str, cloud_env: dict) -> None:
    client = _direct_api(api, sk)
    try:
        created = client.create_certificate({"certificate": {
            "name": "ca-with-key", "type": "client", "certificate": own_ws.cert("ca").read_text(),
            "private_key": own_ws.key("ca").read_text()}}, "uploading")
    finally:
        client.close()
    assert created["id"] and "private_key" not in created  # dropped before it reaches our code
    assert api.certificates[created["id"]]["private_key"] == ""


def test_a_port_clash_on_a_shared_load_balancer_is_elb_6200(own_ws: Workspace, api: FakeElbApi, sk: str, cloud_env: dict) -> None:
    result, _ = upload_recorded(own_ws, elb_session(own_ws), api)
    body = elb.listener_body(loadbalancer_id=SHARED_LB, server_cert_id=result.server_cert_id, ca_cert_id=result.ca_cert_id)
    client = _direct_api(api, sk)
    try:
        client.create_listener(body, "creating the listener")
        with pytest.raises(WizardError) as raised:
            client.create_listener(body, "creating the listener")
    finally:
        client.close()
    assert "HTTP 400 ELB.6200" in str(raised.value) and "another --port" in str(raised.value)


def test_a_certificate_quota_is_reported(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    api.certificate_quota = 1
    with pytest.raises(elb.UploadFailed) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api)
    assert "uploading the CA certificate failed: HTTP 400 ELB.9807" in str(raised.value)
    assert "quota is used up" in str(raised.value)


# ---------------------------------------------------------------------------
# every error code to its hint, through the SDK
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "status", "code", "hint"), [
    ("create_listener", 409, "ELB.8907", "port is already used"),
    ("create_listener", 400, "ELB.6200", "port is already used"),
    ("create_certificate", 400, "ELB.5151", "quota is used up"),
    ("create_certificate", 400, "ELB.9807", "quota is used up"),
    ("create_certificate", 400, "ELB.1011", "openssl pkey -in server/server.key -traditional"),
    ("create_certificate", 400, "ELB.5013", "openssl pkey -in server/server.key -traditional"),
    ("create_certificate", 400, "ELB.5051", "refused the CA certificate"),
    ("create_certificate", 400, "ELB.5053", "refused the CA certificate"),
    ("show_loadbalancer", 401, "APIGW.0301", "clock"),
    ("show_loadbalancer", 404, "APIGW.0101", "does not offer the ELB v3 API"),
])
def test_error_codes_map_to_their_hints(own_ws: Workspace, api: FakeElbApi, cloud_env: dict, route: str, status: int, code: str, hint: str) -> None:
    api.fail(route, status, code, "the cloud's own words")
    with pytest.raises(elb.UploadFailed) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB)
    message = str(raised.value)
    assert f"HTTP {status} {code}: the cloud's own words" in message and hint in message and "\n" not in message
    assert raised.value.exit_code == 1


def test_a_wrong_secret_key_names_the_clock_too(own_ws: Workspace, api: FakeElbApi, cloud_env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(elb.ENV_SK, "not-the-right-one")
    with pytest.raises(elb.UploadFailed) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB)
    assert "HTTP 401 APIGW.0301" in str(raised.value) and elb.ENV_SK in str(raised.value) and "clock" in str(raised.value)


@pytest.mark.timeout(30)
def test_a_tls_failure_to_the_endpoint_names_the_proxy_and_ca(own_ws: Workspace, sk: str, cloud_env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(own_ws.cert("server"), own_ws.key("server"))  # a certificate the SDK does not trust
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with FakeElbApi(secret_key=sk, access_key=AK, tls_context=context) as tls_api:
        tls_api.add_load_balancer(DEDICATED_LB)
        with pytest.raises(elb.UploadFailed) as raised:
            upload_recorded(own_ws, elb_session(own_ws), tls_api, loadbalancer_id=DEDICATED_LB)
        message = str(raised.value)
        assert f"no TLS connection to {tls_api.endpoint}" in message and "CERTIFICATE_VERIFY_FAILED" in message
        assert "REQUESTS_CA_BUNDLE" in message and "proxy" in message and "\n" not in message
        # the hint is right: trusting the CA that signed the endpoint's certificate is enough
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(own_ws.cert("ca")))
        result, _ = upload_recorded(own_ws, elb_session(own_ws), tls_api, loadbalancer_id=DEDICATED_LB)
        assert result.listener_id


# ---------------------------------------------------------------------------
# the key form ELB gets
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("key_type", "begin"), [("rsa2048", "-----BEGIN RSA PRIVATE KEY-----"), ("ec-p256", "-----BEGIN EC PRIVATE KEY-----")])
def test_elb_gets_the_traditional_key_form(tmp_path: Path, api: FakeElbApi, cloud_env: dict, key_type: str, begin: str) -> None:
    ws = make_pki(tmp_path / "ws", key_type=key_type)
    assert ws.key("server").read_text().startswith("-----BEGIN PRIVATE KEY-----")  # the file stays PKCS#8
    assert elb.paste_text(ws, "server_key").startswith(begin)
    upload_recorded(ws, elb_session(ws), api)
    assert api.calls("create_certificate")[0].json["certificate"]["private_key"].startswith(begin)
    elb.export(ws, elb_session(ws))
    assert (ws.elb_dir / "paste-server-private-key.txt").read_text().startswith(begin)
    assert json.loads((ws.elb_dir / elb.SERVER_BODY).read_text())["certificate"]["private_key"].startswith(begin)


# ---------------------------------------------------------------------------
# the commands, as real processes
# ---------------------------------------------------------------------------


def test_cli_upload_with_pool_and_headers_then_again_without_any_record(cli, own_ws: Workspace, api: FakeElbApi, cloud_env: dict, isolated_data_dir: Path) -> None:  # noqa: ANN001
    args = ("elb", "upload", "-w", str(own_ws.root), "--region", REGION, "--project-id", PROJECT, "--endpoint", api.endpoint,
            "--loadbalancer-id", DEDICATED_LB, "--pool-id", "pool-9", "--forward-client-cert", "subjectdn",
            "--forward-client-cert", "clientverify=x-verify")
    env = {**cloud_env, "MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}
    first = cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    listener = api.calls("create_listener")[0].json["listener"]
    assert listener["default_pool_id"] == "pool-9"
    assert listener["insert_headers"] == {
        "X-Forwarded-Clientcert-subjectdn-enable": True, "X-Forwarded-Clientcert-clientverify-enable": True,
        "X-Forwarded-Clientcert-clientverify-alias": "x-verify"}
    session = SessionStore().load(own_ws.root)
    assert session is not None and session.pool_id == "pool-9" and session.lb_type == "dedicated"
    assert session.forward_client_cert == ["subjectdn", "clientverify=x-verify"]

    writes = len(api.writes())
    (own_ws.elb_dir / elb.UPLOADED).unlink()
    SessionStore().path_for(own_ws.root).unlink()
    second = cli(*args, env=env)
    assert second.returncode == 0, second.stderr
    assert len(api.writes()) == writes and second.stdout.count("adopted") == 3


def test_cli_shared_load_balancer_with_a_dedicated_policy_is_exit_2(cli, own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:  # noqa: ANN001
    run = cli("elb", "upload", "-w", str(own_ws.root), "--region", REGION, "--project-id", PROJECT, "--endpoint", api.endpoint,
              "--loadbalancer-id", SHARED_LB, "--tls-policy", "tls-1-2-fs-with-1-3", env=cloud_env)
    assert run.returncode == 2
    [line] = run.stderr.strip().splitlines()
    assert "tls-1-2-fs-with-1-3" in line and "tls-1-2-strict" in line
    assert api.writes() == []
    session = SessionStore().load(own_ws.root)
    assert session is not None and session.lb_type == "shared" and session.tls_policy == "tls-1-2-strict"


def test_cli_bad_forward_field_is_exit_2(cli, own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:  # noqa: ANN001
    run = cli("elb", "upload", "-w", str(own_ws.root), "--region", REGION, "--project-id", PROJECT, "--endpoint", api.endpoint,
              "--forward-client-cert", "email", env=cloud_env)
    assert run.returncode == 2 and "unknown client certificate field 'email'" in run.stderr
    assert api.requests == []


def test_uploads_keep_no_key_anywhere(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    upload_recorded(own_ws, _forget_everything(own_ws), api, loadbalancer_id=DEDICATED_LB)  # the list answers echo keys
    assert "PRIVATE KEY" in json.dumps(api.certificates)
    assert "PRIVATE KEY" not in (own_ws.elb_dir / elb.UPLOADED).read_text()
    assert "PRIVATE KEY" not in json.dumps(session.to_dict())



# ---------------------------------------------------------------------------
# rotation: renew server, upload, the listener moves, the replaced one is deleted
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("renewed", "field"), [("server", "default_tls_container_ref"), ("ca", "client_ca_tls_container_ref")])
def test_renew_then_upload_rotates_the_listener_and_deletes_the_replaced_certificate(cli, tmp_path, api, sk, renewed, field) -> None:  # noqa: ANN001
    from conftest import ELB_AK, ELB_PROJECT, make_pki

    ws = make_pki(tmp_path / "ws")
    lb_id = api.add_load_balancer("lb-rotation")["id"]
    env = {"HUAWEICLOUD_SDK_AK": ELB_AK, "HUAWEICLOUD_SDK_SK": sk, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    base = ("elb", "upload", "-w", str(ws.root), "--region", "cn-north-4", "--project-id", ELB_PROJECT, "--endpoint", api.endpoint,
            "--loadbalancer-id", lb_id)
    first = cli(*base, env=env)
    assert first.returncode == 0, first.stderr
    listener_id = next(iter(api.listeners))
    old_cert = api.listeners[listener_id][field]

    assert cli("renew", renewed, "-w", str(ws.root)).returncode == 0
    rotated = cli(*base, "--delete-replaced", env=env)
    assert rotated.returncode == 0, rotated.stderr
    new_cert = api.listeners[listener_id][field]
    assert new_cert != old_cert and new_cert in api.certificates
    assert old_cert not in api.certificates and "deleted from ELB" in rotated.stdout
    order = [r.route for r in api.requests[-6:]]
    assert order.index("update_listener") < order.index("delete_certificate")  # moved first, deleted after


def test_a_replaced_certificate_still_used_by_another_listener_is_kept(cli, tmp_path, api, sk) -> None:  # noqa: ANN001
    from conftest import ELB_AK, ELB_PROJECT, make_pki

    ws = make_pki(tmp_path / "ws")
    lb_id = api.add_load_balancer("lb-rotation")["id"]
    env = {"HUAWEICLOUD_SDK_AK": ELB_AK, "HUAWEICLOUD_SDK_SK": sk, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    base = ("elb", "upload", "-w", str(ws.root), "--region", "cn-north-4", "--project-id", ELB_PROJECT, "--endpoint", api.endpoint)
    assert cli(*base, "--loadbalancer-id", lb_id, env=env).returncode == 0
    assert cli(*base, "--loadbalancer-id", lb_id, "--port", "8443", env=env).returncode == 0  # a second listener, same certificates
    other = next(lid for lid, listener in api.listeners.items() if listener["protocol_port"] == 443)
    old_server = api.listeners[other]["default_tls_container_ref"]
    assert cli("renew", "server", "-w", str(ws.root)).returncode == 0
    rotated = cli(*base, "--loadbalancer-id", lb_id, "--delete-replaced", env=env)  # moves the recorded (8443) listener only
    assert rotated.returncode == 0, rotated.stderr
    assert old_server in api.certificates and f"kept, still used by listener {other}" in rotated.stdout
    assert api.calls("delete_certificate") == []
    moved = next(lid for lid, listener in api.listeners.items() if listener["protocol_port"] == 8443)
    assert api.listeners[moved]["default_tls_container_ref"] != old_server


def test_a_replaced_certificate_still_used_as_an_sni_certificate_is_kept(cli, tmp_path, api, sk) -> None:  # noqa: ANN001
    """ListListeners filters no SNI list: a listener that serves the old certificate only for
    SNI must still keep it from being deleted."""
    from conftest import ELB_AK, ELB_PROJECT, make_pki

    ws = make_pki(tmp_path / "ws")
    lb_id = api.add_load_balancer("lb-rotation")["id"]
    env = {"HUAWEICLOUD_SDK_AK": ELB_AK, "HUAWEICLOUD_SDK_SK": sk, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    base = ("elb", "upload", "-w", str(ws.root), "--region", "cn-north-4", "--project-id", ELB_PROJECT, "--endpoint", api.endpoint,
            "--loadbalancer-id", lb_id)
    assert cli(*base, env=env).returncode == 0
    ours = next(iter(api.listeners))
    old_server, ca = api.listeners[ours]["default_tls_container_ref"], api.listeners[ours]["client_ca_tls_container_ref"]
    client = ElbApi(ApiTarget(REGION, PROJECT, api.endpoint), AK, sk, (5.0, 10.0))
    try:
        other = client.create_certificate({"certificate": {
            "name": "other-site", "type": "server", "certificate": ws.cert("server").read_text(),
            "private_key": ws.key("server").read_text()}}, "uploading")
        body = elb.listener_body(loadbalancer_id=lb_id, server_cert_id=other["id"], ca_cert_id=ca, port=8443)
        body["listener"]["sni_container_refs"] = [old_server]
        sni_listener = client.create_listener(body, "creating another site's listener")["id"]
    finally:
        client.close()
    assert api.listeners[sni_listener]["sni_container_refs"] == [old_server]

    assert cli("renew", "server", "-w", str(ws.root)).returncode == 0
    rotated = cli(*base, "--delete-replaced", env=env)
    assert rotated.returncode == 0, rotated.stderr
    assert api.listeners[ours]["default_tls_container_ref"] != old_server  # ours moved
    assert old_server in api.certificates and f"kept, still used by listener {sni_listener}" in rotated.stdout
    assert api.calls("delete_certificate") == []
