"""The pages' footer (screens/footer.py) is rebuilt only when the keys it shows change: once as a
page opens, not at each announcement of the screen's bindings (three as a page opens) nor at each
focus change, and it still shows what Textual's Footer would."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.pilot_helpers import SIZE, press_button, screen_name, start
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from screens.footer import PageFooter
from wizard.app import WizardApp


def keys_in(footer: Footer) -> list[str]:
    return [key.description for key in footer.query(FooterKey)]


def keys_wanted(footer: Footer) -> list[str]:
    """What Textual's Footer shows: the screen's shown bindings, one key per action, then the
    command palette's."""
    active = footer.screen.active_bindings
    actions: dict[str, str] = {}
    for _node, binding, _enabled, _tooltip in active.values():
        if binding.show:
            actions.setdefault(binding.action, binding.description)
    palette = active.get(footer.app.COMMAND_PALETTE_BINDING)
    return [*actions.values(), *([palette.binding.description] if palette and footer.show_command_palette else [])]


@pytest.fixture
def rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The class name of the page of every footer composition from now on."""
    made: list[str] = []
    compose = Footer.compose

    def counted(self: Footer) -> ComposeResult:
        made.append(type(self.screen).__name__)
        return compose(self)

    monkeypatch.setattr(Footer, "compose", counted)
    return made


async def test_a_page_opening_makes_its_footer_keys_once_and_tab_makes_them_not_again(
        tmp_path: Path, isolated_data_dir: Path, rebuilds: list[str]) -> None:
    app = WizardApp(workspace=str(tmp_path / "workspace"))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await press_button(pilot, "#start")
        await pilot.pause(0.2)
        assert screen_name(app) == "CaScreen"
        footer = app.screen.query_one(PageFooter)
        assert keys_in(footer) == keys_wanted(footer) and len(keys_in(footer)) >= 4
        assert rebuilds.count("CaScreen") == 2  # composed empty with the page, then its keys once
        first_keys = list(footer.query(FooterKey))
        for _ in range(3):
            await pilot.press("tab")
            await pilot.pause()
        assert list(footer.query(FooterKey)) == first_keys  # the very same widgets: nothing rebuilt


async def test_a_change_in_the_keys_rebuilds_the_footer(tmp_path: Path, isolated_data_dir: Path,
                                                         rebuilds: list[str]) -> None:
    app = WizardApp(workspace=str(tmp_path / "workspace"))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        footer = app.screen.query_one(PageFooter)
        before = keys_in(footer)
        app.bind("f9", "bell", description="Ring")  # a key more, as a page that enables one
        app.screen.refresh_bindings()
        await pilot.pause(0.2)
        assert keys_in(footer) == keys_wanted(footer)
        assert "Ring" in keys_in(footer) and len(keys_in(footer)) == len(before) + 1
