"""A page shown for the first time keeps the styles it was given as it mounted (Textual restyles
every widget on a resume; for a page just built that was a third of entering it), and a page
shown again after a dialog redraws from what happened meanwhile."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.pilot_helpers import SIZE, press_button, screen_name, start
from textual.screen import Screen

from screens.base import StepScreen
from wizard.app import WizardApp


def styles_of(screen: Screen) -> dict[str, list[str]]:
    return {f"{node!r}@{index}": [*node.styles.base.css_lines, *node.styles.inline.css_lines] for index, node in enumerate(screen.walk_children())}


async def test_a_new_page_is_not_restyled_and_has_the_styles_a_restyle_gives(tmp_path: Path, isolated_data_dir: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    restyled: list[str] = []
    update_node_styles = Screen.update_node_styles

    def counted(screen: Screen, animate: bool = True) -> None:
        restyled.append(type(screen).__name__)
        update_node_styles(screen, animate)

    monkeypatch.setattr(Screen, "update_node_styles", counted)
    app = WizardApp(workspace=str(tmp_path / "workspace"))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await press_button(pilot, "#start")
        await pilot.pause()
        assert screen_name(app) == "CaScreen" and "CaScreen" not in restyled
        kept = styles_of(app.screen)
        update_node_styles(app.screen, False)  # what Textual's restyle would have made of them
        assert styles_of(app.screen) == kept and len(kept) > 50


async def test_a_page_shown_again_after_a_dialog_redraws(tmp_path: Path, isolated_data_dir: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    back_on_page = StepScreen.back_on_page

    def counted(page: StepScreen) -> None:
        synced.append(type(page).__name__)
        back_on_page(page)

    monkeypatch.setattr(StepScreen, "back_on_page", counted)
    app = WizardApp(workspace=str(tmp_path / "workspace"))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await press_button(pilot, "#start")
        await pilot.pause()
        assert screen_name(app) == "CaScreen" and synced == []  # synced as it mounted, not again as it shows
        app.action_help()
        await pilot.pause()
        assert screen_name(app) == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(app) == "CaScreen" and synced == ["CaScreen"]
