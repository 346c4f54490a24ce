"""Step 6 in the wizard at 80x24: the load balancer's type decides the policies offered, the
backend group and the forwarded client-certificate headers reach listener.json, and the
listener is created and later moved (a rotation) through the official SDK against the stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ELB_PROJECT, make_pki
from support.fake_elb_api import FakeElbApi
from support.pilot_helpers import (
    SIZE,
    choose,
    focus,
    press_button,
    screen_name,
    settle,
    start,
    type_into,
)
from textual.widgets import Checkbox, OptionList, Select

from wizard import elb
from wizard.app import WizardApp
from wizard.session import SessionStore
from wizard.workspace import Workspace

POOL = "5ac2e3d6-4e1d-49c3-a2a9-0d5e6f7a8b9c"
PROJECT = ELB_PROJECT


def at_step_6(root: Path) -> Workspace:
    ws = make_pki(root)
    session = SessionStore().open(ws.root)
    session.current_step, session.steps_done = 6, [1, 2, 3, 4, 5]
    SessionStore().save(session)
    return ws


async def open_step_6(pilot) -> None:
    await start(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert screen_name(pilot.app) == "ListenerScreen"


async def test_the_policies_offered_fit_the_load_balancer_type(tmp_path: Path) -> None:
    ws = at_step_6(tmp_path / "ws")
    app = WizardApp_(ws)
    async with app.run_test(size=SIZE) as pilot:
        await open_step_6(pilot)
        policy = app.screen.query_one("#policy", Select)
        await choose(pilot, "#lb-type", "shared")
        assert set(offered(policy)) == set(elb.SHARED_POLICIES) and policy.value == "tls-1-2-strict"
        await choose(pilot, "#lb-type", "dedicated")
        assert "tls-1-2-fs-with-1-3" in offered(policy)
        await choose(pilot, "#policy", "tls-1-2-fs-with-1-3")
        await choose(pilot, "#lb-type", "shared")  # the chosen policy does not fit a shared one
        assert policy.value == "tls-1-2-strict" and app.session.lb_type == "shared"


async def test_the_backend_group_and_forwarded_headers_reach_listener_json(tmp_path: Path) -> None:
    ws = at_step_6(tmp_path / "ws")
    app = WizardApp_(ws)
    async with app.run_test(size=SIZE) as pilot:
        await open_step_6(pilot)
        assert "ELB answers 5xx" in str(app.screen.query_one("#pool-note").content)
        await type_into(pilot, "#pool", POOL)
        await focus(pilot, "#forward")
        await pilot.press("space", "down", "space")  # the first two fields
        await pilot.pause()
        await press_button(pilot, "#done")
        await settle(pilot)
    listener = json.loads((ws.elb_dir / "listener.json").read_text())["listener"]
    assert listener["default_pool_id"] == POOL
    first_two = list(elb.FIELD_LABELS)[:2]
    headers = listener["insert_headers"]
    assert all(any(field.replace("_", "-") in key.lower() or field in key.lower() for key in headers) for field in first_two)


@pytest.mark.usefixtures("credentials")
async def test_step_6_creates_the_listener_then_moves_it_after_a_renewal(tmp_path: Path, api: FakeElbApi) -> None:
    ws = at_step_6(tmp_path / "ws")
    lb = api.add_load_balancer("3f2b8c1e-0a4d-4b7e-9c21-5d6e7f8a9b0c")
    app = WizardApp_(ws)
    async with app.run_test(size=SIZE) as pilot:
        await open_step_6(pilot)
        await _create_with_the_api(pilot, api, lb["id"], delete_replaced=False)
        assert app.session.is_done(6) and app.session.listener_id in api.listeners
        old_server = api.listeners[app.session.listener_id]["default_tls_container_ref"]
        app.start_renewal("server")  # the summary's renew: the recorded listener moves with nothing typed
        await settle(pilot)
        await settle(pilot)
        assert app.session.is_done(6)
        new_server = api.listeners[app.session.listener_id]["default_tls_container_ref"]
        assert new_server != old_server and old_server not in api.certificates
    assert len(api.calls("create_listener")) == 1


async def _create_with_the_api(pilot, api: FakeElbApi, lb_id: str, *, delete_replaced: bool) -> None:
    """The listener made through the API dialog (no listener recorded yet)."""
    await press_button(pilot, "#api")
    assert screen_name(pilot.app) == "UploadModal"
    await type_into(pilot, "#region", "cn-north-4")
    await type_into(pilot, "#project", PROJECT)
    await type_into(pilot, "#endpoint", api.endpoint)
    await type_into(pilot, "#lb", lb_id)
    if delete_replaced:
        await focus(pilot, "#delete-replaced")
        await pilot.press("space")
        assert pilot.app.screen.query_one("#delete-replaced", Checkbox).value
    await press_button(pilot, "#upload")
    await settle(pilot)
    assert pilot.app.last_error == "", pilot.app.last_error


def offered(select: Select) -> list[str]:
    """The policies the menu lists, as the user reads them (each line starts with the policy)."""
    overlay = select.query_one("SelectOverlay", OptionList)  # the list the menu shows
    return [str(overlay.get_option_at_index(index).prompt).split()[0] for index in range(overlay.option_count)]


def WizardApp_(ws: Workspace) -> WizardApp:  # noqa: N802 - the app on this workspace
    return WizardApp(workspace=str(ws.root))
