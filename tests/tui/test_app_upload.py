"""Steps 4-5 through the ELB API from the TUI: the official SDK against the local API stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ELB_PROJECT, P12_PASSWORD
from support.fake_elb_api import FakeElbApi
from support.pilot_helpers import SIZE, focus, press_button, resume_session, settle, type_into
from textual.widgets import Button

from screens.upload_modal import UploadRequest
from wizard import elb, steps
from wizard.app import WizardApp
from wizard.session import Session, SessionStore
from wizard.workspace import Workspace

PROJECT = ELB_PROJECT


def _at_step_4(root: Path) -> Workspace:
    ws = Workspace(root)
    session = Session(workspace=str(ws.root), server_cn="localhost", server_sans=["127.0.0.1"],
                      ca_key_type="ec-p256", server_key_type="ec-p256", client_key_type="ec-p256")
    steps.generate(ws, session, P12_PASSWORD)
    session.current_step = 4
    SessionStore().save(session)
    return ws


@pytest.mark.usefixtures("credentials")
async def test_upload_with_the_api_records_both_ids(tmp_path: Path, api: FakeElbApi, sk: str) -> None:
    ws = _at_step_4(tmp_path / "workspace")
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume_session(pilot)
        assert type(app.screen).__name__ == "ServerHandOffScreen"
        assert app.screen.query_one("#upload", Button).display
        await press_button(pilot, "#upload")
        assert type(app.screen).__name__ == "UploadModal"
        await type_into(pilot, "#region", "cn-north-4")
        await type_into(pilot, "#project", PROJECT)
        await type_into(pilot, "#endpoint", api.endpoint)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ServerHandOffScreen"
        session = app.session
        assert session.server_cert_id and session.ca_cert_id
        assert session.is_done(4) and session.is_done(5)
        assert app.screen.query_one("#cert-id").value == session.server_cert_id  # type: ignore[attr-defined]
    assert len(api.calls("create_certificate")) == 2
    raw = SessionStore().path_for(ws.root).read_text()
    assert sk not in raw and "PRIVATE KEY" not in raw


async def test_no_upload_button_without_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(elb.ENV_AK, raising=False)
    monkeypatch.delenv(elb.ENV_SK, raising=False)
    ws = _at_step_4(tmp_path / "workspace")
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume_session(pilot)
        assert not app.screen.query_one("#upload", Button).display
        await focus(pilot, "#done")


@pytest.mark.usefixtures("credentials")
async def test_a_partial_upload_keeps_what_reached_the_api(tmp_path: Path, api: FakeElbApi) -> None:
    api.fail("create_certificate", 400, "ELB.8902", "quota exceeded", skip=1)  # the CA upload fails
    ws = _at_step_4(tmp_path / "workspace")
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume_session(pilot)
        app.start_upload(UploadRequest("cn-north-4", PROJECT, api.endpoint))
        await settle(pilot)
        session = app.session
        assert session.server_cert_id and session.is_done(4)  # the server certificate got there
        assert not session.ca_cert_id and not session.is_done(5)  # the CA did not
        assert "server" in session.uploaded and "ca" not in session.uploaded
        assert "quota exceeded" in app.last_error or "ELB.8902" in app.last_error
    saved = SessionStore().load(ws.root)
    assert saved is not None and saved.server_cert_id == session.server_cert_id and not saved.is_done(5)
