"""The practice route in the wizard, at 80x24 with the keyboard alone: all seven steps with no
cloud account, in English and in Chinese, each page opening at its title with nothing over its
action bar; step 7 passes against the practice load balancer, fails after step 6 switches it to
one-way authentication (with the diagnosis), and passes again once mutual authentication is back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.pilot_helpers import SIZE, plain, settle, start
from support.practice_walk import CountingPilot, switch_ca, switch_ssl_auth, walk_to_pass
from textual.widgets import Static

from wizard import assets_loader, i18n
from wizard.app import WizardApp
from wizard.session import SessionStore


def heading(step: int) -> str:
    """The first heading of a page's text, as the page shows it (the practice route's own for 4-6)."""
    name = "welcome.md" if step == 0 else f"steps/step{step}-practice.md" if step in (4, 5, 6) else f"steps/step{step}.md"
    first = next(line for line in assets_loader.read_text(name).splitlines() if line.startswith("#"))
    return first.lstrip("#").strip()


# The whole walk, key by key, twice: slow on a busy 2-core machine (the RSA keys of the defaults).
@pytest.mark.timeout(300)
@pytest.mark.parametrize("language", [i18n.ENGLISH, i18n.CHINESE])
async def test_a_newcomer_walks_the_practice_route_to_pass_and_sees_one_way_and_another_ca_fail(tmp_path: Path, language: str) -> None:
    i18n.set_language(language)
    root = tmp_path / "workspace"
    app = WizardApp(workspace=str(root))
    async with app.run_test(size=SIZE) as raw:
        await start(raw)
        pilot = CountingPilot(raw)
        await walk_to_pass(pilot, heading)
        assert app.session.practising
        verdict_shown = plain(app.screen.query_one("#verdict", Static).content)
        assert ("PASS" if language == i18n.ENGLISH else "通过") in verdict_shown

        await switch_ssl_auth(pilot, "one-way")
        verdict = app.session.last_verdict
        assert verdict["status"] == "fail" and "mutual authentication is not enforced" in verdict["summary"] or language != i18n.ENGLISH
        assert verdict["status"] == "fail" and verdict["diagnosis"], verdict
        assert not app.session.is_done(7)

        await switch_ssl_auth(pilot, "mutual")
        assert app.session.last_verdict["status"] == "pass", app.session.last_verdict

        await switch_ca(pilot, "other_ca")  # the listener trusts another CA: ours is refused, and the diagnosis says so
        verdict = app.session.last_verdict
        assert verdict["status"] == "fail" and any("CN=" in line for line in verdict["diagnosis"]), verdict
        await switch_ca(pilot, "ca")
        assert app.session.last_verdict["status"] == "pass", app.session.last_verdict
        address = app.practice_address
        assert not pilot.problems, "\n".join(pilot.problems)
        await raw.press("ctrl+q")
        await raw.pause()
    assert app.return_code == 0 and app.practice_lb is None  # it stops with the wizard
    assert address is not None

    # What the steps claimed happened: ids recorded in the workspace, marked as practice.
    recorded = json.loads((root / "elb" / "uploaded.json").read_text())["practice"]
    saved = SessionStore().load(root)
    assert saved is not None and saved.steps_done == [1, 2, 3, 4, 5, 6, 7]
    for role in ("server", "ca", "listener"):
        assert recorded[role]["practice"] == "true" and recorded[role]["id"].startswith("practice-")
        assert saved.practice[role]["id"] == recorded[role]["id"]
    assert recorded["listener"]["ssl_auth"] == "mutual" and recorded["listener"]["ca_cert_id"] == recorded["ca"]["id"]
    assert not saved.server_cert_id and not saved.listener_id  # nothing claimed about ELB
    assert saved.practice_port == int(recorded["listener"]["port"])


async def test_step_7_on_the_elb_route_offers_the_practice_route(tmp_path: Path, pki_workspace) -> None:
    """No dead end without a cloud account: step 7 on the ELB route switches to the practice
    route, where steps 4-6 are to do on the practice load balancer (steps 1-3 kept)."""
    import shutil

    root = tmp_path / "workspace"
    shutil.copytree(pki_workspace.root, root)
    session = SessionStore().open(root)
    session.steps_done, session.current_step = [1, 2, 3, 4, 5, 6], 7
    SessionStore().save(session)
    app = WizardApp(workspace=str(root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "VerifyScreen" and not app.session.practising
        from support.pilot_helpers import press_button

        await press_button(pilot, "#practice-route")
        assert type(app.screen).__name__ == "ConfirmModal"
        await press_button(pilot, "#yes")
        await settle(pilot)
        assert app.session.practising and app.session.steps_done == [1, 2, 3]
        assert type(app.screen).__name__ == "PracticeServerScreen"
