"""Issue 20's "Done when" in the wizard: at 80x24, with the keyboard alone, step 1 chooses "CCM
Private CA" and creates a root CA there (after its charges are accepted in a dialog), steps 2 and
3 issue through it, steps 4-6 run on the practice load balancer and step 7 passes; no CA key is
ever written. Declining the charges sends nothing, and a refusal by CCM is one line on step 1
with nothing written. The official SDK talks to the stand-in CCM API on 127.0.0.1 (the `ccm`
fixture), with the credentials in the environment (`cloud_env`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.cells import cell_len
from support.ccm_setup import ACCOUNT
from support.fake_ccm_api import QUOTA, FakeCcmApi
from support.i18n_helpers import screen_text
from support.pilot_helpers import SIZE, choose, focus, resume, screen_name, settle, start, type_into
from support.practice_walk import CountingPilot, walk_to_pass
from textual.containers import VerticalScroll
from textual.widgets import Button, Input, Select, Static

from screens.keys import shown
from wizard import assets_loader, i18n
from wizard.app import WizardApp
from wizard.ccm.record import pending_folder
from wizard.elb import ENV_SK
from wizard.workspace import Workspace

PLACE = (("#ccm-state", "Beijing"), ("#ccm-locality", "Beijing"), ("#ccm-unit", "Operations"))


def heading(step: int) -> str:
    name = "welcome.md" if step == 0 else f"steps/step{step}-practice.md" if step in (4, 5, 6) else f"steps/step{step}.md"
    first = next(line for line in assets_loader.read_text(name).splitlines() if line.startswith("#"))
    return first.lstrip("#").strip()


async def fill_in_ccm(pilot, ccm: FakeCcmApi, mode: str = "create") -> None:
    """Step 1's answers for a CA in CCM at the stand-in, by keyboard; the focus ends in the Endpoint field."""
    await choose(pilot, "#ca-home", "ccm")
    await choose(pilot, "#ccm-mode", mode)
    for selector, value in PLACE if mode == "create" else ():
        await type_into(pilot, selector, value)
    await type_into(pilot, "#ccm-account", ACCOUNT)
    await type_into(pilot, "#ccm-endpoint", ccm.endpoint)


def nothing_written(ws: Workspace) -> None:
    kept = (".mtls-wizard.lock", ".gitignore")
    written = [p for p in ws.root.rglob("*") if p.is_file() and pending_folder(ws) not in p.parents and p.name not in kept]
    assert written == []


@pytest.mark.timeout(300)
async def test_the_seven_steps_with_the_ca_in_ccm_by_keyboard(tmp_path: Path, ccm: FakeCcmApi) -> None:
    root = tmp_path / "workspace"
    app = WizardApp(workspace=str(root))

    async def step_1(walk: CountingPilot) -> None:
        await fill_in_ccm(walk.pilot, ccm)
        assert str(app.screen.query_one("#create", Button).label) == "Create the private CA…"
        await walk.press("enter")  # Enter in the last field: the main action, which asks first
        assert screen_name(app) == "ConfirmModal"
        assert "billed from the moment it" in " ".join(screen_text(app).split())
        assert ccm.calls("create_ca") == []
        await walk.tab_to("#yes")
        await walk.press("enter")

    async with app.run_test(size=SIZE) as raw:
        await start(raw)
        pilot = CountingPilot(raw)
        await walk_to_pass(pilot, heading, step_1=step_1)
        assert not pilot.problems, "\n".join(pilot.problems)
        await raw.press("ctrl+q")
        await raw.pause()
    ws = Workspace(root)
    assert not ws.key("ca").exists() and not list(root.rglob("ca.key"))
    recorded = json.loads((root / "ca" / "issuer.json").read_text())
    (ca_id,) = ccm.cas
    assert recorded["ca"]["id"] == ca_id and recorded["ca"]["created_here"]
    assert set(recorded["certificates"]) == {"server", "client/client"}
    assert len(ccm.calls("create_ca")) == 1 and len(ccm.certificates_of(ca_id)) == 2
    assert len(ccm.calls("create_certificate")) == 1 and len(ccm.calls("create_certificate_by_csr")) == 1  # server: CCM's key; client: a CSR
    assert len(ccm.calls("export_ca")) >= 1 and ws.cert("ca").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert {cert_id for cert_id, r in ccm.issued.items() if r["issuer_id"] == ca_id} == {e["id"] for e in recorded["certificates"].values()}


async def test_declining_the_charges_sends_nothing(tmp_path: Path, ccm: FakeCcmApi) -> None:
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 1)
        await fill_in_ccm(pilot, ccm)
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "ConfirmModal"
        await pilot.press("enter")  # the focus is on the safe answer: Do not create
        await settle(pilot)
        assert screen_name(app) == "CaScreen" and not app.session.is_done(1)
    assert ccm.requests == []
    nothing_written(Workspace(tmp_path / "ws"))


async def test_missing_credentials_are_named_before_anything_is_sent(tmp_path: Path, ccm: FakeCcmApi,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SK)
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 1)
        await fill_in_ccm(pilot, ccm, mode="use")
        line = str(app.screen.query_one("#ccm-credentials", Static).content)
        assert line.startswith(f"{ENV_SK} is not set") and "\n" not in line
        assert app.screen.query_one("#create", Button).disabled
        await pilot.press("enter")
        await settle(pilot)
    assert ccm.requests == [] and not app.session.is_done(1)


@pytest.mark.parametrize(("refusal", "said"), [("quota", "quota is used up"), ("permission", "may not do this in CCM")])
async def test_a_refusal_by_ccm_is_one_line_on_step_1_and_nothing_is_written(tmp_path: Path, ccm: FakeCcmApi, refusal: str,
                                                                            said: str) -> None:
    if refusal == "quota":
        ccm.fail("create_ca", 400, QUOTA, "The number of private CAs exceeds the quota.")
    else:
        ccm.deny("create_ca")
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 1)
        await fill_in_ccm(pilot, ccm)
        await pilot.press("enter")  # the Enter rule: the page's main action, which asks first
        await answered_yes(pilot)
        assert screen_name(app) in ("CaScreen", "MessageModal")
        error = app.last_error
        assert said in error and "\n" not in error and "Traceback" not in error
        assert not app.session.is_done(1)
    assert len(ccm.calls("create_ca")) == 1 and ccm.cas == {}
    nothing_written(Workspace(tmp_path / "ws"))


async def test_an_existing_private_ca_is_used_without_a_dialog(tmp_path: Path, ccm: FakeCcmApi) -> None:
    ca_id = ccm.add_root_ca()
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 1)
        await fill_in_ccm(pilot, ccm, mode="use")
        await type_into(pilot, "#ccm-ca-id", ca_id)
        await focus(pilot, "#ccm-endpoint")
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.is_done(1), app.last_error
        notice = str(app.screen.query_one("#existing", Static).content)
        assert f"private CA {ca_id} in CCM" in notice and "Replace" not in notice
    ws = Workspace(tmp_path / "ws")
    assert ws.cert("ca").exists() and not ws.key("ca").exists() and ccm.calls("create_ca") == []


@pytest.mark.parametrize("language", [i18n.ENGLISH, i18n.CHINESE])
async def test_the_ccm_questions_fit_80_columns(tmp_path: Path, ccm: FakeCcmApi, language: str) -> None:
    """With CCM chosen, every choice is whole at 80 columns and step 1 still opens at its title."""
    i18n.set_language(language)
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 1)
        assert app.screen.query_one("#body", VerticalScroll).scroll_y == 0
        await choose(pilot, "#ca-home", "ccm")
        await choose(pilot, "#ccm-mode", "create")
        for select in app.screen.query(Select):
            assert shown(select), select.id
            room = select.query_one("SelectCurrent").content_region.width - 2  # the label, then " ▼"
            for prompt, _value in select._options:  # noqa: SLF001 - every choice it can show
                assert cell_len(str(prompt)) <= room, f"#{select.id}: {prompt!r} is cut at 80 columns"
        assert not app.screen.query_one("#protect").display and not app.screen.query_one("#bring").display


async def test_the_ccm_questions_are_made_when_ccm_is_chosen_and_kept_through_a_language_switch(
        tmp_path: Path, ccm: FakeCcmApi) -> None:
    """Step 1 opens without them (a CA made here never needs them); chosen, they come, and once
    there a language switch keeps what was typed in them."""
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 1)
        assert not app.screen.query("#ccm-mode") and not app.screen.query_one("#ccm").display
        await choose(pilot, "#ca-home", "ccm")
        await type_into(pilot, "#ccm-account", ACCOUNT)
        assert app.screen.query_one("#ccm").display
        await app.switch_language(i18n.CHINESE)
        await pilot.pause()
        assert app.screen.query_one("#ccm-account", Input).value == ACCOUNT
        assert app.screen.query_one("#ca-home", Select).value == "ccm" and app.screen.query_one("#ccm").display
        await app.switch_language(i18n.ENGLISH)


async def answered_yes(pilot) -> None:  # noqa: ANN001
    """The question just asked, answered Yes by keyboard, and its work waited for."""
    await pilot.pause()
    await focus(pilot, "#yes")
    await pilot.press("enter")
    await settle(pilot)


async def confirmed(pilot, button: str) -> None:  # noqa: ANN001
    """Press `button` by keyboard and answer its question with Yes."""
    await focus(pilot, button)
    await pilot.press("enter")
    await answered_yes(pilot)


async def done_when(pilot, condition: Callable[[], bool]) -> None:  # noqa: ANN001
    """Until `condition` holds and the App is idle (bounded: the caller asserts it afterwards)."""
    for _tick in range(100):
        await pilot.pause(0.05)
        if condition() and not pilot.app.busy:
            return


async def test_after_setup_the_wizard_issues_revokes_and_renews_through_ccm(tmp_path: Path, ccm: FakeCcmApi) -> None:
    """A workspace whose CA is in CCM: the Clients page issues and revokes in CCM, the summary renews
    the server certificate through it; nothing asks for a CA passphrase, no CA key appears."""
    from conftest import P12_PASSWORD
    from support.ccm_setup import CREATE, ccm_session, target
    from textual.widgets import DataTable

    from wizard import clients, pki
    from wizard.ccm.generate import generate
    from wizard.ccm.record import read_record
    from wizard.session import SessionStore

    ws = Workspace(tmp_path / "ws")
    session = ccm_session(ws.root, current_step=3, steps_done=[1, 2, 3])
    generate(ws, session, P12_PASSWORD, target(ccm), CREATE)
    SessionStore().save(session)
    old_server = pki.load_cert_pem(ws.cert("server").read_bytes())
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 3)
        commands = str(app.screen.query_one("#commands", Static).content)  # step 3 teaches the API calls, not a CA key's signing
        assert "# POST /v1/private-certificates/csr" in commands and "-CAkey" not in commands
        app.action_clients()
        await settle(pilot)
        await type_into(pilot, "#names", "alice")
        await type_into(pilot, "#password", P12_PASSWORD)
        await type_into(pilot, "#confirm", P12_PASSWORD)
        await focus(pilot, "#issue")
        await pilot.press("enter")
        await settle(pilot)
        await done_when(pilot, lambda: app.screen.query_one(DataTable).row_count == 2)
        assert clients.client_files(ws, "alice").cert.exists(), app.last_error
        assert screen_name(app) == "ClientsScreen"
        assert app.screen.selected() == "client"  # type: ignore[attr-defined]
        await confirmed(pilot, "#revoke")
        await done_when(pilot, lambda: bool(ccm.calls("revoke_certificate")))
        assert len(ccm.calls("revoke_certificate")) == 1, app.last_error
        app.goto(8)
        await settle(pilot)
        await confirmed(pilot, "#renew-server")
        def renewed() -> bool:
            return pki.load_cert_pem(ws.cert("server").read_bytes()).serial_number != old_server.serial_number

        await done_when(pilot, renewed)
        assert renewed(), app.last_error
        assert app.last_error == ""
    record = read_record(ws)
    assert record is not None and record.certificates["client/client"]["status"] == "REVOKED" and "client/alice" in record.certificates
    assert not ws.key("ca").exists() and len(ccm.issued) == 4


async def test_a_key_type_ccm_does_not_make_is_refused_on_the_page(tmp_path: Path, ccm: FakeCcmApi) -> None:
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 1)
        await choose(pilot, "#key-type", "rsa3072")
        await fill_in_ccm(pilot, ccm)
        assert app.screen.query_one("#create", Button).disabled
        hint = str(app.screen.query_one("#actions-hint", Static).content)
        assert "CCM makes and signs" in hint and "rsa3072" in hint
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(app) == "CaScreen"
    assert ccm.requests == []
