"""The ELB route after a listener exists, at 80x24: steps 4-6 and the summary's renew move the
recorded listener through the official SDK (against the local stand-in) with nothing typed again,
never offer to create one while one is recorded, and say so when it is gone from ELB; Copy of the
private key asks first and offers Save to file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ELB_PROJECT, make_pki
from support.fake_elb_api import FakeElbApi
from support.pilot_helpers import SIZE, focus, press_button, resume, screen_name, settle, type_into
from textual.widgets import Button, Static

from wizard import elb
from wizard.app import WizardApp
from wizard.session import SessionStore
from wizard.workspace import Workspace

LB_ID = "3f2b8c1e-0a4d-4b7e-9c21-5d6e7f8a9b0c"


def at_step(root: Path, step: int) -> Workspace:
    ws = make_pki(root)
    session = SessionStore().open(ws.root)
    session.current_step, session.steps_done = step, list(range(1, step))
    SessionStore().save(session)
    return ws


async def create_listener(pilot, api: FakeElbApi) -> None:
    """Step 6's first listener, through the API dialog (the only time the ids are typed)."""
    await press_button(pilot, "#api")
    assert screen_name(pilot.app) == "UploadModal"
    await type_into(pilot, "#region", "cn-north-4")
    await type_into(pilot, "#project", ELB_PROJECT)
    await type_into(pilot, "#endpoint", api.endpoint)
    await type_into(pilot, "#lb", LB_ID)
    await press_button(pilot, "#upload")
    await settle(pilot)
    assert pilot.app.last_error == "", pilot.app.last_error


@pytest.mark.usefixtures("credentials")
async def test_steps_4_and_6_and_the_renew_move_the_recorded_listener_without_asking(tmp_path: Path, api: FakeElbApi) -> None:
    api.add_load_balancer(LB_ID)
    ws = at_step(tmp_path / "ws", 6)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        assert screen_name(app) == "ListenerScreen"
        await create_listener(pilot, api)
        listener_id = app.session.listener_id
        assert listener_id in api.listeners and app.session.is_done(6)
        # Recorded now: step 6 offers to move it, never to create one.
        button = app.screen.query_one("#api", Button)
        assert str(button.label) == f"Move listener {listener_id} with the API"
        assert "moves the recorded listener" in str(app.screen.query_one("#api-route", Static).content)

        # The summary's renew moves it at once (upload, listener update, the old one deleted).
        old_server = api.listeners[listener_id]["default_tls_container_ref"]
        app.start_renewal("server")
        await settle(pilot)
        await settle(pilot)  # the renewal, then the move it starts
        new_server = api.listeners[listener_id]["default_tls_container_ref"]
        assert new_server != old_server and old_server not in api.certificates
        assert app.session.is_done(4) and app.session.is_done(6) and app.session.server_cert_id == new_server
        assert len(api.calls("create_listener")) == 1  # moved, never created again

        # Step 4 after another renewal: its button moves the listener too, with no dialog.
        app.start_renewal("ca")
        await settle(pilot)
        await settle(pilot)
        app.goto(4)
        await pilot.pause()
        await settle(pilot)
        upload = app.screen.query_one("#upload", Button)
        assert str(upload.label) == f"Upload and move listener {listener_id}"
        await press_button(pilot, "#upload")
        assert screen_name(app) == "ServerHandOffScreen"  # no dialog: the record says where
        await settle(pilot)
        assert app.last_error == "" and app.session.is_done(6)
    assert len(api.calls("create_listener")) == 1


@pytest.mark.usefixtures("credentials")
async def test_a_recorded_listener_gone_from_elb_is_said_to_be_gone(tmp_path: Path, api: FakeElbApi) -> None:
    api.add_load_balancer(LB_ID)
    ws = at_step(tmp_path / "ws", 6)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        await create_listener(pilot, api)
        gone = app.session.listener_id
        api.listeners.pop(gone)  # deleted in the console meanwhile
        await press_button(pilot, "#api")
        await settle(pilot)
        assert f"The recorded listener {gone} is gone from ELB" in app.last_error
        if screen_name(app) == "MessageModal":
            await pilot.press("escape")
            await pilot.pause()
        assert str(app.screen.query_one("#api", Button).label) == "Create or move it with the API…"
        assert f"{gone} is gone from ELB" in str(app.screen.query_one("#api-note", Static).content)
        await press_button(pilot, "#api")
        assert screen_name(app) == "UploadModal"  # now the load balancer is asked for, to create one
    assert len(api.calls("create_listener")) == 1


async def test_copying_the_private_key_asks_first_and_offers_save_to_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(elb.ENV_AK, raising=False)
    ws = at_step(tmp_path / "ws", 4)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        await settle(pilot)
        await press_button(pilot, "#copy-server_key")
        assert screen_name(app) == "KeyCopyModal"
        body = str(app.screen.query_one(".dialog-body Static", Static).content)
        assert "OSC 52" in body and "over SSH" in body and "Save to file" in body
        assert app.focused is app.screen.query_one("#cancel")
        await pilot.press("enter")  # Cancel: nothing leaves
        await pilot.pause()
        assert screen_name(app) == "ServerHandOffScreen" and app.clipboard == ""
        await press_button(pilot, "#copy-server_key")
        await press_button(pilot, "#save")
        await settle(pilot)
        saved = ws.elb_dir / "paste-server-private-key.txt"
        assert saved.exists() and saved.stat().st_mode & 0o777 == 0o600 and app.clipboard == ""
        await press_button(pilot, "#copy-server_key")
        await press_button(pilot, "#copy")
        assert app.clipboard.startswith("-----BEGIN") and "PRIVATE KEY" in app.clipboard
        await press_button(pilot, "#copy-server_cert")  # a certificate is copied at once
        assert screen_name(app) == "ServerHandOffScreen" and app.clipboard.startswith("-----BEGIN CERTIFICATE-----")
