"""The Clients page at 80x24, keyboard only: issue a batch with progress, list, revoke."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_pki
from support.pilot_helpers import (
    SIZE,
    focus,
    press_button,
    resume,
    screen_name,
    session_at_step,
    settle,
    type_into,
)
from textual.widgets import Checkbox, DataTable

from wizard import clients
from wizard.app import WizardApp
from wizard.session import SessionStore


async def test_issue_list_and_revoke_clients_from_step_3(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    session_at_step(ws.root, 3)
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


async def test_renew_a_client_from_the_clients_page(tmp_path: Path) -> None:
    """The expiry table sends a person here to renew: the selected client gets a new key,
    certificate and .p12 with the password typed twice; the old files are kept."""
    from wizard import pki

    ws = make_pki(tmp_path / "ws")
    session = SessionStore().open(ws.root)
    session.current_step, session.steps_done = 3, [1, 2, 3]
    SessionStore().save(session)
    old = pki.load_cert_pem(ws.cert("client").read_bytes())
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 3)
        await press_button(pilot, "#clients")
        await settle(pilot)
        assert app.screen.selected() == "client"
        await press_button(pilot, "#renew")
        assert screen_name(app) == "ClientsScreen"  # no password typed yet: refused, nothing asked
        await type_into(pilot, "#password", "a new pass phrase")
        await type_into(pilot, "#confirm", "a new pass phrase")
        await press_button(pilot, "#renew")
        assert screen_name(app) == "ConfirmModal"
        await press_button(pilot, "#yes")
        await settle(pilot)
        assert screen_name(app) == "ClientsScreen" and app.last_error == ""
        renewed = pki.load_cert_pem(ws.cert("client").read_bytes())
        assert renewed.serial_number != old.serial_number and renewed.subject == old.subject
        assert app.session.certificates["client"]["fingerprint"] == pki.fingerprint(renewed)  # the session follows
        assert list(ws.root.glob("backup-*/client/client.p12"))
        assert app.screen.query_one("#password").value == ""  # the password left the form


async def test_a_long_list_fills_in_slices_with_every_row_in_order(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Every row its own slice (FILL_SLICE 0): the table still ends with every client once, in order,
    and a reload meanwhile (a new list) stops the fill under way instead of mixing with it."""
    import screens.clients

    monkeypatch.setattr(screens.clients, "FILL_SLICE", 0.0)
    ws = make_pki(tmp_path / "ws")
    clients.issue_clients(ws, ["alice", "bob", "carol", "dave", "erin"], "correct horse battery", clients.ClientOptions(key_type="ec-p256"))
    session_at_step(ws.root, 3)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 3)
        app.action_clients()
        await pilot.pause()
        app.screen.reload()  # a second list while the first may still be filling
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        for _tick in range(200):  # one row per slice: the rest arrive over the next turns of the loop
            if table.row_count == 6:
                break
            await pilot.pause(0.01)
        keys = [str(table.coordinate_to_cell_key((row, 0)).row_key.value) for row in range(table.row_count)]
        assert keys == ["client", "alice", "bob", "carol", "dave", "erin"]
