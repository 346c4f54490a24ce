"""The ELB core (wizard/elb) in the pseudo-locale: every text a person reads comes from the
catalog (refusals, fixes, log lines, labels), while what goes to the API and into the files for
machines is the same in every language. The official SDK talks to tests/support/fake_elb_api.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    DEDICATED_LB,
    ELB_AK,
    ELB_PROJECT,
    NO_L7_LB,
    SHARED_LB,
    elb_session,
    make_pki,
    upload_recorded,
    with_three_load_balancers,
)
from support.fake_elb_api import FakeElbApi
from support.i18n_helpers import untranslated_words

from wizard import elb, i18n, steps
from wizard.elb.hints import BY_CODE, hint_for
from wizard.elb.listener import changed_fields, listener_changes
from wizard.elb.rotation import retire_replaced
from wizard.elb.sdk import ApiTarget, describe_sdk_error
from wizard.errors import WizardError
from wizard.record import record
from wizard.workspace import Workspace

REGION = "cn-north-4"
# Data a message may carry as it is: the API's own words, option values, names, commands.
CLOUD_WORDS = "the cloud's own words"
DATA = ("the", "cloud's", "own", "words", *elb.FORWARDABLE_FIELDS, "pkey")


@pytest.fixture
def pseudo() -> Iterator[None]:
    i18n.set_language(i18n.PSEUDO)
    yield
    i18n.set_language(i18n.ENGLISH)


@pytest.fixture
def api(api: FakeElbApi) -> FakeElbApi:
    return with_three_load_balancers(api)


def _translated(text: str, *data: str) -> None:
    assert untranslated_words(text, allowed=(*DATA, *data)) == [], text


# ---------------------------------------------------------------------------
# the pre-flight's refusals, through the SDK
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("options", [
    {"loadbalancer_id": SHARED_LB, "tls_policy": "tls-1-2-fs"},
    {"loadbalancer_id": SHARED_LB, "security_policy_id": "sp-0001"},
    {"loadbalancer_id": NO_L7_LB},
    {"loadbalancer_id": "lb-nowhere"},
])
def test_preflight_refusals_are_translated(own_ws: Workspace, api: FakeElbApi, cloud_env: None, pseudo: None, options: dict) -> None:
    with pytest.raises(elb.UploadFailed) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api, **options)
    _translated(str(raised.value))
    assert api.writes() == []


def test_a_port_held_by_another_listener_is_refused_in_the_language(own_ws: Workspace, foreign_workspace: Workspace, api: FakeElbApi,
                                                                     cloud_env: None, pseudo: None) -> None:
    upload_recorded(foreign_workspace, elb_session(foreign_workspace), api, loadbalancer_id=DEDICATED_LB)
    with pytest.raises(elb.UploadFailed) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB)
    _translated(str(raised.value))


def test_missing_credentials_and_bad_input_are_translated(own_ws: Workspace, api: FakeElbApi, monkeypatch: pytest.MonkeyPatch, pseudo: None) -> None:
    monkeypatch.delenv(elb.ENV_AK, raising=False)
    monkeypatch.delenv(elb.ENV_SK, raising=False)
    with pytest.raises(WizardError) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api)
    assert elb.ENV_AK in str(raised.value) and elb.ENV_SK in str(raised.value)  # the variables' names as they are
    _translated(str(raised.value))
    for options in ({"region": ""}, {"project_id": "a b"}, {"endpoint": "ftp://x"}, {"server_cert_name": "x" * 300}, {"port": 0}):
        with pytest.raises(WizardError) as raised:
            upload_recorded(own_ws, elb_session(own_ws), api, **options)
        _translated(str(raised.value), "ftp")
    assert api.requests == []


# ---------------------------------------------------------------------------
# error hints, by API code and by status
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "status", "code"), [
    ("create_listener", 409, "ELB.8907"),
    ("create_certificate", 400, "ELB.9807"),
    ("create_certificate", 400, "ELB.1011"),
    ("create_certificate", 400, "ELB.5051"),
    ("show_loadbalancer", 401, "APIGW.0301"),
    ("show_loadbalancer", 404, "APIGW.0101"),
])
def test_api_refusals_and_their_fixes_are_translated(own_ws: Workspace, api: FakeElbApi, cloud_env: None, pseudo: None,
                                                     route: str, status: int, code: str) -> None:
    api.fail(route, status, code, CLOUD_WORDS)
    with pytest.raises(elb.UploadFailed) as raised:
        upload_recorded(own_ws, elb_session(own_ws), api, loadbalancer_id=DEDICATED_LB)
    message = str(raised.value)
    _translated(message)
    assert f"{status} {code}: {CLOUD_WORDS}" in message  # the code and the cloud's words as they came
    assert hint_for(status, code, CLOUD_WORDS, "") != BY_CODE[code]  # the fix in the language, not the English one


def test_every_hint_is_translated_and_chosen_the_same_way(pseudo: None) -> None:
    for code in BY_CODE:
        _translated(hint_for(500, code, "", ""))
    for status in (401, 403, 404, 409, 429, 503):
        _translated(hint_for(status, "ELB.X", "", ""))
    _translated(hint_for(400, "ELB.X", "bad private_key", ""))
    _translated(hint_for(400, "ELB.X", "", ""))
    # "the certificate was refused" only for an upload, told by the wrapper whatever the language
    uploading = hint_for(400, "ELB.X", "certificate invalid", "", uploading=True)
    assert uploading != hint_for(400, "ELB.X", "certificate invalid", "", uploading=False)
    i18n.set_language(i18n.ENGLISH)
    assert hint_for(400, "ELB.X", "certificate invalid", "uploading the CA certificate").startswith("the certificate was refused")


def test_connection_failures_are_translated(pseudo: None) -> None:
    from huaweicloudsdkcore.exceptions.exceptions import (
        ConnectionException,
        SslHandShakeException,
    )

    target = ApiTarget(REGION, ELB_PROJECT, "")
    errors = [
        SslHandShakeException("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1006)"),
        ConnectionException("HTTPSConnection(host='elb.example.com', port=443): Connection to elb.example.com timed out."),
        ConnectionException("Failed to establish a new connection: [Errno 111] Connection refused"),
    ]
    for error in errors:
        message = str(describe_sdk_error(error, i18n._("creating the listener"), target, (10, 60)))
        _translated(message, "SSL", "CERTIFICATE_VERIFY_FAILED", "certificate", "verify", "failed", "Errno", "Connection", "refused")


# ---------------------------------------------------------------------------
# validation of the listener's and certificates' options
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("check", "value"), [
    (lambda v: elb.validate_sni_domain(v, ""), "auto"),
    (lambda v: elb.validate_sni_domain(v, ""), "a.example.com,,b.example.com"),
    (lambda v: elb.validate_sni_domain(v, ""), "not_a_domain"),
    (lambda v: elb.validate_sni_domain(v, ""), ",".join(f"h{n}.example.com" for n in range(101))),
    (elb.validate_lb_type, "medium"),
    (elb.validate_tls_policy, "tls-9"),
    (lambda v: elb.validate_tls_policy(v, elb.SHARED), "tls-1-2-fs"),
    (elb.validate_security_policy_id, "bad id!"),
    (lambda v: elb.validate_security_policy_id(v, elb.SHARED), "sp-1"),
    (elb.validate_forward_fields, ["serial"]),
    (elb.validate_forward_fields, ["cert=Bad Alias"]),
    (lambda v: elb.validate_name(v, "CA certificate"), "   "),
    (elb.validate_endpoint, "https://elb.example.com/v3"),
])
def test_validation_errors_are_translated(pseudo: None, check: Any, value: Any) -> None:
    with pytest.raises(WizardError) as raised:
        check(value)
    _translated(str(raised.value), "medium", "serial", "bad", "id", "Bad", "Alias", "not_a_domain")


def test_warnings_and_labels_are_translated(pseudo: None) -> None:
    domain, warnings = elb.validate_sni_domain("other.example.org", "localhost.example.com")
    assert domain == "other.example.org"  # what is sent does not change
    for text in [*warnings, *elb.tls_policy_warnings("tls-1-2-fs"), elb.no_pool_warning()]:
        _translated(text)
    for policy in elb.TLS_POLICIES:
        _translated(elb.policy_label(policy))
    for field in elb.FORWARDABLE_FIELDS:
        _translated(elb.field_label(field))
    assert elb.policy_label("tls-unknown") == ""


# ---------------------------------------------------------------------------
# rotation and listener notes, upload log lines
# ---------------------------------------------------------------------------


class _RotationApi:
    """What `retire_replaced` asks: who uses a certificate, and deleting it."""

    def __init__(self) -> None:
        self.deleted: list[str] = []

    def listeners_using(self, cert_id: str, action: str) -> list[dict[str, str]]:
        _translated(action)
        return [{"id": "listener-2"}] if cert_id == "cert-kept" else []

    def delete_certificate(self, cert_id: str, action: str) -> None:
        _translated(action)
        self.deleted.append(cert_id)


def test_rotation_notes_are_translated(pseudo: None) -> None:
    lines: list[str] = []
    result = elb.UploadResult(server_cert_id="cert-new", ca_cert_id="ca-1")
    rotation_api = _RotationApi()
    retire_replaced(rotation_api, ["cert-old", "cert-kept"], result, lines.append)  # type: ignore[arg-type]
    assert rotation_api.deleted == ["cert-old"] and result.kept == {"cert-kept": "listener-2"}
    assert len(lines) == 2
    for line in lines:
        _translated(line)


def test_listener_notes_are_translated(pseudo: None) -> None:
    choices = elb.ListenerChoices(port=443, tls_policy="tls-1-2-strict")
    actual = {"security_policy_id": "sp-1", "insert_headers": {"X-Forwarded-Clientcert-enable": True}}
    changes, notes = listener_changes(actual, "cert-1", "ca-1", choices)
    assert set(changes) == {"default_tls_container_ref", "client_ca_tls_container_ref", "tls_ciphers_policy"}
    assert len(notes) == 2
    for text in [*notes, changed_fields(changes)]:
        _translated(text)


def test_upload_log_lines_are_translated(own_ws: Workspace, api: FakeElbApi, cloud_env: None, pseudo: None) -> None:
    session = elb_session(own_ws)
    session.lb_type = "shared"  # believed so far: the pre-flight says what it is
    _first, created = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    _again, reused = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    record(session, steps.issue_server(own_ws, session, force=True))
    _moved, updated = upload_recorded(own_ws, session, api, loadbalancer_id=DEDICATED_LB)
    lines = [*created, *reused, *updated]
    assert any(line.startswith("warning: ") for line in lines)  # the marker the CLI reads stays as it is
    for line in lines:
        _translated(line.removeprefix("warning: "), "elb-lb-dedicated", "localhost-server", "localhost-ca")


# ---------------------------------------------------------------------------
# what machines read is the same in every language
# ---------------------------------------------------------------------------


def _sent(api: FakeElbApi) -> list[dict[str, Any]]:
    """The request bodies of the writes, with the ids the stand-in made up named by role."""
    ids = {cert_id: f"<{cert['type']}>" for cert_id, cert in api.certificates.items()}
    text = json.dumps([request.json for request in api.writes()])
    for cert_id, role in ids.items():
        text = text.replace(cert_id, role)
    return json.loads(text)


def test_payloads_and_machine_files_do_not_depend_on_the_language(tmp_path: Path, sk: str, cloud_env: None) -> None:
    ws = make_pki(tmp_path / "ws")
    runs: dict[str, tuple[list[dict[str, Any]], dict[str, bytes], dict[str, Any]]] = {}
    for language in (i18n.ENGLISH, i18n.PSEUDO):
        i18n.set_language(language)
        (ws.elb_dir / elb.UPLOADED).unlink(missing_ok=True)
        with FakeElbApi(secret_key=sk, access_key=ELB_AK) as stand_in:
            stand_in.add_load_balancer(DEDICATED_LB)
            upload_recorded(ws, elb_session(ws), stand_in, loadbalancer_id=DEDICATED_LB, forward_client_cert=["cert", "subjectdn=x-who"])
            sent = _sent(stand_in)
        uploaded = json.loads((ws.elb_dir / elb.UPLOADED).read_text())
        done = elb.export(ws, elb_session(ws), pool_id="pool-1")
        files = {path.name: path.read_bytes() for path in done.paths}
        runs[language] = (sent, files, uploaded)
    i18n.set_language(i18n.ENGLISH)
    (english_sent, english_files, english_record), (pseudo_sent, pseudo_files, pseudo_record) = runs[i18n.ENGLISH], runs[i18n.PSEUDO]
    assert english_sent == pseudo_sent and len(english_sent) == 3
    assert english_record.keys() == pseudo_record.keys() and english_record["note"] == pseudo_record["note"]
    for role in ("server", "ca", "listener"):
        assert english_record[role].keys() == pseudo_record[role].keys()
    api_calls = english_files.pop(elb.API_CALLS), pseudo_files.pop(elb.API_CALLS)
    assert english_files == pseudo_files  # the request bodies and the paste texts, byte for byte
    commands = [[line for line in text.decode().splitlines() if not line.startswith("#")] for text in api_calls]
    assert commands[0] == commands[1]  # the curl lines; only the comments for people are in the language
    comments = "\n".join(line.lstrip("# ") for line in api_calls[1].decode().splitlines() if line.startswith("#"))
    _translated(comments, "POST", "iam.cn-north-4.myhuaweicloud.com", "TOKEN", "X-Subject-Token")


# ---------------------------------------------------------------------------
# deadlines, unreadable answers, what ELB kept, rotation from the record
# ---------------------------------------------------------------------------


def test_deadline_and_answer_messages_are_translated(pseudo: None) -> None:
    from wizard.elb.failures import CONNECT, READ, SEND, WAIT, out_of_time, unreadable_answer

    target = ApiTarget(REGION, ELB_PROJECT, "")
    for phase in (CONNECT, SEND, WAIT, READ):
        _translated(str(out_of_time(i18n._("creating the listener"), target, phase, 60)))
    _translated(str(unreadable_answer(i18n._("reading the listener"), target, b"")))
    with pytest.raises(WizardError) as raised:
        elb.validate_endpoint("http://elb.example.com")
    _translated(str(raised.value), "http", "localhost")


def test_what_elb_kept_is_said_in_the_language(pseudo: None) -> None:
    from wizard.elb.listener import kept_notes

    kept = {"tls_ciphers_policy": ("tls-1-2-strict", "tls-1-0"), "default_pool_id": ("pool-1", "")}
    for note in [*kept_notes("l-1", kept, elb.SHARED), *kept_notes("l-1", kept, elb.DEDICATED)]:
        _translated(note, "v3")


def test_rotation_from_the_record_is_said_in_the_language(own_ws: Workspace, api: FakeElbApi, cloud_env: None, pseudo: None) -> None:
    from wizard.lifecycle import renew

    session = elb_session(own_ws)
    first, _ = upload_recorded(own_ws, session, api, loadbalancer_id=SHARED_LB)
    record(session, renew.renew_server(own_ws))
    del api.listeners[first.listener_id]
    _second, lines = upload_recorded(own_ws, session, api)
    assert any(first.listener_id in line for line in lines)
    for line in lines:
        _translated(line.removeprefix("warning: "), "elb-lb-shared", "localhost-server", "localhost-ca")
