"""ELB changes that finish and lose nothing, against the stand-in (the official SDK for real):
a renewal moves the recorded listener with nothing typed again, the user's own listener settings
survive every update, what ELB answered is what is recorded, and ELB is asked rather than
assumed (protocols on a port, the region's TLS policies, pages to the end, conflicts by call)."""

from __future__ import annotations

import json

import pytest
from conftest import DEDICATED_LB, ELB_AK, ELB_PROJECT, ELB_REGION, SHARED_LB, elb_session, upload_recorded, with_three_load_balancers
from support.fake_elb_api import FakeElbApi

from wizard import elb
from wizard.lifecycle import renew
from wizard.record import record
from wizard.session import Session, SessionStore
from wizard.workspace import Workspace

# Headers a user switched on in the console; the last is one the SDK's model does not know.
CONSOLE_HEADERS = {
    "X-Forwarded-ELB-IP": True, "X-Real-IP": True, "X-Forwarded-Tls-Ja3-enable": True, "X-Forwarded-Tls-Ja3-alias": "x-ja3",
    "X-Forwarded-Future-Header-enable": True,
}


@pytest.fixture
def api(api: FakeElbApi) -> FakeElbApi:
    return with_three_load_balancers(api)


def _renewed(ws: Workspace, session: Session) -> None:
    record(session, renew.renew_server(ws))


def _writes(api: FakeElbApi, since: int = 0) -> list[str]:
    return [request.route for request in api.requests[since:] if request.method in ("POST", "PUT", "DELETE")]


# ---------------------------------------------------------------------------
# rotation from the record
# ---------------------------------------------------------------------------


def test_renew_then_upload_with_no_ids_typed_moves_the_recorded_listener_on_its_port(cli, own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:  # noqa: ANN001
    first = cli("elb", "upload", "-w", str(own_ws.root), "--region", ELB_REGION, "--project-id", ELB_PROJECT, "--endpoint", api.endpoint,
                "--loadbalancer-id", DEDICATED_LB, "--port", "8443", env=cloud_env)
    assert first.returncode == 0, first.stderr
    [listener_id] = api.listeners
    old_server = api.listeners[listener_id]["default_tls_container_ref"]
    assert cli("renew", "server", "-w", str(own_ws.root)).returncode == 0
    before = len(api.requests)

    rotated = cli("elb", "upload", "-w", str(own_ws.root), "--delete-replaced", env=cloud_env)  # nothing typed but the flag

    assert rotated.returncode == 0, rotated.stderr
    assert _writes(api, before) == ["create_certificate", "update_listener", "delete_certificate"]  # upload, move, delete
    assert list(api.listeners) == [listener_id] and api.listeners[listener_id]["protocol_port"] == 8443
    new_server = api.listeners[listener_id]["default_tls_container_ref"]
    assert new_server != old_server and old_server not in api.certificates
    assert f"moving the recorded listener {listener_id} (load balancer {DEDICATED_LB}, port 8443)" in rotated.stdout
    assert "create the HTTPS listener" not in rotated.stdout and "check <load balancer address>:8443" in rotated.stdout
    update = api.calls("update_listener")[-1].json["listener"]
    assert set(update) == {"default_tls_container_ref"}  # a rotation changes the certificate and nothing else
    session = SessionStore().load(own_ws.root)
    assert session is not None and session.is_done(6) and session.server_cert_id == new_server


def test_the_recorded_port_is_the_default_port_with_the_load_balancer_given_again(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB, port=8443)
    _renewed(own_ws, session)
    second, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)  # no --port
    assert second.listener_id == first.listener_id and second.listener_updated and len(api.listeners) == 1


def test_a_recorded_listener_gone_from_elb_is_said_and_nothing_is_created(cli, own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:  # noqa: ANN001
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    SessionStore().save(session)
    del api.listeners[first.listener_id]  # deleted in the console
    assert cli("renew", "server", "-w", str(own_ws.root)).returncode == 0
    run = cli("elb", "upload", "-w", str(own_ws.root), env=cloud_env)
    assert run.returncode == 0, run.stderr
    assert f"the recorded listener {first.listener_id} (load balancer {DEDICATED_LB}) is gone from ELB" in run.stdout
    assert f"Next: the recorded listener {first.listener_id} is gone from ELB" in run.stdout
    assert "create the HTTPS listener" not in run.stdout and api.calls("create_listener")[1:] == []


def test_no_listener_uploads_the_certificates_only(cli, own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:  # noqa: ANN001
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    SessionStore().save(session)
    assert cli("renew", "server", "-w", str(own_ws.root)).returncode == 0
    run = cli("elb", "upload", "-w", str(own_ws.root), "--no-listener", env=cloud_env)
    assert run.returncode == 0, run.stderr
    assert api.calls("update_listener") == [] and api.listeners[first.listener_id]["default_tls_container_ref"] == first.server_cert_id
    assert f"the listener {first.listener_id} still uses the earlier certificates" in run.stdout
    both = cli("elb", "upload", "-w", str(own_ws.root), "--no-listener", "--loadbalancer-id", DEDICATED_LB, env=cloud_env)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_moving_the_server_certificate_moves_it_in_the_sni_list_too(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    api.listeners[first.listener_id]["sni_container_refs"] = [first.server_cert_id]  # also an SNI certificate of its own listener
    _renewed(own_ws, session)
    second, _ = upload_recorded(own_ws, session, api, delete_replaced=True)
    held = api.listeners[first.listener_id]
    assert held["default_tls_container_ref"] == second.server_cert_id and held["sni_container_refs"] == [second.server_cert_id]
    assert first.server_cert_id in second.deleted and first.server_cert_id not in api.certificates


# ---------------------------------------------------------------------------
# what is not ours is kept: read-modify-write, insert_headers whole
# ---------------------------------------------------------------------------


def test_console_headers_survive_an_update_and_a_rotation(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB, forward_client_cert=["cert"])
    api.listeners[first.listener_id]["insert_headers"].update(CONSOLE_HEADERS)  # switched on in the console afterwards
    upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB, forward_client_cert=["subjectdn=x-subject"])
    sent = api.calls("update_listener")[-1].json["listener"]["insert_headers"]
    assert sent.items() >= CONSOLE_HEADERS.items()  # the whole object went, the user's headers in it
    _renewed(own_ws, session)
    upload_recorded(own_ws, session, api, delete_replaced=True)  # the rotation
    held = api.listeners[first.listener_id]["insert_headers"]  # the stand-in replaces the object whole
    assert held.items() >= CONSOLE_HEADERS.items()
    assert held["X-Forwarded-Clientcert-subjectdn-enable"] is True and held["X-Forwarded-Clientcert-enable"] is False
    assert held["X-Forwarded-Clientcert-subjectdn-alias"] == "x-subject"


def test_console_headers_of_an_adopted_listener_survive(own_ws: Workspace, api: FakeElbApi, sk: str, cloud_env: dict) -> None:
    """A listener made in the console (no record of ours) is adopted and updated, its headers kept."""
    first, _ = upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB)
    api.listeners[first.listener_id]["insert_headers"] = dict(CONSOLE_HEADERS)
    (own_ws.elb_dir / elb.UPLOADED).unlink()
    adopted, _ = upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB, forward_client_cert=["fingerprint"])
    assert adopted.listener_adopted and adopted.listener_updated
    assert api.listeners[first.listener_id]["insert_headers"] == {**CONSOLE_HEADERS, **_only("fingerprint")}


def _only(field: str) -> dict[str, bool]:
    return {f"X-Forwarded-Clientcert{'' if name == 'cert' else '-' + name}-enable": name == field for name in elb.FORWARDABLE_FIELDS}


def test_every_update_reads_the_listener_right_before_it(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    _renewed(own_ws, session)
    before = len(api.requests)
    upload_recorded(own_ws, session, api)
    routes = [request.route for request in api.requests[before:]]
    assert routes.index("update_listener") - 1 == max(i for i, route in enumerate(routes) if route == "show_listener" and i < routes.index("update_listener"))


# ---------------------------------------------------------------------------
# what ELB answered is what is recorded
# ---------------------------------------------------------------------------


def test_a_shared_load_balancers_ignored_policy_is_reported_once_and_not_sent_again(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, lines = upload_recorded(own_ws, session, api, loadbalancer_id=SHARED_LB)
    said = [line for line in lines if "kept its TLS policy tls-1-0 (asked: tls-1-2-strict)" in line]
    assert len(said) == 1 and said[0].startswith("warning: ") and "dedicated load balancers only" in said[0]
    listener = json.loads((own_ws.elb_dir / elb.UPLOADED).read_text())["listener"]
    assert listener["tls_policy"] == "tls-1-0" and listener["ignored_tls_policy"] == "tls-1-2-strict"  # as ELB holds it
    assert session.tls_policy == "tls-1-0"
    again, lines = upload_recorded(own_ws, session, api, loadbalancer_id=SHARED_LB, tls_policy="tls-1-2-strict")
    assert again.listener_reused and api.calls("update_listener") == []  # not sent again
    assert not any("kept its TLS policy" in line for line in lines)


def test_an_update_elb_answers_otherwise_is_reported_and_remembered(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    upload_recorded(own_ws, session, api, loadbalancer_id=SHARED_LB)
    _renewed(own_ws, session)
    moved, lines = upload_recorded(own_ws, session, api, loadbalancer_id=SHARED_LB, tls_policy="tls-1-2")
    assert moved.listener_updated and any("kept its TLS policy tls-1-0 (asked: tls-1-2)" in line for line in lines)
    assert api.calls("update_listener")[-1].json["listener"]["tls_ciphers_policy"] == "tls-1-2"
    upload_recorded(own_ws, session, api, loadbalancer_id=SHARED_LB, tls_policy="tls-1-2")
    assert len(api.calls("update_listener")) == 1


def test_a_listener_that_does_not_take_the_new_certificate_is_an_error(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    _renewed(own_ws, session)
    api.after_write = lambda route, answer: answer.get("listener", {}).update(default_tls_container_ref=first.server_cert_id) \
        if route == "update_listener" else None  # ELB answers with the old certificate still in place
    with pytest.raises(elb.UploadFailed, match=f"ELB answered with {first.server_cert_id} as its server certificate"):
        upload_recorded(own_ws, session, api, delete_replaced=True)
    assert api.calls("delete_certificate") == []  # nothing is deleted after a move that did not happen


# ---------------------------------------------------------------------------
# asking ELB rather than assuming
# ---------------------------------------------------------------------------


def test_a_quic_listener_on_the_same_port_is_not_taken_for_the_https_one(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    api.listeners["quic-1"] = {"id": "quic-1", "protocol": "QUIC", "protocol_port": 443, "project_id": ELB_PROJECT,
                               "loadbalancers": [{"id": DEDICATED_LB}], "insert_headers": {}}
    result, _ = upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB)
    assert result.listener_id != "quic-1" and api.listeners[result.listener_id]["protocol"] == "HTTPS"
    lookup = [r for r in api.calls("list_listeners") if "protocol_port" in r.query][0]
    assert "QUIC" not in lookup.query["protocol"] and {"HTTPS", "TERMINATED_HTTPS", "TCP"} <= set(lookup.query["protocol"])


def test_the_listener_search_follows_next_marker_to_the_end(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    for number in range(450):  # other sites' listeners, before ours in the list
        api.listeners[f"other-{number:04d}"] = {"id": f"other-{number:04d}", "protocol": "TCP", "protocol_port": 10000 + number,
                                                "project_id": ELB_PROJECT, "loadbalancers": [{"id": SHARED_LB}]}
    api.listeners[first.listener_id] = api.listeners.pop(first.listener_id)  # ours last
    _renewed(own_ws, session)
    before = len(api.requests)
    second, _ = upload_recorded(own_ws, session, api, delete_replaced=True)
    pages = [r.query.get("marker") for r in api.requests[before:] if r.route == "list_listeners" and "protocol_port" not in r.query]
    assert pages == [None, ["other-0199"], ["other-0399"], [first.listener_id]]  # 200, 200, 51, then the empty page
    assert second.deleted == [first.server_cert_id]


def test_the_regions_own_policies_decide(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    api.system_policies = ("tls-1-0", "tls-1-2", "tls-1-2-strict", "tls-1-2-fs", "tls-1-3-only")  # no TLS 1.3 suites, a new name
    with pytest.raises(elb.UploadFailed) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB, tls_policy="tls-1-2-fs-with-1-3")
    assert raised.value.exit_code == 2 and "this region does not offer the TLS policy 'tls-1-2-fs-with-1-3'" in str(raised.value)
    assert "tls-1-3-only" in str(raised.value) and api.writes() == []
    result, _ = upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB, tls_policy="tls-1-3-only")
    assert api.listeners[result.listener_id]["tls_ciphers_policy"] == "tls-1-3-only"


def test_without_the_policy_list_the_documented_table_is_used_and_said(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    api.system_policies = None  # this endpoint does not offer ListSystemSecurityPolicies
    result, lines = upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB)
    assert result.listener_id and any("checked against the documented list" in line for line in lines)
    with pytest.raises(elb.UploadFailed, match="unknown TLS policy 'tls-1-3-only'"):
        upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB, port=8443, tls_policy="tls-1-3-only")


def test_certificates_go_into_the_enterprise_project_given_and_stay_there(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB, enterprise_project_id="eps-42")
    assert [r.json["certificate"]["enterprise_project_id"] for r in api.calls("create_certificate")] == ["eps-42", "eps-42"]
    assert session.uploaded["server"]["enterprise_project_id"] == "eps-42"
    _renewed(own_ws, session)
    upload_recorded(own_ws, session, api)  # the renewal's upload: the recorded project, nothing typed
    assert api.calls("create_certificate")[-1].json["certificate"]["enterprise_project_id"] == "eps-42"


def test_a_certificate_elb_still_uses_elsewhere_is_kept_not_a_failure(own_ws: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    _renewed(own_ws, session)
    api.fail("delete_certificate", 409, "ELB.8907", "certificate is in use by WAF")
    second, lines = upload_recorded(own_ws, session, api, delete_replaced=True)
    assert second.listener_updated and first.server_cert_id in second.kept and first.server_cert_id in api.certificates
    assert any("refuses to delete it as still in use (HTTP 409 ELB.8907" in line for line in lines)


def test_the_answer_of_a_delete_conflict_names_the_certificate_not_a_port(own_ws: Workspace, api: FakeElbApi, sk: str, cloud_env: dict) -> None:
    from wizard.elb.failures import ApiRefusal
    from wizard.elb.sdk import ApiTarget, ElbApi

    first, _ = upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB)
    client = ElbApi(ApiTarget(ELB_REGION, ELB_PROJECT, api.endpoint), ELB_AK, sk, (5.0, 10.0))
    try:
        with pytest.raises(ApiRefusal) as raised:
            client.delete_certificate(first.server_cert_id, "deleting the certificate")
    finally:
        client.close()
    assert raised.value.status == 409 and "still uses that certificate" in str(raised.value) and "--port" not in str(raised.value)
