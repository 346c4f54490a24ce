"""The CA key's passphrase in the wizard, and the workspace as the truth, at 80x24 with the keyboard:
step 1 puts a new CA key under a passphrase (and the run remembers it), a CA key under one is
unlocked once per run through a dialog before the wizard signs, the passphrase never reaches the
session, the workspace's files or the screen; a copied workspace resumes at the same step, and a
language switch says the saved verdict and an open dialog again in the new language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography import x509
from conftest import P12_PASSWORD
from support.pilot_helpers import SIZE, choose, focus, press_button, resume, screen_name, settle, start, type_into
from support.screen_scenes import prepare
from textual.widgets import Button, DataTable, Static

from wizard import ca_key, clients, i18n, steps
from wizard.app import WizardApp
from wizard.session import Session, SessionStore
from wizard.workspace import Workspace

PASSPHRASE = "tui passphrase 2024!"


def protected_workspace(root: Path) -> Workspace:
    ws = Workspace(root)
    session = Session(workspace=str(ws.root), server_cn="localhost", ca_key_type="ec-p256", server_key_type="ec-p256",
                      client_key_type="ec-p256", current_step=3, steps_done=[1, 2, 3])
    steps.generate(ws, session, P12_PASSWORD, protect=PASSPHRASE)
    SessionStore().save(session)
    return ws


def nothing_holds(ws: Workspace, secret: str, app: WizardApp) -> None:
    """The passphrase is in no file of the workspace or the data dir, and not on the screen."""
    files = [*ws.root.rglob("*"), *SessionStore().root.rglob("*")]
    for path in files:
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert secret not in app.export_screenshot()


async def test_step_1_puts_a_new_ca_key_under_a_passphrase_and_step_2_signs_without_asking(tmp_path: Path) -> None:
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 1)
        assert screen_name(app) == "CaScreen"
        assert not app.screen.query_one("#passphrase-row").display  # off by default: nothing changes for whoever chooses none
        await choose(pilot, "#key-type", "ec-p256")
        await focus(pilot, "#protect")
        await pilot.press("space")
        await pilot.pause()
        assert app.screen.query_one("#passphrase-row").display
        assert app.screen.query_one("#create", Button).disabled  # no passphrase typed yet
        await type_into(pilot, "#ca-passphrase", PASSPHRASE)
        await type_into(pilot, "#ca-passphrase-confirm", PASSPHRASE)
        await pilot.pause()
        assert not app.screen.query_one("#create", Button).disabled
        await press_button(pilot, "#create")
        await settle(pilot)
        ws = Workspace(tmp_path / "ws")
        assert ca_key.is_encrypted(ws)
        ca_key.check_passphrase(ws, PASSPHRASE)
        assert "-aes256" in str(app.screen.query_one("#commands", Static).content)  # the openssl panel says how
        app.goto(2)
        await pilot.pause()
        await type_into(pilot, "#server-cn", "localhost")
        await choose(pilot, "#key-type", "ec-p256")
        await press_button(pilot, "#issue")
        assert screen_name(app) == "ServerScreen"  # no dialog: the passphrase of this run's new CA is known
        await settle(pilot)
        assert ws.cert("server").exists() and app.session.is_done(2)
        nothing_holds(ws, PASSPHRASE, app)


async def test_a_ca_key_under_a_passphrase_is_unlocked_once_per_run_before_signing(tmp_path: Path) -> None:
    ws = protected_workspace(tmp_path / "ws")
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 3)
        app.action_clients()
        await settle(pilot)
        await type_into(pilot, "#names", "alice")
        await type_into(pilot, "#password", P12_PASSWORD)
        await type_into(pilot, "#confirm", P12_PASSWORD)
        await press_button(pilot, "#issue")
        assert screen_name(app) == "PassphraseModal"
        assert not app.screen.query_one("#passphrase-note", Static).display
        await type_into(pilot, "#passphrase", "not the passphrase")
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(app) == "PassphraseModal"  # asked again, saying why
        note = app.screen.query_one("#passphrase-note", Static)
        assert note.display and "wrong" in str(note.content)
        assert not clients.client_files(ws, "alice").cert.exists()
        await type_into(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(app) == "ClientsScreen"
        for _tick in range(100):
            await pilot.pause(0.05)
            if clients.client_files(ws, "alice").cert.exists() and not app.busy:
                break
        assert clients.client_files(ws, "alice").cert.exists()
        await type_into(pilot, "#names", "bob")
        await type_into(pilot, "#password", P12_PASSWORD)
        await type_into(pilot, "#confirm", P12_PASSWORD)
        await press_button(pilot, "#issue")
        assert screen_name(app) != "PassphraseModal"  # once per run
        await settle(pilot)
        for _tick in range(100):
            await pilot.pause(0.05)
            if app.screen.query_one(DataTable).row_count == 3:
                break
        assert clients.client_files(ws, "bob").cert.exists()
        nothing_holds(ws, PASSPHRASE, app)


async def test_revocation_and_a_renewal_ask_for_it_once_and_sign_with_it(tmp_path: Path) -> None:
    """The other signing work of the wizard: revoking a client (a new CRL) and renewing the server
    certificate from the summary wait for the dialog, then sign with the CA key."""
    from wizard import pki

    ws = protected_workspace(tmp_path / "ws")
    old_server = pki.load_cert_pem(ws.cert("server").read_bytes())
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 3)
        app.action_clients()
        await settle(pilot)
        assert app.screen.selected() == "client"
        await press_button(pilot, "#revoke")
        await press_button(pilot, "#yes")
        assert screen_name(app) == "PassphraseModal"
        assert not (ws.root / "ca" / "crl.pem").exists()  # nothing signed before the key is open
        await type_into(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        for _tick in range(100):
            await pilot.pause(0.05)
            if (ws.root / "ca" / "crl.pem").exists() and not app.busy:
                break
        crl = x509.load_pem_x509_crl((ws.root / "ca" / "crl.pem").read_bytes())
        assert crl.get_revoked_certificate_by_serial_number(pki.load_cert_pem(ws.cert("client").read_bytes()).serial_number)
        app.goto(8)
        await settle(pilot)
        assert screen_name(app) == "SummaryScreen"
        await press_button(pilot, "#renew-server")
        await press_button(pilot, "#yes")
        assert screen_name(app) != "PassphraseModal"  # once per run
        await settle(pilot)
        for _tick in range(100):
            await pilot.pause(0.05)
            if pki.load_cert_pem(ws.cert("server").read_bytes()).serial_number != old_server.serial_number and not app.busy:
                break
        assert pki.load_cert_pem(ws.cert("server").read_bytes()).serial_number != old_server.serial_number
        assert app.last_error == ""
        nothing_holds(ws, PASSPHRASE, app)


async def test_cancelling_the_passphrase_signs_nothing(tmp_path: Path) -> None:
    ws = protected_workspace(tmp_path / "ws")
    session = SessionStore().open(ws.root)
    session.current_step = 2
    SessionStore().save(session)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 2)
        before = ws.cert("server").read_bytes()
        await press_button(pilot, "#reissue")
        await press_button(pilot, "#yes")
        assert screen_name(app) == "PassphraseModal"
        await pilot.press("escape")
        await settle(pilot)
        assert screen_name(app) == "ServerScreen" and ws.cert("server").read_bytes() == before and not app.busy


async def test_a_copied_workspace_resumes_at_the_same_step_in_another_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = prepare(tmp_path / "home", 5, done_upto=4, server_cert_id="0c5e2f0b1a7d4e3f9a8b7c6d5e4f3a2b")
    copy = tmp_path / "elsewhere" / "mtls-workspace"
    shutil.copytree(ws.root, copy)
    monkeypatch.setenv("MTLS_WIZARD_DATA_DIR", str(tmp_path / "another-account"))
    app = WizardApp(workspace=str(copy))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        note = str(app.screen.query_one("#workspace-note", Static).content)
        assert "4 of 7 steps done" in note and "step 5" in note
        await pilot.press("enter")
        for _tick in range(50):
            await pilot.pause()
            if screen_name(app) != "WelcomeScreen":
                break
        assert getattr(app.screen, "STEP", None) == 5
        assert app.session.server_cert_id == "0c5e2f0b1a7d4e3f9a8b7c6d5e4f3a2b"  # typed in the console route, on another machine


async def test_a_language_switch_says_the_saved_verdict_and_an_open_dialog_again(tmp_path: Path) -> None:
    from wizard import handshake
    from wizard.record import record
    from wizard.practice import PracticeLoadBalancer

    ws = prepare(tmp_path / "home", 7, done_upto=6)
    server = PracticeLoadBalancer(ws)
    server.start()
    try:
        host, port = handshake.parse_address(server.address)
        verdict = handshake.probe(host, port, ws, timeout=5)
    finally:
        server.stop()
    store = SessionStore()
    session = store.open(ws.root)
    record(session, verdict)
    store.save(session)  # saved in English
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 1)
        await press_button(pilot, "#replace")
        assert screen_name(app) == "ConfirmModal"
        english_title = str(app.screen.query_one(".dialog-title").content)
        assert english_title == "Replace the CA?"
        await app.switch_language(i18n.CHINESE)
        await pilot.pause()
        assert screen_name(app) == "ConfirmModal"
        assert str(app.screen.query_one(".dialog-title").content) == i18n._("Replace the CA?") != english_title
        assert str(app.screen.query_one("#no", Button).label) == i18n._("Keep the CA")
        await press_button(pilot, "#no")
        assert app.session.last_verdict["summary"].startswith("通过：")
        assert app.session.last_verdict["summary"] == handshake.saved.shown_verdict(app.session.last_verdict["saved"])["summary"]
        await app.switch_language(i18n.ENGLISH)
        await pilot.pause()
        assert app.session.last_verdict["summary"] == verdict.summary
