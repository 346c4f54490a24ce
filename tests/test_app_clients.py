"""The Clients page at 80x24, keyboard only: issue a batch with progress, list, revoke."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_pki
from pilot_helpers import SIZE, focus, press_button, resume, screen_name, settle, type_into
from textual.widgets import Checkbox, DataTable

from wizard import clients
from wizard.app import WizardApp
from wizard.session import SessionStore


async def test_issue_list_and_revoke_clients_from_step_3(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    session = SessionStore().open(ws.root)
    session.current_step, session.steps_done = 3, [1, 2]
    SessionStore().save(session)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 3)
        await press_button(pilot, "#clients")
        assert screen_name(app) == "ClientsScreen"
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1  # the tutorial's client
        await type_into(pilot, "#names", "alice bob carol dave")
        await focus(pilot, "#random")
        await pilot.press("space")
        assert app.screen.query_one("#random", Checkbox).value
        await press_button(pilot, "#issue")
        await settle(pilot)
        for _ in range(100):  # the list reloads once the batch is written
            await pilot.pause(0.05)
            if app.screen.query_one(DataTable).row_count == 5:
                break
        assert app.screen.query_one(DataTable).row_count == 5
        assert all(clients.client_files(ws, name).password.exists() for name in ("alice", "bob", "carol", "dave"))
        await focus(pilot, "#clients-table")
        await pilot.press("down", "down")  # client, alice, bob
        await pilot.pause()
        assert app.screen.selected() == "bob"
        await press_button(pilot, "#revoke")
        assert screen_name(app) == "ConfirmModal"
        explained = str(app.screen.query_one(".dialog-body Static").content)
        assert "ELB does NOT check CRLs" in explained and "ssl_crl" in explained
        await press_button(pilot, "#yes")
        await settle(pilot)
        for _ in range(100):
            await pilot.pause(0.05)
            if "revoked" in str(app.screen.query_one(DataTable).get_row("bob")):
                break
        assert "revoked" in str(app.screen.query_one(DataTable).get_row("bob"))
        record = json.loads(clients.record_path(ws).read_text())
        assert [entry["name"] for entry in record["revoked"]] == ["bob"]
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(app) == "ClientScreen"
