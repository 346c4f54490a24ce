"""Steps 1-3, named clients and revocation with the CA held in CCM: the official SDK talks for real
to the stand-in (tests/support/fake_ccm_api.py), which really signs. What comes back is judged
by `openssl verify -x509_strict` against the exported CA certificate."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from conftest import P12_PASSWORD
from support.ccm_setup import ACCOUNT, CREATE, ccm_session, connect, target
from support.fake_ccm_api import FakeCcmApi
from support.tools import run, tool

from wizard import clients, pki, progress
from wizard.ccm import dispatch, profile
from wizard.ccm.authority import CaChoice
from wizard.ccm.generate import generate
from wizard.ccm.record import read_record, record_path
from wizard.ccm.teaching import workspace_script
from wizard.errors import WizardError
from wizard.issuers import LeafRequest, LocalIssuer
from wizard.steps import load_ca
from wizard.workspace import Workspace


def _generate(ws: Workspace, api: FakeCcmApi, choice: CaChoice = CREATE, **options: object) -> list:
    return generate(ws, ccm_session(ws.root), P12_PASSWORD, target(api), choice, **options)  # type: ignore[arg-type]


def _listed_bodies(listing: str) -> dict[str, list[dict]]:
    """The calls of a teaching listing: "METHOD path" -> the JSON bodies shown under it."""
    found: dict[str, list[dict]] = {}
    call, body = "", []
    for line in [*listing.splitlines(), "#"]:
        if line.startswith("#   "):
            body.append(line[4:])
            continue
        if call and body:
            found.setdefault(call, []).append(json.loads("\n".join(body)))
        call, body = (line[2:] if line.startswith(("# POST ", "# GET ")) else ""), []
    return found


def _verify(ws: Workspace, *certs: Path) -> str:
    result = run(tool("openssl"), "verify", "-x509_strict", "-CAfile", str(ws.cert("ca")), *map(str, certs))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


# ---------------------------------------------------------------------------
# steps 1-3
# ---------------------------------------------------------------------------


def test_generate_creates_a_root_ca_in_ccm_and_no_ca_key_exists_here(ws: Workspace, ccm: FakeCcmApi) -> None:
    outcomes = _generate(ws, ccm)
    assert [o.role for o in outcomes] == ["ca", "server", "client"]
    assert not ws.key("ca").exists() and sorted(p.name for p in ws.root.rglob("*.key")) == ["client.key", "server.key"]
    (ca_id, held), = ccm.cas.items()
    assert held["type"] == "ROOT" and held["account"] == ACCOUNT
    record = read_record(ws)
    assert record is not None and record.ca_id == ca_id and record.ca["created_here"] is True
    assert set(record.certificates) == {"server", "client/client"}
    assert record.certificates["server"]["route"] == "ccm" and record.certificates["client/client"]["route"] == "csr"
    assert {e["id"] for e in record.certificates.values()} == set(ccm.issued)
    assert _verify(ws, ws.cert("server"), ws.cert("client")).count(": OK") == 2
    for secret in (ws.key("server"), ws.key("client"), ws.p12):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert not (ws.folder("ca") / "ccm-pending").exists()  # nothing left staged
    # Nothing secret in the record.
    assert "PRIVATE KEY" not in record_path(ws).read_text() and "password" not in record_path(ws).read_text().lower()


def test_the_certificates_have_the_local_profile(ws: Workspace, ccm: FakeCcmApi) -> None:
    _generate(ws, ccm)
    server = pki.load_cert_pem(ws.cert("server").read_bytes())
    client = pki.load_cert_pem(ws.cert("client").read_bytes())
    assert pki.san_strings(server) == ["DNS:localhost", "IP:127.0.0.1"]
    assert pki.extended_key_usages(server) == ["serverAuth"] and pki.extended_key_usages(client) == ["clientAuth"]
    assert pki.cn_of(client.subject) == "client" and not pki.is_ca(server) and not pki.is_ca(client)
    p12 = pki.load_p12(ws.p12.read_bytes(), P12_PASSWORD)
    assert p12.cert is not None and p12.cert.certificate == client  # the .p12 built here, as for a local CA
    assert pki.keys_match(pki.load_key_pem(ws.key("server").read_bytes()), server)


def test_the_client_key_never_leaves_this_machine(ws: Workspace, ccm: FakeCcmApi) -> None:
    _generate(ws, ccm)
    dispatch.issue_clients(ws, ["alice"], P12_PASSWORD, clients.ClientOptions(days=30))
    sent = [r for r in ccm.requests if r.route == "create_certificate_by_csr"]
    assert len(sent) == 2 and all(b"PRIVATE KEY" not in r.body for r in ccm.requests)
    assert all("BEGIN CERTIFICATE REQUEST" in r.json["csr"] for r in sent)
    # CCM holds no key for them; the one it made (the server's) it exported once.
    assert sorted(record["gen_mode"] for record in ccm.issued.values()) == ["CSR", "CSR", "GENERATE"]
    assert len([r for r in ccm.requests if r.route == "export_certificate"]) == 3


def test_an_existing_ca_of_the_account_is_used_without_creating_one(ws: Workspace, ccm: FakeCcmApi) -> None:
    ca_id = ccm.add_root_ca("Ops Root CA", "RSA2048")
    outcomes = _generate(ws, ccm, CaChoice(ca_id=ca_id))
    assert not ccm.calls("create_ca") and outcomes[0].reused
    assert pki.cn_of(pki.load_cert_pem(ws.cert("ca").read_bytes()).subject) == "Ops Root CA"
    _verify(ws, ws.cert("server"), ws.cert("client"))
    # The subject takes what CCM inherits from the CA (C, ST, L, OU); O and CN are the wizard's.
    server = pki.load_cert_pem(ws.cert("server").read_bytes())
    assert "O=ELB" in server.subject.rfc4514_string() and "CN=localhost" in server.subject.rfc4514_string()


def test_a_subordinate_ca_is_created_under_a_root_and_its_chain_exported(ws: Workspace, ccm: FakeCcmApi) -> None:
    root = ccm.add_root_ca()
    _generate(ws, ccm, CaChoice(create=True, accept_charges=True, issuer_id=root))
    created = ccm.calls("create_ca")[0].json
    assert created["type"] == "SUBORDINATE" and created["issuer_id"] == root and created["path_length"] == 0
    chain = pki.inspect_bytes(ws.cert("ca").read_bytes()).certificates
    assert len(chain) == 2 and chain[1].subject == "CN=Test Root CA,OU=Ops,O=Test,L=Beijing,ST=Beijing,C=CN"
    _verify(ws, ws.cert("server"), ws.cert("client"))


def test_a_later_generate_reuses_the_recorded_ca_and_replaces_leaves_only_with_force(ws: Workspace, ccm: FakeCcmApi) -> None:
    _generate(ws, ccm)
    with pytest.raises(WizardError, match="--force"):
        generate(ws, ccm_session(ws.root), P12_PASSWORD, None, CaChoice())
    outcomes = generate(ws, ccm_session(ws.root), P12_PASSWORD, None, CaChoice(), force=True)
    assert len(ccm.cas) == 1 and outcomes[0].backup is not None
    record = read_record(ws)
    assert record is not None and len(record.replaced) == 2  # the old ones are still valid in CCM: recorded


def test_the_workspace_progress_counts_steps_1_to_3_for_a_ccm_ca(ws: Workspace, ccm: FakeCcmApi) -> None:
    _generate(ws, ccm)
    assert progress.survey(ws).steps_done == [1, 2, 3]
    with pytest.raises(WizardError, match="held in CCM"):
        load_ca(ws)  # a local-CA action says why it cannot sign, instead of "ca.key is missing"


# ---------------------------------------------------------------------------
# named clients and revocation
# ---------------------------------------------------------------------------


def test_named_clients_are_issued_through_ccm_and_listed(ws: Workspace, ccm: FakeCcmApi) -> None:
    _generate(ws, ccm)
    result = dispatch.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, clients.ClientOptions(days=90))
    assert [c.name for c in result.issued] == ["alice", "bob"] and not result.failed
    _verify(ws, *(clients.client_files(ws, name).cert for name in ("alice", "bob")))
    assert [(c.name, c.state) for c in clients.list_clients(ws)] == [("client", "valid"), ("alice", "valid"), ("bob", "valid")]
    record = read_record(ws)
    assert record is not None and {"client/alice", "client/bob"} <= set(record.certificates)


def test_revoking_a_ccm_client_revokes_it_in_ccm_and_lists_it_as_revoked(ws: Workspace, ccm: FakeCcmApi) -> None:
    _generate(ws, ccm)
    dispatch.issue_clients(ws, ["bob"], P12_PASSWORD, clients.ClientOptions(days=90))
    done = dispatch.revoke_client(ws, "bob", "keyCompromise", 30)
    record = read_record(ws)
    assert record is not None
    cert_id = record.certificates["client/bob"]["id"]
    assert ccm.issued[cert_id]["status"] == "REVOKED" and ccm.issued[cert_id]["reason"] == "KEY_COMPROMISE"
    assert {c.name: c.state for c in clients.list_clients(ws)}["bob"] == "revoked"
    assert done.serial in clients.serials_path(ws).read_text()
    assert not clients.crl_path(ws).exists()  # the CRL is CCM's, not signed here
    bob = pki.load_cert_pem(clients.client_files(ws, "bob").cert.read_bytes())
    assert ccm.crl(record.ca_id).get_revoked_certificate_by_serial_number(bob.serial_number) is not None
    again = dispatch.revoke_client(ws, "bob", "keyCompromise", 30)
    assert again.already and len(ccm.calls("revoke_certificate")) == 1
    with pytest.raises(WizardError, match="CCM, which signs and publishes its CRL"):
        clients.refresh_crl(ws)


def test_the_crl_is_turned_on_to_an_obs_bucket_once_ccm_may_write_there(ws: Workspace, ccm: FakeCcmApi) -> None:
    from wizard.ccm.clients import enable_crl

    _generate(ws, ccm)
    with pytest.raises(WizardError, match="OBS agency"):
        enable_crl(ws, "mtls-crl", 7)
    ccm.obs_agency = True
    with pytest.raises(WizardError, match="bucket mtls-crl does not exist"):
        enable_crl(ws, "mtls-crl", 7)
    ccm.buckets.add("mtls-crl")
    point = enable_crl(ws, "mtls-crl", 7)
    record = read_record(ws)
    assert record is not None and point.endswith(f"/{record.ca_id}.crl") and record.ca["crl"]["distribution_point"] == point
    assert ccm.calls("enable_crl")[-1].json == {"obs_bucket_name": "mtls-crl", "valid_days": 7, "crl_name": record.ca_id}


# ---------------------------------------------------------------------------
# one interface for both issuers; the teaching listing
# ---------------------------------------------------------------------------


def test_the_local_and_the_ccm_issuer_give_the_same_profile(tmp_path: Path, ws: Workspace, ccm: FakeCcmApi) -> None:
    from conftest import make_pki

    local_ws = make_pki(tmp_path / "local", sans=("127.0.0.1",))
    _generate(ws, ccm)
    request = LeafRequest("server", "api.example.com", "ELB", 90, "ec-p256", sans=("10.0.0.5",))
    local = LocalIssuer(*load_ca(local_ws)).sign_leaf(request)
    api = connect(ccm)
    try:
        issuer = dispatch.issuer_for(ws, api=api)
        remote = issuer.sign_leaf(request)
        issuer.settle(request, remote)
    finally:
        api.close()
    for leaf in (local, remote):
        assert pki.san_strings(leaf.cert) == ["DNS:api.example.com", "IP:10.0.0.5"]
        assert pki.extended_key_usages(leaf.cert) == ["serverAuth"] and pki.key_usages(leaf.cert) == ["digitalSignature"]
        assert profile.problems_with(leaf.cert, request, issuer.ca_certificate() if leaf is remote else load_ca(local_ws)[1], leaf.key) == []


def test_the_script_lists_the_very_bodies_that_were_sent(ws: Workspace, ccm: FakeCcmApi) -> None:
    _generate(ws, ccm)
    listing = workspace_script(ws, ccm_session(ws.root))
    created = ccm.calls("create_ca")[0].json
    server = ccm.calls("create_certificate")[0].json
    listed = _listed_bodies(listing)
    assert listed["POST /v1/private-certificate-authorities"] == [created]
    assert listed["POST /v1/private-certificates"] == [server]
    csr_body = listed["POST /v1/private-certificates/csr"][0]
    assert csr_body == {**ccm.calls("create_certificate_by_csr")[0].json, "csr": "<client/client.csr>"}
    assert run("sh", "-n", input=listing).returncode == 0  # what runs here is valid shell


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_every_ccm_step_page_says_what_ccm_does_in_each_language(language: str) -> None:
    from wizard import i18n
    from wizard.ccm.teaching import STEP_TEXTS, step_text

    i18n.set_language(language)
    texts = {page: step_text(page) for page in STEP_TEXTS}
    assert all(text.startswith("## ") for text in texts.values())
    assert "--i-accept-ccm-charges" in texts["step1"] and ("billed" in texts["step1"] or "计费" in texts["step1"])
    assert "client/client.csr" in texts["step3"] and "--crl-bucket BUCKET" in texts["step6-revocation"]


# ---------------------------------------------------------------------------
# switching between a CA here and a CA in CCM
# ---------------------------------------------------------------------------


def test_a_local_workspace_moves_to_a_ccm_ca_only_with_new_ca(tmp_path: Path, ccm: FakeCcmApi) -> None:
    from conftest import make_pki

    local = make_pki(tmp_path / "local")
    with pytest.raises(WizardError, match="has its CA on this machine \\(ca/ca.key\\): add --new-ca"):
        _generate(local, ccm, force=True)
    assert ccm.requests == []
    outcomes = _generate(local, ccm, new_ca=True)
    assert not local.key("ca").exists() and outcomes[0].backup is not None and (outcomes[0].backup / "ca" / "ca.key").exists()
    _verify(local, local.cert("server"), local.cert("client"))


def test_a_ccm_workspace_gets_a_local_ca_again_with_new_ca(ws: Workspace, ccm: FakeCcmApi) -> None:
    from wizard import steps

    _generate(ws, ccm)
    with pytest.raises(WizardError, match="held in CCM"):
        steps.generate(ws, ccm_session(ws.root), P12_PASSWORD, force=True)
    outcomes = steps.generate(ws, ccm_session(ws.root), P12_PASSWORD, new_ca=True)
    assert ws.key("ca").exists() and read_record(ws) is None
    assert outcomes[0].backup is not None and (outcomes[0].backup / "ca" / "issuer.json").exists()
    _verify(ws, ws.cert("server"), ws.cert("client"))
