"""The TUI driven by the keyboard through Pilot: all seven steps on the ELB route by the console
(a listener on this machine standing for the load balancer), resuming, live validation and the
no-overwrite rules. Real keys and files, EC for speed. (The practice route: test_practice_route.py.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.pilot_helpers import (
    SIZE,
    choose,
    focus,
    mode,
    plain,
    press_button,
    resume,
    resume_session,
    screen_name,
    settle,
    start,
    type_into,
)
from textual.widgets import Button, Input, Select, Static

from wizard.app.outcomes import CertificateReady
from wizard import steps
from wizard.app import WizardApp
from wizard.practice import PracticeLoadBalancer
from wizard.record import record
from wizard.session import Session, SessionStore
from wizard.workspace import Workspace

PASSWORD = "Tr0ub4dor&3-horse"
SERVER_CERT_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # ELB ids are 32 hexadecimal characters
CA_CERT_ID = "a0b1c2d3e4f5061728394a5b6c7d8e9f"


# ---------------------------------------------------------------------------
# The whole flow
# ---------------------------------------------------------------------------


# The whole walk, key by key: about 70 s alone on a busy 2-core machine, and up to the suite's
# 120 s beside another worker; a hang still fails, later.
@pytest.mark.timeout(300)
async def test_all_seven_steps_by_keyboard_reach_pass(tmp_path: Path, isolated_data_dir: Path) -> None:
    root = tmp_path / "workspace"
    app = WizardApp(workspace=str(root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        assert screen_name(app) == "WelcomeScreen"
        assert "seven steps" in plain(app.screen.query_one("#welcome-text", Static).content)
        await press_button(pilot, "#start")
        assert screen_name(app) == "CaScreen"

        # Step 1: the CA
        await type_into(pilot, "#org", "Example Ltd")
        await choose(pilot, "#key-type", "ec-p256")
        assert app.screen.query_one("#next", Button).disabled
        await press_button(pilot, "#create")
        await settle(pilot)
        assert app.session.is_done(1)
        assert "SHA-256" in str(app.screen.query_one("#result", Static).content)
        await pilot.press("alt+n")
        await pilot.pause()

        # Step 2: the server certificate
        assert screen_name(app) == "ServerScreen"
        await type_into(pilot, "#server-cn", "localhost")
        await type_into(pilot, "#sans", "127.0.0.1 ::1")
        await choose(pilot, "#key-type", "ec-p256")
        await press_button(pilot, "#issue")
        await settle(pilot)
        assert app.session.is_done(2)
        await pilot.press("alt+n")
        await pilot.pause()

        # Step 3: the client certificate and client.p12
        assert screen_name(app) == "ClientScreen"
        await choose(pilot, "#key-type", "ec-p256")
        await type_into(pilot, "#password", PASSWORD)
        await type_into(pilot, "#confirm", PASSWORD)
        await press_button(pilot, "#issue")
        await settle(pilot)
        assert app.session.is_done(3)
        # The password is gone from the screen once the .p12 exists.
        assert app.screen.query_one("#password", Input).value == ""
        assert app.screen.query_one("#confirm", Input).value == ""
        await pilot.press("alt+n")
        await pilot.pause()

        # The load balancer's listener, as the console would have made it: on this machine for the test.
        listener = PracticeLoadBalancer(Workspace(root), reject_with="http400")
        listener.start()

        # Steps 4 and 5: the paste-ready texts, the checklist, the id, "done"
        assert screen_name(app) == "ServerHandOffScreen"
        panel_text = app.screen.query_one("#panel-server_cert").text  # type: ignore[attr-defined]
        assert panel_text.startswith("-----BEGIN CERTIFICATE-----") and not panel_text.endswith("\n")
        assert "✘" not in str(app.screen.query_one("#checklist", Static).content)
        await type_into(pilot, "#cert-id", SERVER_CERT_ID)
        await press_button(pilot, "#save-server_cert")
        await settle(pilot)  # written in a thread, under the workspace lock
        assert (root / "elb" / "paste-server-certificate.txt").read_text() == panel_text
        await press_button(pilot, "#done")
        await pilot.press("alt+n")
        await pilot.pause()
        assert screen_name(app) == "CaHandOffScreen"
        await type_into(pilot, "#cert-id", CA_CERT_ID)
        await press_button(pilot, "#done")
        await pilot.press("alt+n")
        await pilot.pause()

        # Step 6: the listener checklist and the address
        assert screen_name(app) == "ListenerScreen"
        checklist = str(app.screen.query_one("#checklist", Static).content)
        assert "Mutual authentication" in checklist and SERVER_CERT_ID in checklist and CA_CERT_ID in checklist
        await type_into(pilot, "#address", "127.0.0.1")
        await type_into(pilot, "#port", str(listener.port))
        await press_button(pilot, "#done")
        await pilot.press("alt+n")
        await pilot.pause()

        # Step 7: the address of step 6, then the three-connection test
        assert screen_name(app) == "VerifyScreen"
        assert app.screen.query_one("#address", Input).value == f"127.0.0.1:{listener.port}"
        await press_button(pilot, "#run")
        await settle(pilot)
        listener.stop()
        verdict = app.session.last_verdict
        assert verdict["status"] == "pass", verdict
        assert "PASS" in plain(app.screen.query_one("#verdict", Static).content)
        await pilot.press("alt+n")
        await pilot.pause()
        assert screen_name(app) == "SummaryScreen"
        await press_button(pilot, "#export")
        await settle(pilot)
        assert (root / "openssl-commands.sh").exists()
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0

    ws = Workspace(root)
    for role in ("ca", "server", "client"):
        assert mode(ws.key(role)) == 0o600
        assert mode(ws.cert(role)) == 0o644
        assert mode(ws.folder(role)) == 0o700
    assert mode(ws.p12) == 0o600

    session_file = SessionStore().path_for(root)
    raw = session_file.read_text()
    assert PASSWORD not in raw and "PRIVATE KEY" not in raw
    saved = Session.from_dict(json.loads(raw))
    assert saved.org == "Example Ltd"
    assert saved.server_cn == "localhost" and saved.server_sans == ["127.0.0.1", "::1"]
    assert saved.ca_key_type == saved.server_key_type == saved.client_key_type == "ec-p256"
    assert saved.current_step == 8
    # The progress is the workspace's (progress.json): the ids, the address and the verdict.
    progress_raw = (root / "progress.json").read_text()
    assert PASSWORD not in progress_raw and "PRIVATE KEY" not in progress_raw
    progress = json.loads(progress_raw)
    assert progress["server_cert_id"] == SERVER_CERT_ID and progress["ca_cert_id"] == CA_CERT_ID
    assert progress["lb_address"] == "127.0.0.1" and progress["lb_port"] == listener.port  # the address typed in step 6
    assert progress["steps_done"] == [1, 2, 3, 4, 5, 6, 7]
    assert progress["last_verdict"]["passed"] is True
    resumed = SessionStore().open(root)
    assert resumed.server_cert_id == SERVER_CERT_ID and resumed.last_verdict["passed"] is True


# ---------------------------------------------------------------------------
# Resume
# ---------------------------------------------------------------------------


def _workspace_with_ca(root: Path, **answers: object) -> tuple[Workspace, Session]:
    ws = Workspace(root)
    session = Session(workspace=str(ws.root), ca_key_type="ec-p256", server_key_type="ec-p256", client_key_type="ec-p256")
    for name, value in answers.items():
        setattr(session, name, value)
    record(session, steps.create_ca(ws, session))
    return ws, session


async def test_quit_at_step_3_and_resume_there_with_the_values(tmp_path: Path) -> None:
    ws, session = _workspace_with_ca(tmp_path / "workspace", server_cn="localhost")
    record(session, steps.issue_server(ws, session))
    session.current_step = 2
    SessionStore().save(session)

    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        # The last session's folder, its progress, and one button that says where it goes.
        assert app.screen.query_one("#workspace", Input).value.endswith("workspace")
        assert "2 of 7 steps done · next: step 3" in str(app.screen.query_one("#workspace-note", Static).content)
        assert str(app.screen.query_one("#start", Button).label) == "Continue at step 3"
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "ClientScreen"
        await type_into(pilot, "#client-cn", "alice")
        await type_into(pilot, "#days", "400")
        await choose(pilot, "#p12-format", "legacy")
        await type_into(pilot, "#password", "half-typed")
        await pilot.press("ctrl+q")
        await pilot.pause()

    raw = SessionStore().path_for(ws.root).read_text()
    assert "half-typed" not in raw

    again = WizardApp()
    async with again.run_test(size=SIZE) as pilot:
        await start(pilot)
        assert "2 of 7 steps done" in str(again.screen.query_one("#workspace-note", Static).content)
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(again) == "ClientScreen"
        screen = again.screen
        assert screen.query_one("#client-cn", Input).value == "alice"
        assert screen.query_one("#days", Input).value == "400"
        assert screen.query_one("#p12-format", Select).value == "legacy"
        assert screen.query_one("#password", Input).value == ""  # never kept
        assert again.session.is_done(1) and again.session.is_done(2)


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "reason"), [
    ("https://www.example.com", "looks like a URL"),
    ("bad_name.example.com", "not a valid host name"),
    ("10.0.0.300", "mistyped IP address"),
])
async def test_a_bad_server_name_shows_why_and_keeps_next_disabled(tmp_path: Path, name: str, reason: str) -> None:
    ws, session = _workspace_with_ca(tmp_path / "workspace")
    session.current_step = 2
    SessionStore().save(session)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("enter")  # resume this workspace's session
        await pilot.pause()
        assert screen_name(app) == "ServerScreen"
        await type_into(pilot, "#server-cn", name)
        await pilot.pause()
        note = app.screen.query_one("#server-cn-note", Static)
        assert note.display and reason in str(note.content)
        assert app.screen.query_one("#next", Button).disabled
        assert app.screen.query_one("#issue", Button).disabled
        await pilot.press("alt+n")  # refused, with the reason in the hint
        await pilot.pause()
        assert screen_name(app) == "ServerScreen"
        assert "server name" in str(app.screen.query_one("#nav-hint", Static).content)
        # The bad value never reaches the session; a good one does, and clears the note.
        assert app.session.server_cn != name
        await type_into(pilot, "#server-cn", "api.example.com")
        await pilot.pause()
        assert not note.display
        assert app.session.server_cn == "api.example.com"
        assert not app.screen.query_one("#issue", Button).disabled


async def test_an_empty_or_mismatched_p12_password_is_refused(tmp_path: Path) -> None:
    ws, session = _workspace_with_ca(tmp_path / "workspace", server_cn="localhost")
    record(session, steps.issue_server(ws, session))
    session.current_step = 3
    SessionStore().save(session)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        issue = app.screen.query_one("#issue", Button)
        assert issue.disabled  # empty password
        await type_into(pilot, "#password", "abc")
        await type_into(pilot, "#confirm", "abd")
        note = app.screen.query_one("#password-note", Static)
        assert "differ" in str(note.content) and issue.disabled
        await type_into(pilot, "#confirm", "abc")
        assert "weak" in str(note.content) and not issue.disabled
        assert not ws.p12.exists()


# ---------------------------------------------------------------------------
# Nothing is overwritten without a confirmation
# ---------------------------------------------------------------------------


async def test_an_existing_ca_is_reused_and_replacing_needs_confirmation(tmp_path: Path) -> None:
    root = tmp_path / "workspace"
    ws, _ = _workspace_with_ca(root)
    original = ws.cert("ca").read_bytes()
    original_key = ws.key("ca").read_bytes()

    app = WizardApp(workspace=str(root))  # a fresh session on a workspace that has a CA
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        # Its files prove step 1: the wizard says so and continues after it.
        assert "1 of 7 steps done · next: step 2" in str(app.screen.query_one("#workspace-note", Static).content)
        await press_button(pilot, "#start")
        assert screen_name(app) == "ServerScreen" and app.session.is_done(1)
        assert ws.cert("ca").read_bytes() == original and ws.key("ca").read_bytes() == original_key
        await pilot.press("alt+p")
        await pilot.pause()
        assert screen_name(app) == "CaScreen"
        assert "The CA is ready" in str(app.screen.query_one("#existing", Static).content)

        # Replace: the modal names the files; the safe answer is the default.
        await press_button(pilot, "#replace")
        modal = app.screen
        assert type(modal).__name__ == "ConfirmModal"
        body = str(modal.query_one(".dialog-body Static", Static).content)
        assert "ca/ca.key" in body and "ca/ca.crt" in body and "backup" in body
        assert app.focused is modal.query_one("#no")
        await pilot.press("enter")
        await settle(pilot)
        assert ws.cert("ca").read_bytes() == original
        assert not list(root.glob("backup-*"))

        await press_button(pilot, "#replace")
        await pilot.press("shift+tab")  # from "Keep the CA" to "Back up and replace"
        assert app.focused is app.screen.query_one("#yes")
        await pilot.press("enter")
        await settle(pilot)
        assert ws.cert("ca").read_bytes() != original
        backups = list(root.glob("backup-*"))
        assert len(backups) == 1
        assert (backups[0] / "ca" / "ca.key").read_bytes() == original_key
        assert mode(backups[0] / "ca" / "ca.key") == 0o600


async def test_a_ca_made_while_the_wizard_is_open_can_be_used_as_it_is(tmp_path: Path) -> None:
    root = tmp_path / "workspace"
    app = WizardApp(workspace=str(root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await press_button(pilot, "#start")
        assert screen_name(app) == "CaScreen" and not app.session.is_done(1)
        ws, _ = _workspace_with_ca(root)  # e.g. `mtls-wizard generate` in another terminal
        original = ws.cert("ca").read_bytes()
        app.sync_screen()
        await pilot.pause()
        assert "already has a CA" in str(app.screen.query_one("#existing", Static).content)
        assert str(app.screen.query_one("#create", Button).label) == "Use the existing CA"
        await press_button(pilot, "#create")
        await settle(pilot)
        assert app.session.is_done(1) and ws.cert("ca").read_bytes() == original
        assert not list(root.glob("backup-*"))


async def test_a_failed_step_is_reported_without_a_traceback(tmp_path: Path) -> None:
    """A half-present CA cannot be reused: the wizard says so and how to fix it."""
    root = tmp_path / "workspace"
    ws = Workspace(root)
    ws.ensure()
    ws.cert("ca").write_text("not a certificate")
    app = WizardApp(workspace=str(root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await press_button(pilot, "#start")
        await choose(pilot, "#key-type", "ec-p256")
        await press_button(pilot, "#create")
        await settle(pilot)
        assert "incomplete" in app.last_error
        assert not app.session.is_done(1)
        assert app.is_running


async def test_a_save_button_waits_for_the_workspace_lock_off_the_event_loop(tmp_path: Path) -> None:
    """Another run of the wizard holds the workspace: the paste text is written once it lets go,
    and meanwhile the screen keeps answering (a save on the event loop would freeze it)."""
    import threading

    from conftest import make_pki

    ws = make_pki(tmp_path / "ws")
    session = SessionStore().open(ws.root)
    session.current_step, session.steps_done = 4, [1, 2, 3]
    SessionStore().save(session)
    holding, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with ws.locked():
            holding.set()
            release.wait(10)

    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 4)
        await settle(pilot)
        (ws.elb_dir / "paste-server-certificate.txt").unlink(missing_ok=True)  # the page's own export wrote it
        writer = threading.Thread(target=other_writer)
        writer.start()
        assert holding.wait(5)
        await press_button(pilot, "#save-server_cert")
        await pilot.press("f1")  # the screen still answers while the save waits
        await pilot.pause()
        assert screen_name(app) == "HelpScreen"
        assert not (ws.elb_dir / "paste-server-certificate.txt").exists()
        release.set()
        writer.join(5)
        await pilot.press("escape")
        await settle(pilot)
        assert (ws.elb_dir / "paste-server-certificate.txt").read_text().startswith("-----BEGIN CERTIFICATE-----")
        assert app.last_error == ""


def test_a_worker_turns_any_failure_into_one_line() -> None:
    """What every worker of the App runs its core call through: a result, the core's own message,
    or one line naming an unexpected exception (a worker's traceback would reach nobody)."""
    from wizard.app.work import attempt
    from wizard.errors import WizardError

    def refused() -> None:
        raise WizardError("ca.key is missing: run step 1 first")

    def broken() -> None:
        raise KeyError("serial")

    assert attempt(lambda: 42) == (42, None)
    assert attempt(refused) == (None, "ca.key is missing: run step 1 first")
    assert attempt(broken) == (None, "unexpected KeyError: 'serial'")


async def test_help_palette_and_theme(tmp_path: Path) -> None:
    ws, session = _workspace_with_ca(tmp_path / "workspace")
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await press_button(pilot, "#start")
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(app) == "ServerScreen"  # the CA's files prove step 1
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Step 1: Create a private CA" in titles and "Workspace folder" in titles and "Toggle theme" in titles
        assert "Step 4: Hand the server certificate to the load balancer" not in titles  # not reached yet
        dark = app.current_theme.dark
        app.action_toggle_theme()
        assert app.current_theme.dark != dark


def test_step_6_reads_addresses_with_step_7s_own_rules() -> None:
    from screens.step6_listener import listener_address, split_port

    assert split_port("192.0.2.10:8443") == ("192.0.2.10", 8443)
    assert split_port("https://lb.example.com") == ("lb.example.com", 443)
    assert split_port("[2001:db8::1]:443") == ("2001:db8::1", 443)
    assert split_port("2001:db8::1") is None and split_port("lb.example.com") is None
    assert listener_address("2001:db8::1", "443") == ("2001:db8::1", 443)
    for port in ("99999", "123456", "0", "1.5", "-5", "8x"):
        assert isinstance(listener_address("lb.example.com", port), str), port  # refused, never cut or cleaned


async def test_a_workspace_made_elsewhere_opens_with_its_progress(tmp_path: Path) -> None:
    """Its session lost (another account made it): the files prove steps 1-3, nothing is reissued."""
    ws, session = _workspace_with_ca(tmp_path / "workspace", server_cn="localhost")
    record(session, steps.issue_server(ws, session))
    record(session, steps.issue_client(ws, session, "pass-phrase-1"))
    before = {p: p.read_bytes() for p in ws.all_artifacts()}
    app = WizardApp(workspace=str(ws.root))  # a fresh session: nothing recorded
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        assert "3 of 7 steps done · next: step 4" in str(app.screen.query_one("#workspace-note", Static).content)
        await press_button(pilot, "#start")
        assert screen_name(app) == "ServerHandOffScreen"
        assert app.session.steps_done == [1, 2, 3]
        assert app.session.certificates["server"]["subject"].startswith("CN=localhost")
        assert "✔1 CA ✔2 Server ✔3 Client ▶4" in str(app.screen.query_one("#indicator", Static).content)
    assert {p: p.read_bytes() for p in ws.all_artifacts()} == before
    assert not list(ws.root.glob("backup-*"))


async def test_leaf_files_made_while_the_wizard_is_open_can_be_adopted(tmp_path: Path) -> None:
    ws, session = _workspace_with_ca(tmp_path / "workspace", server_cn="localhost")
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await press_button(pilot, "#start")
        assert screen_name(app) == "ServerScreen"
        record(session, steps.issue_server(ws, session))  # e.g. `mtls-wizard generate` in another terminal
        before = ws.cert("server").read_bytes()
        app.sync_screen()
        await pilot.pause()
        assert "Use the existing" in str(app.screen.query_one("#nav-hint", Static).content)
        await press_button(pilot, "#adopt")
        await settle(pilot)
        assert app.session.is_done(2) and ws.cert("server").read_bytes() == before
        assert not app.screen.query_one("#next", Button).disabled


async def test_a_foreign_client_is_not_adopted(tmp_path: Path, foreign_workspace: Workspace) -> None:
    ws, session = _workspace_with_ca(tmp_path / "workspace", server_cn="localhost")
    record(session, steps.issue_server(ws, session))
    for path in foreign_workspace.artifacts("client"):
        shutil.copy2(path, ws.folder("client") / path.name)  # with its mode: a key others can read is refused first
    SessionStore().save(session)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        assert screen_name(app) == "ClientScreen" and not app.session.is_done(3)
        await press_button(pilot, "#adopt")
        await settle(pilot)
        assert "not signed by this workspace's CA" in app.last_error
        assert not app.session.is_done(3)


async def test_a_server_certificate_from_another_ca_is_taken_as_brought_with_a_warning(tmp_path: Path, foreign_workspace: Workspace) -> None:
    ws, session = _workspace_with_ca(tmp_path / "workspace", server_cn="localhost")
    for path in (ws.key("server"), ws.cert("server")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((foreign_workspace.folder("server") / path.name).read_bytes())
    ws.key("server").chmod(0o600)  # a key others could read is refused before anything is read
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        assert app.session.is_done(2)
        warned = " ".join(app.warnings_shown)
        assert "not by this workspace's CA" in warned and "system's trusted CAs" in warned and "--server-chain" not in warned


# ---------------------------------------------------------------------------
# Secrets, workspaces, quitting and stale results (review findings)
# ---------------------------------------------------------------------------


async def test_the_p12_password_never_reaches_a_worker_description(tmp_path: Path) -> None:
    ws, session = _workspace_with_ca(tmp_path / "workspace", server_cn="localhost")
    record(session, steps.issue_server(ws, session))
    session.current_step = 3
    SessionStore().save(session)
    described: list[str] = []

    class RecordingApp(WizardApp):
        def on_worker_state_changed(self, event) -> None:  # noqa: ANN001 - every worker, as it runs
            worker = event.worker
            described.append(f"{worker.name} | {worker.description} | {worker!r}")

    app = RecordingApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume_session(pilot)
        assert screen_name(app) == "ClientScreen"
        await type_into(pilot, "#password", PASSWORD)
        await type_into(pilot, "#confirm", PASSWORD)
        await press_button(pilot, "#issue")
        await settle(pilot)
        assert app.session.is_done(3)
    assert any("_certificate_worker" in text for text in described), described
    assert not any(PASSWORD in text for text in described), described
    assert PASSWORD not in SessionStore().path_for(ws.root).read_text()


async def test_no_workspace_switch_while_work_runs_and_late_results_stay_in_their_session(tmp_path: Path) -> None:
    first = tmp_path / "first"
    second = tmp_path / "second"
    app = WizardApp(workspace=str(first))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.open_workspace(first)
        await pilot.pause()
        app.remember(ca_key_type="ec-p256")
        app.start_certificate("ca")
        app.open_workspace(second)  # refused: the CA of `first` is being made
        assert app.ws is not None and app.ws.root == first.absolute()
        await settle(pilot)
        assert app.session.is_done(1)

    # A result that arrives for a workspace that is no longer open goes to that workspace's
    # own session file, never into the open one.
    replaced = steps.create_ca(Workspace(first), Session(workspace=str(first.absolute()), ca_key_type="ec-p256"), replace=True)
    app = WizardApp(workspace=str(second))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.open_workspace(second)
        await pilot.pause()
        app.post_message(CertificateReady(first.absolute(), replaced))
        await settle(pilot)
        assert app.ws.root == second.absolute()
        assert not app.session.is_done(1) and not app.session.certificates
    assert not (second / "ca").exists()
    first_saved = SessionStore().load(first.absolute())
    assert first_saved is not None and first_saved.is_done(1)
    assert first_saved.certificates["ca"]["fingerprint"] == replaced.certificate["fingerprint"]


async def test_quit_during_a_handshake_does_not_wait_for_the_probe(tmp_path: Path, pki_workspace: Workspace) -> None:
    import socket
    import threading

    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    accepted: list[socket.socket] = []

    def accept() -> None:
        try:
            while True:
                accepted.append(silent.accept()[0])
        except OSError:
            pass

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    session = SessionStore().open(pki_workspace.root)
    session.current_step = 7
    session.steps_done = [1, 2, 3, 4, 5, 6]
    SessionStore().save(session)
    app = WizardApp(workspace=str(pki_workspace.root))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await resume_session(pilot)
            assert screen_name(app) == "VerifyScreen"
            app.start_handshake("127.0.0.1", silent.getsockname()[1], None)
            await pilot.pause()
            assert app.busy.get("handshake")
            probe = app.probe_thread
            assert probe is not None and probe.daemon and probe.is_alive()
            await pilot.press("ctrl+q")
            await pilot.pause()
        # The App has exited although the probe still waits for a server that never answers:
        # nothing joined it, and a daemon thread does not hold the process at exit either.
        assert app.return_code == 0
        assert probe.is_alive() and probe.daemon
        assert not any(worker.name == "_run_probe" for worker in app.workers)
    finally:
        silent.close()
        for connection in accepted:
            connection.close()
    probe.join(30)  # the closed connections end it; its result is ignored by the exited App
    assert not probe.is_alive()


async def test_a_reissued_server_certificate_reopens_step_7_and_the_summary(tmp_path: Path) -> None:
    ws, session = _workspace_with_ca(tmp_path / "workspace", server_cn="localhost")
    record(session, steps.issue_server(ws, session))
    record(session, steps.issue_client(ws, session, PASSWORD))
    session.server_cert_id, session.ca_cert_id, session.listener_id = "srv-1", "ca-1", "lsn-1"
    session.last_verdict = {"status": "pass", "passed": True, "summary": "PASS: old", "diagnosis": [], "attempts": []}
    session.steps_done = [1, 2, 3, 4, 5, 6, 7]
    session.current_step = 2
    SessionStore().save(session)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume_session(pilot)
        assert screen_name(app) == "SummaryScreen"  # everything is done
        app.action_goto(2)
        await pilot.pause()
        assert screen_name(app) == "ServerScreen"
        assert app.reachable(8)
        await press_button(pilot, "#reissue")
        assert screen_name(app) == "ConfirmModal"
        await press_button(pilot, "#yes")
        await settle(pilot)
        s = app.session
        assert s.is_done(2) and not s.is_done(4) and not s.is_done(7)
        assert not s.last_verdict and not s.server_cert_id and not s.listener_id
        assert not app.reachable(8)
        app.session.last_verdict = {"status": "fail", "passed": False, "summary": "FAIL: x", "diagnosis": [], "attempts": []}
        app.session.current_step = 6
        app.goto(7)
        await pilot.pause()
        # A stored verdict that is not a pass does not open the summary.
        assert app.screen.query_one("#next", Button).disabled
        assert not app.reachable(8)
    saved = SessionStore().load(ws.root)
    assert saved is not None and not saved.is_done(7) and not saved.server_cert_id


async def test_step_7_scrolls_the_verdict_into_view_at_80x24(tmp_path: Path, pki_workspace: Workspace) -> None:
    session = SessionStore().open(pki_workspace.root)
    session.current_step = 7
    session.steps_done = [1, 2, 3, 4, 5, 6]
    SessionStore().save(session)
    app = WizardApp(workspace=str(pki_workspace.root))
    with PracticeLoadBalancer(pki_workspace) as listener:
        await _verdict_in_view(app, listener.address)


async def _verdict_in_view(app: WizardApp, address: str) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await resume_session(pilot)
        await type_into(pilot, "#address", address)
        for _ in range(2):  # after every result, not only the first
            app.screen.query_one("#body").scroll_home(animate=False)
            await pilot.pause()
            app.screen.run()
            await settle(pilot)
            await pilot.pause()
            body = app.screen.query_one("#body")
            verdict = app.screen.query_one("#verdict", Static)
            assert "PASS" in plain(verdict.content)
            assert body.region.contains_region(verdict.region), (body.region, verdict.region)
        await pilot.press("ctrl+q")


async def test_the_summary_says_when_the_verdict_was_a_listener_on_this_machine(tmp_path: Path, pki_workspace: Workspace) -> None:
    from wizard import pki
    from wizard.workspace import read_bytes

    session = SessionStore().open(pki_workspace.root)
    for role in ("ca", "server", "client"):
        session.certificates[role] = pki.cert_info(pki.load_cert_pem(read_bytes(pki_workspace.cert(role)), role))
    session.steps_done = [1, 2, 3, 4, 5, 6, 7]
    session.current_step = 8
    session.last_verdict = {"status": "pass", "passed": True, "summary": "PASS: fine", "diagnosis": [],
                            "attempts": [], "host": "127.0.0.1", "port": 4433}
    SessionStore().save(session)
    app = WizardApp(workspace=str(pki_workspace.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume_session(pilot)
        assert screen_name(app) == "SummaryScreen"
        shown = plain(app.screen.query_one("#verdict", Static).content)
        assert "a listener on this machine" in shown and "against the load balancer" in " ".join(shown.split())
        artifacts = plain(app.screen.query_one("#artifacts", Static).content)
        fingerprint = session.certificates["server"]["fingerprint"]
        assert fingerprint[:47] in artifacts and fingerprint[48:] in artifacts and "…" not in artifacts


async def test_step_2_suggests_the_tutorial_name_without_issuing_it(tmp_path: Path) -> None:
    ws, session = _workspace_with_ca(tmp_path / "workspace")
    session.current_step = 2
    SessionStore().save(session)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume_session(pilot)
        field = app.screen.query_one("#server-cn", Input)
        assert field.value == "" and "www.test.com" in field.placeholder
        assert app.screen.query_one("#issue", Button).disabled
        await focus(pilot, "#server-cn")
        await pilot.press("enter")  # takes the suggestion, shows it, issues nothing yet
        await pilot.pause()
        assert field.value == "www.test.com" and not app.busy and not ws.cert("server").exists()
        await pilot.press("enter", "enter")  # then Enter goes on as in every form: extra names, validity
        await pilot.pause()
        assert app.focused is app.screen.query_one("#days", Input) and not ws.cert("server").exists()
        await pilot.press("enter")  # the last field: the step's main action
        await settle(pilot)
        assert app.session.is_done(2) and app.session.server_cn == "www.test.com"


async def test_typing_saves_the_session_once_typing_pauses(tmp_path: Path) -> None:
    ws, session = _workspace_with_ca(tmp_path / "workspace")
    session.current_step = 2
    SessionStore().save(session)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume_session(pilot)
        await type_into(pilot, "#server-cn", "api.example.com")
        assert app.session.server_cn == "api.example.com"  # in the session at once
        assert SessionStore().load(ws.root).server_cn != "api.example.com"  # not written per keystroke
        for _ in range(40):  # typing paused: written by the session writer shortly after
            await pilot.pause(0.05)
            if SessionStore().load(ws.root).server_cn == "api.example.com":
                break
        assert SessionStore().load(ws.root).server_cn == "api.example.com"
