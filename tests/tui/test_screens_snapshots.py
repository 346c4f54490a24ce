"""SVG snapshots of every screen at 80x24 (pytest-textual-snapshot).

The data on screen is made stable (tests/support/screen_scenes.py): one fixed RSA key, a
frozen clock and serial number, the workspace under a fake home (shown as ~), and a recorded
verdict. Update with `pytest tests/tui/test_screens_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

from support.screen_scenes import (  # noqa: F401 - home is a fixture
    SIZE,
    clients_page,
    home,
    no_blink,
    prepare,
    resume_then,
    settle,
    still,
    with_clients,
)

from wizard.app import WizardApp


def test_welcome_first_run(home: Path, snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=still)


def test_welcome_offers_resume(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 3)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=still)


def test_step1_form(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 1)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=resume_then(1, "tab"))


def test_step1_done(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 1, done_upto=1)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=resume_then(1, "pagedown", "pagedown"))


def test_step1_replace_confirmation(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 1, done_upto=3)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await resume_then(1)(pilot)
        pilot.app.screen.query_one("#replace").press()
        await settle(pilot)
        no_blink(pilot.app)

    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=run_before)


def _ccm_chosen(*, confirm: bool):  # noqa: ANN202
    """run_before: step 1 with "CCM Private CA" and "create a root CA" chosen, its fields filled in, in view;
    `confirm`: then the create button pressed (the charges dialog)."""

    async def run_before(pilot) -> None:  # noqa: ANN001
        await resume_then(1)(pilot)
        screen = pilot.app.screen
        screen.query_one("#ca-home").value = "ccm"
        await settle(pilot)
        screen.query_one("#ccm-mode").value = "create"
        for field, value in (("#ccm-state", "Beijing"), ("#ccm-locality", "Beijing"), ("#ccm-unit", "Operations"), ("#ccm-region", "cn-north-4"),
                             ("#ccm-account", "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e")):
            screen.query_one(field).value = value
        await settle(pilot)
        screen.query_one("#body").scroll_to_widget(screen.query_one("#ccm-credentials"), animate=False)
        if confirm:
            screen.query_one("#create").press()
        await settle(pilot)
        no_blink(pilot.app)

    return run_before


def test_step1_ccm_form(home: Path, snap_compare, cloud_env) -> None:  # noqa: ANN001
    prepare(home, 1)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=_ccm_chosen(confirm=False))


def test_step1_ccm_charges_confirmation(home: Path, snap_compare, cloud_env) -> None:  # noqa: ANN001
    prepare(home, 1)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=_ccm_chosen(confirm=True))


def test_step2_bad_name(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 2)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await resume_then(2)(pilot)
        await pilot.press("end", "ctrl+u")  # the server name field has the focus
        await pilot.press(*"https://www.example.com")
        await pilot.pause()
        no_blink(pilot.app)

    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=run_before)


def test_step2_done(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 2, done_upto=2)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=resume_then(2, "pagedown", "pagedown"))


def test_step3_form(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 3)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=resume_then(3, "pagedown", "pagedown"))


def test_step4_server_to_elb(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 4)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=resume_then(4, "pagedown"))


def test_step5_ca_to_elb(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 5)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=resume_then(5, "pagedown", "pagedown"))


def test_step6_listener(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 6, server_cert_id="0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", ca_cert_id="5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d")
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=resume_then(6, "pagedown", "pagedown"))


def test_step7_verdict(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 7, done_upto=7)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=resume_then(7, "pagedown", "pagedown"))


def test_summary(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 8, done_upto=7, server_cert_id="0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", ca_cert_id="5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d")
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=resume_then(8, "pagedown"))


def test_clients_page(home: Path, snap_compare) -> None:  # noqa: ANN001
    with_clients(home)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=clients_page)


def test_help(home: Path, snap_compare) -> None:  # noqa: ANN001
    prepare(home, 2)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=resume_then(2, "f1"))
