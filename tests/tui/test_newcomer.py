"""The newcomer's path at 80x24, keyboard only: each place a first-time walkthrough found a
newcomer misled or stuck, driven through Pilot with real files and keys."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from conftest import make_pki
from support.pilot_helpers import (
    SIZE,
    choose,
    focus,
    plain,
    press_button,
    resume,
    screen_name,
    settle,
    start,
    type_into,
)
from textual.widgets import Button, Input, Select, Static

from screens.base import PastePanel
from wizard import steps
from wizard.app import WizardApp
from wizard.practice import PracticeLoadBalancer
from wizard.record import record
from wizard.session import Session, SessionStore
from wizard.workspace import Workspace

PASSWORD = "n3wcomer-pass-phrase"


def saved_at(ws: Workspace, step: int, *, done: tuple[int, ...] = (), **answers: object) -> None:
    session = SessionStore().open(ws.root)
    for name, value in answers.items():
        setattr(session, name, value)
    for number in done:
        session.mark_done(number)
    session.current_step = step
    SessionStore().save(session)


async def open_at(pilot, step_screen: str) -> None:
    await resume(pilot)
    assert screen_name(pilot.app) == step_screen


def note(app: WizardApp, note_id: str) -> str:
    widget = app.screen.query_one(f"#{note_id}", Static)
    return str(widget.content) if widget.display else ""


# ---------------------------------------------------------------------------
# 1. Step 6 keeps a typed host:port whole
# ---------------------------------------------------------------------------


async def test_step_6_splits_host_and_port_only_once_the_address_is_complete(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    saved_at(ws, 6, done=(4, 5))
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await open_at(pilot, "ListenerScreen")
        address, port = app.screen.query_one("#address", Input), app.screen.query_one("#port", Input)
        await type_into(pilot, "#address", "10.0.0.5:8443")  # key by key
        assert address.value == "10.0.0.5:8443" and port.value == "443"  # nothing moved while typing
        assert "moves to the Listener port" in note(app, "address-note")
        await pilot.press("tab")  # leaving the field completes it
        await pilot.pause()
        assert (address.value, port.value) == ("10.0.0.5", "8443")
        assert (app.session.lb_address, app.session.lb_port) == ("10.0.0.5", 8443)
        await press_button(pilot, "#done")
        await pilot.press("alt+n")
        await pilot.pause()
        assert app.screen.query_one("#address", Input).value == "10.0.0.5:8443"


async def test_step_6_enter_right_after_host_and_port_exports_the_typed_port(tmp_path: Path) -> None:
    """Enter in the address field splits it (the next field is the port), and Enter there, the
    form's last field, finishes the step at once: elb/listener.json must carry the port just
    typed, not the one the field held before."""
    import json

    ws = make_pki(tmp_path / "ws")
    saved_at(ws, 6, done=(4, 5))
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await open_at(pilot, "ListenerScreen")
        await type_into(pilot, "#address", "10.0.0.5:8443")
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert app.session.is_done(6) and (app.session.lb_address, app.session.lb_port) == ("10.0.0.5", 8443)
        listener = json.loads((ws.elb_dir / "listener.json").read_text())["listener"]
        assert listener["protocol_port"] == 8443


@pytest.mark.parametrize("typed", ["lb.example.com:99999", "lb.example.com:123456"])
async def test_step_6_refuses_a_port_out_of_range_instead_of_cutting_it(tmp_path: Path, typed: str) -> None:
    ws = make_pki(tmp_path / "ws")
    saved_at(ws, 6, done=(4, 5))
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await open_at(pilot, "ListenerScreen")
        await type_into(pilot, "#address", typed)
        await pilot.press("tab")
        await pilot.pause()
        assert app.screen.query_one("#address", Input).value == typed  # not cut, not moved
        assert app.screen.query_one("#port", Input).value == "443"
        assert "out of range" in note(app, "address-note")
        assert app.screen.query_one("#done", Button).disabled
        await type_into(pilot, "#port", "99999")
        assert "not a port" in note(app, "port-note") and app.screen.query_one("#port", Input).value == "99999"
        assert app.session.lb_port == 443


# ---------------------------------------------------------------------------
# 3 and 4. The welcome page: the folder is checked there, progress is the workspace's
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("folder", "reason"), [
    ("/etc/hostname/ws", "is a file, so no folder can be made under it"),
    ("/etc/hostname", "is a file: choose a folder"),
    ("", "give a folder for the workspace"),
])
async def test_a_bad_workspace_folder_is_refused_on_the_welcome_page(tmp_path: Path, folder: str, reason: str) -> None:
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await type_into(pilot, "#workspace", folder)
        await pilot.pause()
        assert reason in note(app, "workspace-note")
        start_button = app.screen.query_one("#start", Button)
        assert start_button.disabled and "fix the folder" in str(app.screen.query_one("#start-hint", Static).content)
        await focus(pilot, "#workspace")
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "WelcomeScreen" and app.session is None


async def test_a_workspace_made_by_the_cli_under_another_account_shows_3_of_7(tmp_path: Path, cli) -> None:  # noqa: ANN001
    workspace = tmp_path / "shared-ws"
    other_account = tmp_path / "other-account-data"
    made = cli("generate", "-w", str(workspace), "--server-cn", "localhost", "--key-type", "ec-p256",
               env={"MTLS_WIZARD_DATA_DIR": str(other_account), "MTLS_WIZARD_P12_PASSWORD": PASSWORD})
    assert made.returncode == 0, made.stderr
    assert SessionStore().load(workspace) is None  # this account has no session for it
    app = WizardApp(workspace=str(workspace))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        assert "3 of 7 steps done · next: step 4" in note(app, "workspace-note")
        assert str(app.screen.query_one("#start", Button).label) == "Continue at step 4"
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "ServerHandOffScreen" and app.session.steps_done == [1, 2, 3]


async def test_progress_counts_steps_done_not_the_last_page_viewed(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    saved_at(ws, 2, done=(1, 2, 3, 4, 5, 6, 7))  # all done, then went back to look at step 2
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        assert "all 7 steps done" in note(app, "workspace-note")
        assert str(app.screen.query_one("#start", Button).label) == "Open the summary"
        assert len(app.screen.query(Button).filter(".-primary")) == 1  # one clear primary action


# ---------------------------------------------------------------------------
# 5. The wizard speaks of its own fields, never of command-line options
# ---------------------------------------------------------------------------


async def test_errors_name_the_wizards_fields_not_options(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    ws.key("ca").write_bytes((make_pki(tmp_path / "other").key("ca")).read_bytes())  # not this CA's key
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        assert screen_name(app) == "CaScreen"
        await press_button(pilot, "#create")
        await settle(pilot)
        assert "does not belong" in app.last_error
        assert "--new-ca" not in app.last_error and "Replace the CA… in step 1" in app.last_error


async def test_step_7_offers_the_system_trust_store(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    saved_at(ws, 7, done=(4, 5, 6))
    app = WizardApp(workspace=str(ws.root))
    with PracticeLoadBalancer(ws) as listener:
        async with app.run_test(size=SIZE) as pilot:
            await open_at(pilot, "VerifyScreen")
            await type_into(pilot, "#address", listener.address)
            await choose(pilot, "#trust", "system")
            await press_button(pilot, "#run")
            await settle(pilot)
            verdict = app.session.last_verdict
            # Our private CA is in no system store: the server certificate does not verify there.
            assert verdict["trust"] == "system" and verdict["status"] == "fail"
            await pilot.press("ctrl+q")


# ---------------------------------------------------------------------------
# 6. Validation as the user types, with the reason; disabled buttons say why
# ---------------------------------------------------------------------------


async def test_a_server_name_too_long_for_a_cn_is_refused_while_typing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    record(Session(workspace=str(ws.root)), steps.create_ca(ws, Session(workspace=str(ws.root), ca_key_type="ec-p256")))
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await open_at(pilot, "ServerScreen")
        await type_into(pilot, "#server-cn", "a" * 60 + ".example.com")
        assert "at most 64" in note(app, "server-cn-note")
        assert app.screen.query_one("#issue", Button).disabled
        assert "fix the answers marked above" in str(app.screen.query_one("#actions-hint", Static).content)


@pytest.mark.parametrize("typed", ["1.5", "-5", "12x"])
async def test_number_fields_refuse_what_is_not_a_whole_number_and_keep_it_visible(tmp_path: Path, typed: str) -> None:
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await open_at(pilot, "CaScreen")
        before = app.session.ca_days
        await type_into(pilot, "#days", typed)
        assert app.screen.query_one("#days", Input).value == typed  # nothing dropped silently
        assert "not a whole number of days" in note(app, "days-note")
        # Only a whole valid prefix ("1" of "1.5", "12" of "12x") may have reached the answers, never 15 or 5.
        valid_prefixes = {int(typed[:end]) for end in range(1, len(typed) + 1) if typed[:end].isdigit()}
        assert app.session.ca_days in valid_prefixes | {before}
        assert app.screen.query_one("#create", Button).disabled


async def test_an_empty_p12_password_says_why_issue_is_disabled(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    for path in ws.artifacts("client"):
        path.unlink()
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await open_at(pilot, "ClientScreen")
        assert app.screen.query_one("#issue", Button).disabled
        assert "type the .p12 password, twice" in str(app.screen.query_one("#actions-hint", Static).content)


async def test_certificate_ids_and_the_sni_are_checked_as_typed(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    saved_at(ws, 4)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await open_at(pilot, "ServerHandOffScreen")
        await type_into(pilot, "#cert-id", "cert-0001")
        assert "32 hexadecimal characters" in note(app, "cert-id-note") and app.session.server_cert_id == ""
        app.action_goto(7) if app.reachable(7) else None
        app.session.steps_done = [1, 2, 3, 4, 5, 6]
        app.goto(7)
        await pilot.pause()
        await type_into(pilot, "#address", "127.0.0.1:8443")
        await type_into(pilot, "#sni", "bad name")
        assert "not a valid host name" in note(app, "sni-note")
        assert app.screen.query_one("#run", Button).disabled
        assert "fix the field marked above" in str(app.screen.query_one("#actions-hint", Static).content)


async def test_progress_stops_when_the_work_fails_behind_a_dialog(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.ensure()
    ws.cert("ca").write_text("not a certificate " * 20)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await open_at(pilot, "CaScreen")
        await choose(pilot, "#key-type", "ec-p256")
        await press_button(pilot, "#create")
        await settle(pilot)
        step = app.screen_stack[1]
        assert not step.query_one("#busy").display  # no "generating…" left running
        if screen_name(app) == "MessageModal":
            await pilot.press("escape")
            await pilot.pause()
        assert not app.screen.query_one("#busy").display


# ---------------------------------------------------------------------------
# 7. 80x24: menus fit, every step opens on a field, no dead focus stop
# ---------------------------------------------------------------------------


async def test_every_page_opens_on_a_field_and_tab_never_stops_on_the_page_itself(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    saved_at(ws, 1, done=(1, 2, 3, 4, 5, 6, 7))
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        assert app.focused is app.screen.query_one("#workspace", Input)
        assert not any(widget.id == "welcome-body" for widget in app.screen.focus_chain)
        for step in range(1, 9):
            app.goto(step)
            await pilot.pause()
            await pilot.pause()
            focused = app.focused
            assert focused is not None and focused.id not in ("body", None) or type(focused).__name__ == "TextArea", (step, focused)
            assert not any(widget.id == "body" for widget in app.screen.focus_chain), step


@pytest.mark.parametrize(("step", "selectors"), [
    (1, ("#key-type",)), (2, ("#key-type",)), (3, ("#key-type", "#p12-format")), (6, ("#lb-type", "#policy")), (7, ("#trust",)),
])
async def test_choice_menus_open_clear_of_the_footer(tmp_path: Path, step: int, selectors: tuple[str, ...]) -> None:
    ws = make_pki(tmp_path / "ws")
    saved_at(ws, step, done=tuple(range(1, step)))
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, step)
        for selector in selectors:
            await focus(pilot, selector)
            await pilot.press("enter")
            await pilot.pause()
            await pilot.pause()
            select = app.screen.query_one(selector, Select)
            overlay = select.query_one("SelectOverlay")
            footer = app.screen.query_one("Footer")
            assert select.expanded
            assert overlay.region.bottom <= footer.region.y, (overlay.region, footer.region)
            assert overlay.region.y > select.region.y - 1  # below its field, not over the labels above
            await pilot.press("escape")
            await pilot.pause()


# ---------------------------------------------------------------------------
# 8. The practice route's offer keeps the typed address; the browser help; a doubtful acceptance
# ---------------------------------------------------------------------------


async def test_the_practice_route_offer_asks_first_and_keeps_the_address_typed(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    saved_at(ws, 7, done=(4, 5, 6))
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await open_at(pilot, "VerifyScreen")
        await type_into(pilot, "#address", "198.51.100.7:443")
        await press_button(pilot, "#practice-route")
        assert screen_name(app) == "ConfirmModal"  # it would start steps 4-7 again: asked first
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(app) == "VerifyScreen" and not app.session.practising and app.session.is_done(6)
        assert app.screen.query_one("#address", Input).value == "198.51.100.7:443"
        assert (app.session.lb_address, app.session.lb_port) == ("198.51.100.7", 443)
        assert "Legacy" in plain(app.screen.query_one("#browser", Static).content)  # modern .p12: macOS needs legacy
        await pilot.press("ctrl+q")


def test_an_acceptance_by_a_server_that_is_not_ours_is_marked_doubtful() -> None:
    from screens.step7_verify import attempts_text, served_by_someone_else

    verdict = {"trust": "workspace", "server_certificate": {"verifies_against_ca": False},
               "attempts": [{"name": "with_client_cert", "label": "with our client certificate", "outcome": "accepted", "detail": "HTTP/1.1 200 OK", "ok": True}]}
    assert served_by_someone_else(verdict)
    shown = plain(attempts_text(verdict["attempts"], doubtful=True))
    assert shown.lstrip().startswith("!") and "✔" not in shown


# ---------------------------------------------------------------------------
# 9. Steps 4-6 in the wizard leave the API request bodies in elb/
# ---------------------------------------------------------------------------


async def test_steps_4_to_6_write_the_api_bodies_and_name_them(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    saved_at(ws, 4)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await open_at(pilot, "ServerHandOffScreen")
        await settle(pilot)
        route = str(app.screen.query_one("#api-route", Static).content)
        assert "elb/server-certificate.json" in route and "mtls-wizard elb upload" in route and "--loadbalancer-id" in route
        body = ws.elb_dir / "server-certificate.json"
        assert stat.S_IMODE(body.stat().st_mode) == 0o600 and "PRIVATE KEY" in body.read_text()
        app.session.steps_done = [1, 2, 3, 4, 5]
        app.goto(6)
        await pilot.pause()
        await type_into(pilot, "#port", "8443")
        await press_button(pilot, "#done")
        await settle(pilot)
        listener = json.loads((ws.elb_dir / "listener.json").read_text())["listener"]
        assert listener["protocol_port"] == 8443
        route = str(app.screen.query_one("#api-route", Static).content)
        assert "elb/listener.json" in route and "mtls-wizard elb upload" in route and "--loadbalancer-id" in route


async def test_the_steps_4_and_5_checklist_names_the_wizards_steps_not_options(tmp_path: Path) -> None:
    """A fix from the core ("redo step 2: mtls-wizard generate --server-cn NAME --force") is told
    in the wizard's words on the page, as every other core message is."""
    ws = make_pki(tmp_path / "ws")
    ws.key("server").unlink()
    saved_at(ws, 4)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 4)  # the welcome page would continue at step 2 (server.key is missing)
        await settle(pilot)
        checklist = str(app.screen.query_one("#checklist", Static).content)
        panels = " ".join(panel.text for panel in app.screen.query(PastePanel))
        assert "✘" in checklist and "server.key" in checklist
        for shown in (checklist, panels):
            assert "mtls-wizard" not in shown and " --" not in shown, shown


# ---------------------------------------------------------------------------
# The whole walk, key by key, ends in PASS with no error on the way
# ---------------------------------------------------------------------------


async def test_the_walk_through_all_seven_steps_meets_no_error(tmp_path: Path) -> None:
    root = tmp_path / "walk"
    app = WizardApp(workspace=str(root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        await choose(pilot, "#key-type", "ec-p256")
        await press_button(pilot, "#create")
        await settle(pilot)
        await pilot.press("alt+n")
        await pilot.pause()
        await type_into(pilot, "#server-cn", "localhost")
        await choose(pilot, "#key-type", "ec-p256")
        await press_button(pilot, "#issue")
        await settle(pilot)
        await pilot.press("alt+n")
        await pilot.pause()
        await choose(pilot, "#key-type", "ec-p256")
        await type_into(pilot, "#password", PASSWORD)
        await type_into(pilot, "#confirm", PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        for _ in (4, 5):
            await pilot.press("alt+n")
            await settle(pilot)
            await press_button(pilot, "#done")
        await pilot.press("alt+n")
        await pilot.pause()
        listener = PracticeLoadBalancer(Workspace(root))  # the load balancer's listener, on this machine for the test
        listener.start()
        await type_into(pilot, "#address", "127.0.0.1")
        await type_into(pilot, "#port", str(listener.port))
        await press_button(pilot, "#done")
        await pilot.press("alt+n")
        await pilot.pause()
        await press_button(pilot, "#run")
        await settle(pilot)
        listener.stop()
        assert app.session.last_verdict["status"] == "pass"
        assert app.last_error == "" and screen_name(app) == "VerifyScreen"
        await pilot.press("ctrl+q")


def test_text_from_a_peer_or_a_file_is_shown_literally() -> None:
    """A hostile server's status line or certificate name can hold Rich markup or terminal
    controls: the wizard shows them as text, never as style, link or escape sequence."""
    from screens.forms import outcome_text
    from screens.step7_verify import attempts_text, verdict_text

    hostile = "[bold red]ALL GOOD[/bold red] [link=https://evil.example]x[/link] \x1b]0;pwned\x07\x1b[2J"
    verdict = {"status": "fail", "summary": f"FAIL: {hostile}", "diagnosis": [hostile],
               "attempts": [{"name": "with_client_cert", "label": "with our client certificate", "outcome": "accepted", "detail": hostile, "ok": True}]}
    for shown in (plain(attempts_text(verdict["attempts"])), plain(verdict_text(verdict))):
        assert "[bold red]ALL GOOD[/bold red]" in shown and "[link=https://evil.example]" in shown
        assert "\x1b" not in shown and "\x07" not in shown and "\\x1b]0;pwned\\x07" in shown

    class FakeWorkspace:
        def artifacts(self, role: str) -> list[Path]:
            return []

    session = Session(workspace="w", certificates={"server": {"subject": f"CN={hostile}", "fingerprint": "AB", "not_after": "2030-01-01"}})
    shown = plain(outcome_text(FakeWorkspace(), session, "server"))  # type: ignore[arg-type]
    assert "[link=https://evil.example]" in shown and "\x1b" not in shown
