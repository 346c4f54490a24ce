"""The wizard's full garbage collections wait for a pause (wizard.app.quiet_collection): on a clock
of the test's own for the rules, with Python's real collector for the settings and in the App."""

from __future__ import annotations

import gc
import time
from pathlib import Path

from support.pilot_helpers import SIZE

from wizard.app import WizardApp
from wizard.app.quiet_collection import FULL_AFTER, LATEST, QUIET, QuietCollector


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def collector(clock: Clock, pending: list[int], ran: list[float]) -> QuietCollector:
    return QuietCollector(clock=clock, pending=lambda: pending[0], collect=lambda: ran.append(clock.now))


def test_a_full_collection_waits_for_a_quiet_moment_and_for_garbage() -> None:
    clock, pending, ran = Clock(), [FULL_AFTER - 1], []
    quiet = collector(clock, pending, ran)
    page = object()
    quiet.start()
    try:
        quiet.tick(page)
        clock.now += QUIET * 5
        assert not quiet.tick(page)  # quiet, but too little has been collected young since the last full one
        pending[0] = FULL_AFTER
        quiet.activity()  # a key
        clock.now += QUIET / 2
        assert not quiet.tick(page)
        other_page = object()
        clock.now += QUIET * 0.6
        assert not quiet.tick(other_page)  # no key for long enough, but a new page is being built
        clock.now += QUIET * 0.6
        assert not quiet.tick(other_page)
        clock.now += QUIET * 0.6
        assert not quiet.tick(other_page, busy=True)  # a worker runs (thousands of rows being read)
        clock.now += QUIET * 0.6
        assert not quiet.tick(other_page)
        clock.now += QUIET * 0.5
        assert quiet.tick(other_page) and ran == [clock.now] and quiet.collections == 1
    finally:
        quiet.stop()


def test_a_person_who_never_pauses_still_gets_a_full_collection_at_the_latest() -> None:
    clock, pending, ran = Clock(), [FULL_AFTER], []
    quiet = collector(clock, pending, ran)
    quiet.start()
    try:
        while clock.now < 100.0 + LATEST - QUIET:
            quiet.activity()
            assert not quiet.tick(None)
            clock.now += QUIET / 4
        clock.now = 100.0 + LATEST
        quiet.activity()
        assert quiet.tick(None) and len(ran) == 1
    finally:
        quiet.stop()


def test_a_stopped_collector_collects_nothing() -> None:
    clock, pending, ran = Clock(), [FULL_AFTER * 10], []
    quiet = collector(clock, pending, ran)
    clock.now += QUIET * 10
    assert not quiet.tick(None) and ran == []


def test_pythons_settings_are_changed_while_apps_run_and_put_back_when_the_last_stops() -> None:
    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    first, second = QuietCollector(), QuietCollector()
    first.start()
    second.start()
    try:
        assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] > 10**6  # no full collection but ours
        assert gc.get_freeze_count() > frozen_before  # what existed is out of every collection
        first.stop()
        first.stop()  # twice: nothing more
        assert gc.get_threshold()[2] > 10**6  # the second still runs
    finally:
        second.stop()
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen_before


def test_the_collector_turned_off_while_the_wizard_started_is_on_while_it_runs() -> None:
    gc.disable()  # as wizard.cli.main leaves it until the App is up
    quiet = QuietCollector()
    try:
        quiet.start()
        assert gc.isenabled()
        quiet.stop()
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_the_app_collects_when_the_person_pauses_and_puts_pythons_settings_back(tmp_path: Path) -> None:
    before = gc.get_threshold()
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        assert gc.get_threshold()[2] > 10**6
        key_time = time.monotonic()
        await pilot.press("tab")
        pressed, earlier = app.quiet_collector.last_activity, app.quiet_collector.collections
        for _garbage in range(FULL_AFTER * 20_000):  # young collections enough for a full one to be due
            cycle: list[object] = []
            cycle.append(cycle)
        for _wait in range(40):
            await pilot.pause(0.1)
            if app.quiet_collector.collections > earlier:
                break
        assert pressed >= key_time  # the key counted as someone at work
        assert app.quiet_collector.collections > earlier
        assert app.quiet_collector.last_full - pressed >= QUIET  # not before the pause was long enough
    assert gc.get_threshold() == before
