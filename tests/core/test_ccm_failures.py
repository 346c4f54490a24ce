"""CCM when things go wrong: each failure in one line chosen by what went wrong (quota, a CA that
cannot issue, the wrong region, no permission, a refused signature), refusals before anything is
sent, nothing half-written in the workspace when a call fails half-way, and a retry that adopts
what the first call made instead of issuing it twice. The official SDK talks to the stand-in."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import P12_PASSWORD
from support.ccm_setup import ACCOUNT, CREATE, ccm_session, connect, target
from support.fake_ccm_api import CA_STATE, QUOTA, FakeCcmApi

from wizard import clients
from wizard.ccm import clients as ccm_clients
from wizard.ccm import dispatch
from wizard.ccm.api import CcmTarget
from wizard.ccm.authority import CaChoice
from wizard.ccm.generate import generate
from wizard.ccm.record import pending_folder, read_record, working_record
from wizard.cli.ccm import checked_target
from wizard.elb import ENV_AK, ENV_SK
from wizard.errors import InputError, WizardError
from wizard.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


def _generate(ws: Workspace, api: FakeCcmApi, choice: CaChoice = CREATE, **options: object) -> list:
    return generate(ws, ccm_session(ws.root), P12_PASSWORD, target(api), choice, **options)  # type: ignore[arg-type]


def _nothing_written(ws: Workspace) -> None:
    """No certificate, key or record in the workspace: at most the staging folder a retry adopts from,
    the lock, and the .gitignore a new workspace writes for itself."""
    kept = (".mtls-wizard.lock", ".gitignore")
    written = [p for p in ws.root.rglob("*") if p.is_file() and pending_folder(ws) not in p.parents and p.name not in kept]
    assert written == []


def _with_a_ca(ws: Workspace, api: FakeCcmApi) -> str:
    _generate(ws, api)
    return next(iter(api.cas))


# ---------------------------------------------------------------------------
# refused before anything is sent
# ---------------------------------------------------------------------------


def test_without_credentials_nothing_is_sent(ws: Workspace, ccm: FakeCcmApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SK)
    with pytest.raises(InputError, match=f"set {ENV_AK} and {ENV_SK} in the environment"):
        _generate(ws, ccm)
    assert ccm.requests == []


@pytest.mark.parametrize(("region", "endpoint", "message"), [
    ("", "http://10.0.0.1:8080", "plain http only to this machine"),
    ("", "ftp://ccm.example.com", "give an https:// URL"),
    ("", "", "give --region"),
])
def test_a_bad_target_is_refused_before_any_client_exists(region: str, endpoint: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        checked_target(region, ACCOUNT, endpoint)
    with pytest.raises(InputError, match="account \\(domain\\) ID"):
        checked_target("cn-north-4", "", "")


def test_a_recorded_plain_http_endpoint_elsewhere_is_refused_too(ws: Workspace, cloud_env: dict) -> None:
    from wizard.ccm.api import CcmApi

    with pytest.raises(InputError, match="plain http only to this machine"):
        CcmApi.connect(CcmTarget("", ACCOUNT, "http://192.0.2.10"))


def test_a_region_without_ccm_names_the_ones_the_sdk_knows(ws: Workspace, cloud_env: dict) -> None:
    with pytest.raises(InputError, match="CCM is not offered in the region 'eu-nowhere-9'.*cn-north-4"):
        generate(ws, ccm_session(ws.root), P12_PASSWORD, CcmTarget("eu-nowhere-9", ACCOUNT), CREATE)


@pytest.mark.parametrize(("answers", "message"), [
    ({"client_cn": "alice@example"}, "CCM refuses the CN 'alice@example' \\(@\\)"),
    ({"server_key_type": "rsa3072"}, "CCM makes and signs RSA2048, RSA4096, EC256, EC384 keys only"),
    ({"server_days": 8000}, "at most 20 years"),
])
def test_what_ccm_would_refuse_is_refused_before_any_call(ws: Workspace, ccm: FakeCcmApi, answers: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        generate(ws, ccm_session(ws.root, **answers), P12_PASSWORD, target(ccm), CREATE)
    assert ccm.requests == []


def test_creating_a_ca_needs_the_charges_accepted(ws: Workspace, ccm: FakeCcmApi) -> None:
    with pytest.raises(InputError, match="costs money.*billed from the moment it exists.*only with your consent to the charges"):
        _generate(ws, ccm, CaChoice(create=True, place=CREATE.place))
    assert ccm.calls("create_ca") == []


# ---------------------------------------------------------------------------
# errors in one line, by what went wrong
# ---------------------------------------------------------------------------


def test_a_refused_signature_says_check_the_keys_and_the_clock(ws: Workspace, ccm: FakeCcmApi, monkeypatch: pytest.MonkeyPatch,
                                                               capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(ENV_SK, "not-the-secret")
    with pytest.raises(WizardError) as raised:
        _generate(ws, ccm)
    message = str(raised.value)
    assert "HTTP 401 APIGW.0301" in message and ENV_SK in message and "clock" in message and "\n" not in message
    assert "not-the-secret" not in message
    assert capfd.readouterr() == ("", "")  # the SDK's own logging stays silent
    _nothing_written(ws)


def test_the_certificate_quota_is_checked_before_a_ca_is_created(ws: Workspace, ccm: FakeCcmApi) -> None:
    ccm.certificate_quota = 1
    with pytest.raises(WizardError, match="allows 1 private certificates and 0 are used, 2 more are needed.*nothing was issued"):
        _generate(ws, ccm)
    assert ccm.calls("create_ca") == [] and ccm.issued == {}
    _nothing_written(ws)


def test_a_quota_refused_by_the_service_is_told_as_a_quota(ws: Workspace, ccm: FakeCcmApi) -> None:
    ccm.fail("create_certificate", 400, QUOTA, "The number of private certificates exceeds the quota.")
    with pytest.raises(WizardError, match=f"HTTP 400 {QUOTA}: .*quota is used up") as raised:
        _generate(ws, ccm)
    assert raised.value.kind == "quota"  # type: ignore[attr-defined]
    assert working_record(ws).pending == {}  # refused: nothing to adopt later
    _nothing_written(ws)


def test_no_permission_is_told_as_such(ws: Workspace, ccm: FakeCcmApi) -> None:
    ca_id = _with_a_ca(ws, ccm)
    ccm.deny("create_certificate_by_csr")
    result = dispatch.issue_clients(ws, ["alice"], P12_PASSWORD, clients.ClientOptions(days=30))
    (name, why), = result.failed
    assert name == "alice" and "HTTP 403" in why and "pca:create_certificate_by_csr" in why and "may not do this in CCM" in why
    assert not clients.client_files(ws, "alice").folder.exists() and ca_id in ccm.cas


@pytest.mark.parametrize(("status", "says"), [("DISABLED", "is disabled in CCM: enable it"), ("EXPIRED", "has expired in CCM")])
def test_a_ca_that_cannot_issue_is_refused_before_issuing(ws: Workspace, ccm: FakeCcmApi, status: str, says: str) -> None:
    ca_id = _with_a_ca(ws, ccm)
    ccm.set_ca_status(ca_id, status)
    with pytest.raises(WizardError, match=says):
        dispatch.issue_clients(ws, ["alice"], P12_PASSWORD, clients.ClientOptions(days=30))
    assert len(ccm.issued) == 2


def test_a_ca_state_refused_by_the_service_is_told_by_its_message(ws: Workspace, ccm: FakeCcmApi) -> None:
    _with_a_ca(ws, ccm)
    ccm.fail("create_certificate_by_csr", 400, CA_STATE, "The CA is not in the activated state: DISABLED.")
    (_name, why), = dispatch.issue_clients(ws, ["alice"], P12_PASSWORD, clients.ClientOptions(days=30)).failed
    assert "cannot issue now (disabled, expired or not activated)" in why


def test_a_ca_of_another_region_is_not_found_there(ws: Workspace, ccm: FakeCcmApi, cloud_env: dict) -> None:
    ca_id = ccm.add_root_ca()
    with FakeCcmApi(secret_key=cloud_env[ENV_SK], access_key=cloud_env[ENV_AK], account=ACCOUNT) as elsewhere:
        with pytest.raises(WizardError, match=f"CCM has no private CA {ca_id} at {elsewhere.endpoint}.*the region or endpoint \\(each CA lives in one region\\)"):
            _generate(ws, elsewhere, CaChoice(ca_id=ca_id))
    _nothing_written(ws)


# ---------------------------------------------------------------------------
# half-way failures: nothing half-written, and a retry adopts
# ---------------------------------------------------------------------------


def test_a_failure_half_way_writes_nothing_and_the_retry_adopts_what_was_made(ws: Workspace, ccm: FakeCcmApi) -> None:
    ccm.fail("export_certificate", 500, "PCA.00000001", "Internal error.", skip=1, times=1)  # the server's export works, the client's not
    with pytest.raises(WizardError, match="HTTP 500"):
        _generate(ws, ccm)
    _nothing_written(ws)
    assert read_record(ws) is None and len(ccm.issued) == 2  # both were made in CCM; the client's id is recorded as pending
    _generate(ws, ccm)
    assert len(ccm.calls("create_certificate")) == 1 and len(ccm.calls("create_certificate_by_csr")) == 1 and len(ccm.issued) == 2
    record = read_record(ws)
    assert record is not None and {e["id"] for e in record.certificates.values()} == set(ccm.issued)
    assert len(ccm.cas) == 1 and not pending_folder(ws).exists()


@pytest.mark.parametrize("route", ["create_certificate", "create_certificate_by_csr", "create_ca"])
def test_a_lost_answer_is_found_and_adopted_not_made_twice(ws: Workspace, ccm: FakeCcmApi, route: str, capfd: pytest.CaptureFixture[str]) -> None:
    ccm.lose_response(route)
    with pytest.raises(WizardError, match="cannot reach"):
        _generate(ws, ccm)
    assert capfd.readouterr() == ("", "")  # the SDK's own logging of the dropped connection stays silent
    _nothing_written(ws)
    outcomes = _generate(ws, ccm)
    assert len(ccm.calls(route)) == 1  # the retry made none: it found the first call's
    assert len(ccm.cas) == 1 and len(ccm.issued) == 2
    record = read_record(ws)
    assert record is not None and record.ca_id in ccm.cas and {e["id"] for e in record.certificates.values()} == set(ccm.issued)
    assert [o.role for o in outcomes] == ["ca", "server", "client"]


def test_a_call_past_its_deadline_is_adopted_once_it_lands(ws: Workspace, ccm: FakeCcmApi) -> None:
    _with_a_ca(ws, ccm)
    ccm.stall("create_certificate_by_csr", 1.5)
    api = connect(ccm, deadline=0.3)
    try:
        started = time.monotonic()
        with pytest.raises(WizardError, match="gave no answer within 0.3 s.*adopted when you run the same command again"):
            _raise_first_failure(ws, api)
        assert time.monotonic() - started < 1.4
    finally:
        api.close()
    deadline = time.monotonic() + 10
    while len(ccm.issued) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    ccm.stall("create_certificate_by_csr", 0)
    result = dispatch.issue_clients(ws, ["alice"], P12_PASSWORD, clients.ClientOptions(days=30))
    assert [c.name for c in result.issued] == ["alice"] and len(ccm.calls("create_certificate_by_csr")) == 2  # the client, then alice once
    assert len(ccm.issued) == 3


def _raise_first_failure(ws: Workspace, api: object) -> None:
    result = ccm_clients.issue_clients(ws, ["alice"], P12_PASSWORD, clients.ClientOptions(days=30), api=api)  # type: ignore[arg-type]
    if result.failed:
        raise WizardError(result.failed[0][1])


def test_a_certificate_that_is_not_what_was_asked_is_revoked_and_never_written(ws: Workspace, ccm: FakeCcmApi) -> None:
    with pytest.raises(WizardError, match="lacks the names DNS:localhost, IP:127.0.0.1.*it was revoked in CCM, and nothing was written"):
        _generate(ws, ccm, keys="local")  # the server by CSR: CCM ignores the CSR's names
    (refused,) = [r for r in ccm.issued.values() if r["gen_mode"] == "CSR"]
    assert refused["status"] == "REVOKED" and refused["reason"] == "CESSATION_OF_OPERATION"
    _nothing_written(ws)
    assert "server" not in working_record(ws).pending
