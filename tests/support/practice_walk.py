"""The newcomer's walk on the practice route at 80x24, keyboard alone: the welcome page's route
choice, steps 1-3 with their defaults (a .p12 password typed twice), steps 4-6 on the practice load
balancer and step 7's test against it. Shared by the Pilot test (tests/tui/test_practice_route.py)
and the benchmark that counts its keystrokes and times it (bench/bench_practice.py).

Every key goes through `CountingPilot.press`; on entering each page `check_page` holds what the
newcomer sees: the page's title (the first line of its text) on screen, and nothing (a
notification, a menu) over the action bar.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from support.i18n_helpers import screen_text
from support.pilot_helpers import workers_done
from support.server_process import free_port
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Input

from wizard.app import WizardApp

P12_PASSWORD = "practice"  # eight characters: no short-password warning
WORK_WAIT = 200  # pauses a piece of work may take at most


@dataclass
class CountingPilot:
    """A Pilot whose every key press is counted."""

    pilot: Any
    keys: int = 0
    pages: list[str] = field(default_factory=list)  # the pages entered, in order
    problems: list[str] = field(default_factory=list)  # what a page showed wrong on entry
    marks: list[tuple[str, int, float]] = field(default_factory=list)  # (page, keys so far, time) on entering each page

    @property
    def app(self) -> WizardApp:
        return self.pilot.app

    async def press(self, *keys: str) -> None:
        self.keys += len(keys)
        await self.pilot.press(*keys)
        await self.pilot.pause()

    async def type(self, text: str) -> None:
        await self.press(*[{" ": "space"}.get(ch, ch) for ch in text])

    async def tab_to(self, selector: str, limit: int = 30) -> None:
        target = self.app.screen.query_one(selector)
        for _ in range(limit):
            if self.app.focused is target:
                return
            await self.press("tab")
        raise AssertionError(f"Tab never reached {selector} (focus is on {self.app.focused!r})")

    async def settle(self) -> None:
        """Wait for the App's work (workers and the handshake probe's thread), without a key."""
        app = self.app
        await workers_done(app)
        if app.probe_thread is not None:
            await asyncio.to_thread(app.probe_thread.join, 60)
        for _ in range(WORK_WAIT):
            await self.pilot.pause()
            if not app.busy:
                break
        await self.pilot.pause()


def covers(a: Widget, b: Widget) -> bool:
    return a.region.overlaps(b.region) and a.region.area > 0 and b.region.area > 0


def check_page(pilot: CountingPilot, name: str, title: str) -> None:
    """On entering a page: its screen is `name`, its text starts at the top with `title` visible,
    and nothing covers its action bar (#nav, or the welcome page's start button)."""
    app = pilot.app
    screen = app.screen
    assert type(screen).__name__ == name, (type(screen).__name__, name)
    pilot.pages.append(name)
    pilot.marks.append((name, pilot.keys, time.perf_counter()))
    _check_opening(pilot, name, title)


def _check_opening(pilot: CountingPilot, name: str, title: str) -> None:
    app = pilot.app
    screen = app.screen
    scroller = screen.query_one("#welcome-body" if name == "WelcomeScreen" else "#body", VerticalScroll)
    if scroller.scroll_y != 0:
        pilot.problems.append(f"{name} opens scrolled {scroller.scroll_y} lines past its title")
    shown = screen_text(app)
    if title not in shown:
        pilot.problems.append(f"{name}: {title!r} is not on the screen:\n{shown}")
    bar = screen.query_one("#welcome-actions" if name == "WelcomeScreen" else "#nav")
    for toast in screen.query("Toast"):
        if covers(toast, bar):
            pilot.problems.append(f"{name}: a notification covers the action bar: {toast.region} over {bar.region}")


Titles = Callable[[int], str]


async def walk_to_pass(pilot: CountingPilot, title_of: Titles, after_page: Callable[[str], Awaitable[None]] | None = None,
                       step_1: Callable[[CountingPilot], Awaitable[None]] | None = None) -> None:
    """From the welcome page to step 7's PASS against the practice load balancer, keys only.
    `title_of(step)` is the page heading the step opens with (0: the welcome page's); `step_1`
    fills in step 1 and starts its work (else: its defaults, Create CA)."""
    app = pilot.app
    check_page(pilot, "WelcomeScreen", title_of(0))
    await pilot.tab_to("#route")
    await pilot.press("down", "enter")  # the second route: practice on this machine
    await pilot.tab_to("#start")
    await pilot.press("enter")
    await pilot.pilot.pause()

    check_page(pilot, "CaScreen", title_of(1))  # step 1: the defaults
    if step_1 is not None:
        await step_1(pilot)
    else:
        await pilot.tab_to("#create")
        await pilot.press("enter")
    await pilot.settle()
    assert app.session is not None and app.session.is_done(1), app.last_error
    await pilot.press("alt+n")

    # step 2: Enter takes the suggested name, then goes on through the extra names and the validity;
    # Enter in the last field issues
    check_page(pilot, "ServerScreen", title_of(2))
    await pilot.tab_to("#server-cn")
    await pilot.press("enter", "enter", "enter", "enter")
    await pilot.settle()
    assert app.session.is_done(2), app.last_error
    await pilot.press("alt+n")

    check_page(pilot, "ClientScreen", title_of(3))  # step 3: the .p12 password, twice
    await pilot.tab_to("#password")
    await pilot.type(P12_PASSWORD)
    await pilot.press("tab")
    await pilot.type(P12_PASSWORD)
    await pilot.press("enter")
    await pilot.settle()
    assert app.session.is_done(3), app.last_error
    await pilot.press("alt+n")

    for step, name in ((4, "PracticeServerScreen"), (5, "PracticeCaScreen")):
        await pilot.settle()  # the readiness checklist
        check_page(pilot, name, title_of(step))
        await pilot.tab_to("#add")
        await pilot.press("enter")
        await pilot.settle()
        assert app.session.is_done(step), app.last_error
        await pilot.press("alt+n")

    check_page(pilot, "PracticeListenerScreen", title_of(6))  # the defaults; Enter in the port field creates it
    await pilot.tab_to("#port")
    # A newcomer keeps 8443; a test beside this one may hold it, so a free port is put in (no key counted).
    app.screen.query_one("#port", Input).value = str(free_port())
    await pilot.press("enter")
    await pilot.settle()
    assert app.session.is_done(6) and app.practice_address, app.last_error
    await pilot.press("alt+n")

    check_page(pilot, "VerifyScreen", title_of(7))  # the address is filled in; Enter, Enter (past the name) runs the test
    await pilot.tab_to("#address")
    assert app.screen.query_one("#address").value == app.practice_address  # type: ignore[attr-defined]
    await pilot.press("enter", "enter")
    await pilot.settle()
    assert app.session.last_verdict.get("status") == "pass", app.session.last_verdict


async def switch_ssl_auth(pilot: CountingPilot, ssl_auth: str) -> None:
    """From step 7, back to step 6: the listener's SSL authentication switched and applied, then
    step 7's test again."""
    await change_listener(pilot, "#ssl-auth", "down" if ssl_auth == "one-way" else "up")
    assert pilot.app.session.ssl_auth == ssl_auth


async def switch_ca(pilot: CountingPilot, ca: str) -> None:
    """The same for the listener's CA certificate: "other_ca" (the practice load balancer's other
    CA) or "ca" (yours, step 5)."""
    await change_listener(pilot, "#ca", "down" if ca == "other_ca" else "up")
    assert pilot.app.session.practice_ca == ca


async def change_listener(pilot: CountingPilot, select: str, key: str) -> None:
    """From step 7, back to step 6: the choice `select` moved by `key` and the listener applied,
    then step 7's test again."""
    app = pilot.app
    await pilot.press("alt+p")
    assert type(app.screen).__name__ == "PracticeListenerScreen"
    await pilot.tab_to(select)
    await pilot.press("enter", key, "enter")
    await pilot.tab_to("#done")
    await pilot.press("enter")
    await pilot.settle()
    await pilot.press("alt+n")
    assert type(app.screen).__name__ == "VerifyScreen"
    await pilot.tab_to("#run")
    await pilot.press("enter")
    await pilot.settle()
