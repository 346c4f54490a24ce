"""A page shown for the first time keeps the styles it was given as it mounted (Textual restyles
every widget on a resume; for a page just built that was a third of entering it), is laid out
once (not again for the Resize its own layout sends it), and a page shown again after a dialog
redraws from what happened meanwhile."""

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


async def test_a_new_page_is_laid_out_once_and_again_when_the_terminal_is_resized(tmp_path: Path, isolated_data_dir: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    layouts: list[tuple[str, object]] = []
    refresh_layout = Screen._refresh_layout

    def counted(screen: Screen, size: object = None, scroll: bool = False) -> None:
        if not scroll:
            layouts.append((type(screen).__name__, size))
        refresh_layout(screen, size, scroll)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    app = WizardApp(workspace=str(tmp_path / "workspace"))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await press_button(pilot, "#start")
        await pilot.pause()
        whole = [size for name, size in layouts if name == "CaScreen" and size is not None]
        assert whole == [app.size]  # its Resize to the size it was just laid out at is not a second layout
        nav_width = app.screen.query_one("#nav").size.width
        await pilot.resize_terminal(SIZE[0] + 20, SIZE[1] + 6)
        await pilot.pause(0.2)
        assert app.screen.size == (SIZE[0] + 20, SIZE[1] + 6) and app.screen.query_one("#nav").size.width == nav_width + 20


async def test_a_form_filled_at_once_is_redrawn_once_not_once_per_field(tmp_path: Path, isolated_data_dir: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    synced: list[str] = []
    sync, sync_soon = StepScreen.sync, StepScreen.sync_soon

    def counted_sync(page: StepScreen) -> None:
        synced.append(type(page).__name__)
        sync(page)

    def counted_ask(page: StepScreen) -> None:
        asked.append(type(page).__name__)
        sync_soon(page)

    monkeypatch.setattr(StepScreen, "sync", counted_sync)
    monkeypatch.setattr(StepScreen, "sync_soon", counted_ask)
    app = WizardApp(workspace=str(tmp_path / "workspace"))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await press_button(pilot, "#start")
        await pilot.pause()
        assert screen_name(app) == "CaScreen"
        # Step 1's answers fill its fields, each a Changed message asking for a redraw (four here); they are
        # redrawn as the page mounts and then at most twice (the choice lists report a moment later).
        assert asked.count("CaScreen") >= 4 and synced.count("CaScreen") <= 3
