"""Python's full garbage collection, run while the person is not at work in the wizard.

Every page the wizard leaves is tens of thousands of objects in reference cycles (its widgets,
their parents and styles). CPython frees them in a full collection that its allocation counters
start at any moment: measured in bench/bench_stall.py, each took 60-130 ms of the event loop, often
while the next page was being built. So, while the App runs, what exists once it has started
(modules, classes, the stylesheet: never garbage) is frozen out of every collection, the young
generations stay automatic, and the full collection is run here instead: once nothing has come
from the terminal, the page has not changed and no work has run for QUIET seconds (a page that
fills thousands of rows is not quiet, however still the person), or at the latest LATEST seconds
after the previous one (a person who never pauses still gets the memory back). The last App to
stop puts Python's settings back.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

QUIET = 1.0  # seconds without input, a page change or a running worker before a full collection may run
LATEST = 30.0  # seconds after which it runs even without a pause
CHECK_EVERY = 0.25  # seconds between looks
# Young collections since the last full one before another is worth its pause (CPython's own threshold).
FULL_AFTER = 10
_NEVER = 1_000_000_000  # a threshold no counter reaches: no full collection but ours

_running = 0  # Apps between start() and stop() (tests run several in one process)
_saved: tuple[int, int, int] | None = None
_was_enabled = True  # (the command line turns the collector off while the wizard starts: wizard.cli.main)


def _pending() -> int:
    return gc.get_count()[2]


def _collect() -> None:
    gc.collect()


class QuietCollector:
    """One App's full collections: `activity()` on input, `tick(page, busy)` every CHECK_EVERY seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, pending: Callable[[], int] = _pending,
                 collect: Callable[[], None] = _collect) -> None:
        self._clock, self._pending, self._collect = clock, pending, collect
        self.last_activity = self.last_full = clock()
        self._page = 0  # id() of the page last seen: holding the page itself would keep it from being freed
        self._started = False
        self.collections = 0

    def start(self) -> None:
        global _running, _saved, _was_enabled
        if self._started:
            return
        self._started = True
        if _running == 0:
            _saved, _was_enabled = gc.get_threshold(), gc.isenabled()
            gc.freeze()
            gc.set_threshold(_saved[0], _saved[1], _NEVER)
            gc.enable()
        _running += 1

    def stop(self) -> None:
        global _running, _saved
        if not self._started:
            return
        self._started = False
        _running -= 1
        if _running == 0 and _saved is not None:
            gc.set_threshold(*_saved)
            gc.unfreeze()
            if not _was_enabled:
                gc.disable()
            _saved = None

    def activity(self) -> None:
        self.last_activity = self._clock()

    def quiet_for(self) -> float:
        """Seconds since the last input, page change or running work (as of the last tick)."""
        return self._clock() - self.last_activity

    def tick(self, page: object, busy: bool = False) -> bool:
        """A full collection if one is due and the wizard is quiet (or it is overdue); whether it ran.
        `busy`: work is running (a worker)."""
        now = self._clock()
        if id(page) != self._page or busy:
            self._page, self.last_activity = id(page), now  # a new page is being built, or work runs: not quiet
        if not self._started or self._pending() < FULL_AFTER:
            return False
        if now - self.last_activity < QUIET and now - self.last_full < LATEST:
            return False
        self._collect()
        self.last_full, self.collections = self._clock(), self.collections + 1
        return True
