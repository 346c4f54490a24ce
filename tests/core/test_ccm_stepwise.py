"""Steps 1-3 one at a time with the CA in CCM (the wizard's pages take them so): step 1 creates or
uses the private CA and writes only ca/ca.crt and ca/issuer.json, steps 2 and 3 issue through it
(wizard.ccm.dispatch.issue_leaf), a recorded CA is reused instead of paid for twice, and no CA key
is ever written. The official SDK talks to the stand-in on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import P12_PASSWORD
from support.ccm_setup import CREATE, ccm_session, target
from support.fake_ccm_api import FakeCcmApi

from wizard import pki, steps
from wizard.ccm import dispatch, stepwise
from wizard.ccm.authority import CaChoice
from wizard.errors import WizardError
from wizard.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


def test_the_three_steps_one_at_a_time_through_a_new_ccm_ca(ws: Workspace, ccm: FakeCcmApi) -> None:
    session = ccm_session(ws.root)
    ca = stepwise.create_ca(ws, session, target(ccm), CREATE)
    assert not ca.reused and ws.cert("ca").exists() and not ws.key("ca").exists()
    ca_id = next(iter(ccm.cas))
    assert json.loads((ws.root / "ca" / "issuer.json").read_text())["ca"]["id"] == ca_id
    server = dispatch.issue_leaf(ws, session, "server")
    client = dispatch.issue_leaf(ws, session, "client", P12_PASSWORD)
    assert server.role == "server" and client.role == "client" and ws.p12.exists()
    ca_cert = pki.load_cert_pem(ws.cert("ca").read_bytes())
    for role in ("server", "client"):
        assert pki.verify_issued_by(pki.load_cert_pem(ws.cert(role).read_bytes()), ca_cert)
    recorded = json.loads((ws.root / "ca" / "issuer.json").read_text())
    assert set(recorded["certificates"]) == {"server", "client/client"}
    assert len(ccm.certificates_of(ca_id)) == 2 and not ws.key("ca").exists()
    with pytest.raises(WizardError, match="already exists"):
        dispatch.issue_leaf(ws, session, "server")
    again = dispatch.issue_leaf(ws, session, "server", force=True)
    assert again.backup is not None and len(ccm.certificates_of(ca_id)) == 3


def test_step_1_again_reuses_the_recorded_ca_and_creates_none(ws: Workspace, ccm: FakeCcmApi) -> None:
    session = ccm_session(ws.root)
    stepwise.create_ca(ws, session, target(ccm), CREATE)
    again = stepwise.create_ca(ws, session, None, CREATE)
    assert again.reused and len(ccm.cas) == 1 and len(ccm.calls("create_ca")) == 1


def test_an_existing_private_ca_is_used_and_a_local_ca_is_not_replaced(ws: Workspace, tmp_path: Path, ccm: FakeCcmApi) -> None:
    ca_id = ccm.add_root_ca()
    outcome = stepwise.create_ca(ws, ccm_session(ws.root), target(ccm), CaChoice(ca_id=ca_id))
    assert outcome.reused and ccm.calls("create_ca") == [] and "Test Root CA" in outcome.certificate["subject"]
    local = Workspace(tmp_path / "local")
    steps.create_ca(local, ccm_session(local.root))
    with pytest.raises(WizardError, match="has its CA on this machine"):
        stepwise.create_ca(local, ccm_session(local.root), target(ccm), CaChoice(ca_id=ca_id))
    assert not (local.root / "ca" / "issuer.json").exists()
