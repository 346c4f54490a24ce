"""Keyboard helpers for the Pilot tests: reach widgets with Tab, type with keys, wait for work."""

from __future__ import annotations

import asyncio
import io
import stat
from pathlib import Path

from rich.console import Console
from textual.widgets import Button, Select, Static

from wizard.app import WizardApp
from wizard.session import SessionStore

SIZE = (80, 24)


def session_at_step(root: Path, step: int) -> None:
    """The workspace's saved session stands at `step`, the steps before it done (what resume continues)."""
    store = SessionStore()
    session = store.open(root)
    session.current_step, session.steps_done = step, list(range(1, step))
    store.save(session)


async def workers_done(app: WizardApp, limit: int = 50) -> None:
    """Until no worker of the App runs. A worker replaced by a newer one of its group (exclusive)
    ends cancelled, and Textual's wait then raises: the newer one is waited for instead."""
    from textual.worker import WorkerCancelled

    for _attempt in range(limit):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            await asyncio.sleep(0)


# ---------------------------------------------------------------------------


async def focus(pilot, selector: str, limit: int = 60) -> None:
    """Press Tab until the widget matching `selector` on the current screen has the focus."""
    app = pilot.app
    target = app.screen.query_one(selector)
    for _ in range(limit):
        if app.focused is target:
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached {selector} (focus is on {app.focused!r})")


async def type_into(pilot, selector: str, text: str) -> None:
    await focus(pilot, selector)
    await pilot.press("end", "ctrl+u")
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


async def choose(pilot, selector: str, value: str, limit: int = 12) -> None:
    """Pick a Select option with the keyboard: open the list, go down, Enter; until it is chosen."""
    await focus(pilot, selector)
    select = pilot.app.screen.query_one(selector, Select)
    for downs in range(limit):
        if select.value == value:
            return
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("home", *["down"] * downs, "enter")
        await pilot.pause()
    assert select.value == value, f"{value!r} is not among the first {limit} choices of {selector}"


async def press_button(pilot, selector: str) -> None:
    await focus(pilot, selector)
    await pilot.press("enter")
    await pilot.pause()


async def start(pilot) -> None:
    """Let the welcome screen read its folder (the last session's, its files) until it offers a button."""
    for _ in range(200):
        await pilot.pause()
        await workers_done(pilot.app)
        screen = pilot.app.screen
        if type(screen).__name__ != "WelcomeScreen" or not screen.query_one("#start", Button).disabled:
            break
        if "-error" in screen.query_one("#workspace-note", Static).classes:
            break
    await pilot.pause()


async def settle(pilot) -> None:
    """Wait for the App's work: Textual workers, and the handshake probe's daemon thread."""
    await workers_done(pilot.app)
    thread = pilot.app.probe_thread
    if thread is not None:
        await asyncio.to_thread(thread.join, 60)
    for _ in range(200):
        await pilot.pause()
        if not pilot.app.busy:
            break
    await pilot.pause()


async def resume(pilot, step: int | None = None) -> None:
    """Continue from the welcome page (the saved session's step), then show `step` if it is another."""
    await start(pilot)
    await pilot.press("enter")
    for _tick in range(50):  # the welcome page opens the step (a loaded machine takes a while)
        await pilot.pause()
        if type(pilot.app.screen).__name__ != "WelcomeScreen":
            break
    if step is not None and getattr(pilot.app.screen, "STEP", None) != step:
        pilot.app.goto(step)
        await pilot.pause()


async def resume_session(pilot) -> None:
    """Continue the saved session from the welcome page, as a person presses Enter there."""
    await start(pilot)
    await pilot.press("enter")  # resume the workspace's session
    await pilot.pause()


async def tables_shown(pilot, limit: int = 100) -> None:
    """Wait (bounded) until the page is at rest: no worker running, and the same tables seen twice
    in a row, each with rows. A page composed again (a language switch) has new, empty tables for a
    moment, and a table read in a thread gets its rows a few messages after its worker ends."""
    from textual.worker import WorkerCancelled, WorkerState

    seen: list[object] = []
    for _tick in range(limit):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # replaced by a newer worker of its group (exclusive): that one counts
            continue
        await pilot.pause()
        tables = list(pilot.app.screen.query("DataTable"))
        running = any(worker.state in (WorkerState.PENDING, WorkerState.RUNNING) for worker in pilot.app.workers)
        if not running and tables == seen and all(table.row_count for table in tables):
            break
        seen = tables
    await pilot.pause()


def plain(content: object) -> str:
    """The text a Static shows (Rich renderables included), without styles."""
    console = Console(width=78, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


def screen_name(app: WizardApp) -> str:
    return type(app.screen).__name__


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


