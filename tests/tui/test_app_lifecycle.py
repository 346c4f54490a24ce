"""Life after setup in the wizard at 80x24: the expiry table, renewing, bringing your own CA
or server certificate; real files and keys."""

from __future__ import annotations

from pathlib import Path

from conftest import make_pki
from support.openssl_chain import _openssl_ca, cert_of
from support.pilot_helpers import (
    SIZE,
    plain,
    press_button,
    resume,
    screen_name,
    settle,
    start,
    type_into,
)

from wizard import pki
from wizard.app import WizardApp
from wizard.session import SessionStore
from wizard.workspace import Workspace


def saved(ws: Workspace, step: int, done: list[int], **answers: object) -> None:
    session = SessionStore().open(ws.root)
    session.current_step, session.steps_done = step, done
    for name, value in answers.items():
        setattr(session, name, value)
    SessionStore().save(session)


async def test_the_welcome_page_warns_of_what_expires_soon(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws", server_days=12)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        for _ in range(40):
            await pilot.pause(0.05)
            if "expires in" in str(app.screen.query_one("#workspace-note").content):
                break
        note = str(app.screen.query_one("#workspace-note").content)
        assert "3 of 7 steps done" in note and "the server certificate expires in 1" in note and "renew" in note


async def test_the_summary_shows_expiry_and_renews_the_server_certificate(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws", server_days=12)
    saved(ws, 8, [1, 2, 3, 4, 5, 6, 7], server_cert_id="0" * 32, last_verdict={"status": "pass", "passed": True, "summary": "PASS: x",
                                                                             "diagnosis": [], "attempts": []})
    old = cert_of(ws.cert("server"))
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(app) == "SummaryScreen"
        shown = plain(app.screen.query_one("#expiry").content)
        assert "server" in shown and "workspace" in shown and "expire within 30 days" in shown
        await press_button(pilot, "#renew-server")
        assert screen_name(app) == "ConfirmModal"
        await press_button(pilot, "#yes")
        await settle(pilot)
        new = cert_of(ws.cert("server"))
        assert new.serial_number != old.serial_number and new.not_valid_after_utc > old.not_valid_after_utc
        s = app.session
        assert s.is_done(2) and not s.is_done(4) and not s.is_done(7)  # upload again, test again
        for _ in range(40):
            await pilot.pause(0.05)
            if "expire within" not in plain(app.screen.query_one("#expiry").content):
                break
        assert "expire within" not in plain(app.screen.query_one("#expiry").content)


async def test_step_1_brings_in_an_existing_ca(tmp_path: Path) -> None:
    cert, key = _openssl_ca(tmp_path / "corp", "Corp mTLS CA")
    root = tmp_path / "ws"
    app = WizardApp(workspace=str(root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        assert screen_name(app) == "CaScreen"
        await press_button(pilot, "#bring")
        assert screen_name(app) == "BringModal"
        await type_into(pilot, "#cert", str(cert))
        await type_into(pilot, "#key", str(key))
        await press_button(pilot, "#use")
        await settle(pilot)
        assert screen_name(app) == "CaScreen" and app.session.is_done(1)
        assert cert_of(Workspace(root).cert("ca")) == cert_of(cert)


async def test_step_2_brings_in_a_purchased_certificate_with_its_chain(tmp_path: Path, chain: dict[str, Path]) -> None:  # noqa: F811
    ws = make_pki(tmp_path / "ws", server_cn="shop.example.com", sans=())
    saved(ws, 2, [1, 2, 3], server_cn="shop.example.com")
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 2)
        await press_button(pilot, "#bring")
        await type_into(pilot, "#cert", str(chain["leaf"]))
        await type_into(pilot, "#key", str(chain["leaf_key"]))
        await type_into(pilot, "#chain", str(chain["intermediate"]))
        await press_button(pilot, "#use")
        assert screen_name(app) == "ConfirmModal"  # the existing server certificate is replaced only when confirmed
        await press_button(pilot, "#yes")
        await settle(pilot)
        assert app.session.is_done(2) and not app.session.is_done(4)
        served = pki.load_cert_pem(ws.cert("server").read_bytes())
        assert pki.cn_of(served.subject) == "shop.example.com" and ws.cert("server").read_text().count("BEGIN CERTIFICATE") == 2
        assert app.last_error == ""


async def test_a_refused_ca_is_explained_and_nothing_changes(tmp_path: Path) -> None:
    cert, _ = _openssl_ca(tmp_path / "a", "A")
    _, other_key = _openssl_ca(tmp_path / "b", "B")
    root = tmp_path / "ws"
    app = WizardApp(workspace=str(root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        await press_button(pilot, "#bring")
        await type_into(pilot, "#cert", str(cert))
        await type_into(pilot, "#key", str(other_key))
        await press_button(pilot, "#use")
        await settle(pilot)
        assert "does not belong" in app.last_error and not app.session.is_done(1)
        assert not Workspace(root).cert("ca").exists()


def test_a_name_from_elb_is_shown_as_it_is_never_as_markup() -> None:
    """elb/uploaded.json holds names ELB returned (or anyone wrote): the expiry table shows them
    literally; read as Rich markup, "[link=…]" would become a live terminal hyperlink."""
    import io

    from rich.console import Console

    from screens.expiry import expiry_table
    from wizard.lifecycle.status import StatusRow

    name = "[link=http://x]ok[/link]"
    console = Console(width=120, record=True, file=io.StringIO(), force_terminal=True)
    console.print(expiry_table([StatusRow("server", name, "2031-01-01T00:00:00+00:00", 400, "elb", "id")], 30))
    assert name in console.export_text()
    assert "\x1b]8;" not in console.file.getvalue()  # no OSC 8 hyperlink written
