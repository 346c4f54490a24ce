"""A page shown for the first time keeps the styles it was given as it mounted (Textual restyles
every widget on a resume; for a page just built that was a third of entering it), is laid out
once (not again for the Resize its own layout sends it), and a page shown again after a dialog
redraws from what happened meanwhile."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from support.pilot_helpers import SIZE, press_button, screen_name, start
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets._progress_bar import Bar

from screens.base import Busy, StepScreen
from wizard.app import WizardApp


def styles_of(screen: Screen) -> dict[str, list[str]]:
    return {f"{node!r}@{index}": [*node.styles.base.css_lines, *node.styles.inline.css_lines]
            for index, node in enumerate(screen.walk_children())}


Calls = list[tuple[str, dict[str, Any]]]


def calls_of(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> Calls:
    """Every call of `owner.name` from now on: (the class name of what it was called on, its
    arguments by name)."""
    calls: Calls = []
    original = getattr(owner, name)
    signature = inspect.signature(original)

    def counted(self: object, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        calls.append((type(self).__name__, dict(bound.arguments)))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def count(calls: Calls, page: str) -> int:
    return sum(1 for name, _args in calls if name == page)


@asynccontextmanager
async def on_step_1(tmp_path: Path) -> AsyncIterator[Pilot]:
    """A new wizard, started from the welcome page: step 1 open."""
    app = WizardApp(workspace=str(tmp_path / "workspace"))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await press_button(pilot, "#start")
        await pilot.pause()
        assert screen_name(app) == "CaScreen"
        yield pilot


async def test_a_new_page_is_not_restyled_and_has_the_styles_a_restyle_gives(tmp_path: Path, isolated_data_dir: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    update_node_styles = Screen.update_node_styles
    restyled = calls_of(monkeypatch, Screen, "update_node_styles")
    async with on_step_1(tmp_path) as pilot:
        assert count(restyled, "CaScreen") == 0
        kept = styles_of(pilot.app.screen)
        update_node_styles(pilot.app.screen, False)  # what Textual's restyle would have made of them
        assert styles_of(pilot.app.screen) == kept and len(kept) > 50


async def test_a_page_shown_again_after_a_dialog_redraws(tmp_path: Path, isolated_data_dir: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    shown_again = calls_of(monkeypatch, StepScreen, "back_on_page")
    async with on_step_1(tmp_path) as pilot:
        assert shown_again == []  # synced as it mounted, not again as it shows
        pilot.app.action_help()
        await pilot.pause()
        assert screen_name(pilot.app) == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(pilot.app) == "CaScreen" and count(shown_again, "CaScreen") == 1


async def test_a_new_page_is_laid_out_once_and_again_when_the_terminal_is_resized(tmp_path: Path, isolated_data_dir: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    layouts = calls_of(monkeypatch, Screen, "_refresh_layout")
    async with on_step_1(tmp_path) as pilot:
        app = pilot.app
        # The page's whole layouts at a size given (not those of a scroll, nor of a few widgets that changed).
        whole = [args["size"] for name, args in layouts if name == "CaScreen" and args["size"] is not None and not args["scroll"]]
        assert whole == [app.size]  # its Resize to the size it was just laid out at is not a second layout
        nav_width = app.screen.query_one("#nav").size.width
        await pilot.resize_terminal(SIZE[0] + 20, SIZE[1] + 6)
        await pilot.pause(0.2)
        assert app.screen.size == (SIZE[0] + 20, SIZE[1] + 6) and app.screen.query_one("#nav").size.width == nav_width + 20


async def test_a_form_filled_at_once_is_redrawn_once_not_once_per_field(tmp_path: Path, isolated_data_dir: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    synced = calls_of(monkeypatch, StepScreen, "sync")
    asked = calls_of(monkeypatch, StepScreen, "sync_soon")
    async with on_step_1(tmp_path):
        # Step 1's answers fill its fields, each a Changed message asking for a redraw (four here); they are
        # redrawn as the page mounts and then at most twice (the choice lists report a moment later).
        assert count(asked, "CaScreen") >= 4 and count(synced, "CaScreen") <= 3


async def test_the_progress_bar_animates_only_while_shown(tmp_path: Path, isolated_data_dir: Path) -> None:
    async with on_step_1(tmp_path) as pilot:
        busy = pilot.app.screen.query_one(Busy)
        bar = busy.query_one(Bar)
        assert not busy.display and bar.auto_refresh is None  # no redraw 15 times a second of a bar nobody sees
        busy.show("making the CA key…")
        await pilot.pause()
        assert busy.display and bar.auto_refresh is not None and bar.percentage is None  # moving, no percentage
        busy.show(None)
        await pilot.pause()
        assert not busy.display and bar.auto_refresh is None
