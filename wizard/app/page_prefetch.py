"""The modules of the wizard's pages, imported while the person reads, before they are asked for.

A page's module is imported the first time the page is shown, inside the stall of entering it, and
the first page of a session brings much of the core with it (step 1: cryptography's x509 and the
CCM client, about 60 ms on a 2-core machine). So once the wizard has been quiet for SETTLE seconds
(no input, no page change, no work running: wizard.app.quiet_collection tells), the App imports
the modules of the other pages, nearest first, on a thread of its own: the cost moves to a moment
when nothing happens, and entering a page only builds it.

Why a thread: an import on the event loop holds it for the whole module (10-30 ms each, one per
look so as not to add them up, so all pages took seconds), while a thread lets the loop in at
Python's switch interval (5 ms): the pages are all ready half a second after the wizard settles,
and a key pressed meanwhile waits at most for the one module being imported. The thread stops
between two modules as soon as the wizard is not quiet, so that it does not share the interpreter
with the building of a page.

Two threads importing at once can fail only on a cycle of imports, each thread inside it from an
other end. The wizard's modules have no cycle (tests/core/test_architecture.py); for the
libraries', input and page building first wait for the module being imported (`hold`): nothing
the person does imports alongside the thread.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Iterable, Mapping

SETTLE = 0.3  # seconds of quiet before a module is imported
STOP_WAIT = 5.0  # seconds the App waits, as it stops, for the module being imported


def nearest_first(pages: Mapping[int, str], current: int) -> list[str]:
    """The pages' modules ordered by how far each page is from `current` (the next page before
    the previous one), each once."""
    order = sorted(pages, key=lambda page: (abs(page - current), page < current))
    return list(dict.fromkeys(pages[page] for page in order))


class PagePrefetch:
    """Imports modules not yet imported: one per call to `step`, or, from `start`, each in turn on
    a thread while the wizard stays quiet."""

    def __init__(self, load: Callable[[str], object] = importlib.import_module) -> None:
        self._load = load
        self.failed: set[str] = set()  # a module that cannot be imported is not tried again
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._importing = threading.Lock()  # held by the thread for each module

    def _pending(self, modules: Iterable[str]) -> list[str]:
        return [name for name in modules if name not in sys.modules and name not in self.failed]

    def step(self, modules: Iterable[str]) -> str | None:
        """Imports the first of `modules` not yet imported; its name, or None (nothing left)."""
        for name in self._pending(modules):
            try:
                self._load(name)
            except Exception:  # noqa: BLE001 - a page that cannot load says why when it is asked for, not here
                self.failed.add(name)
            return name
        return None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, modules: list[str], still_quiet: Callable[[], bool]) -> bool:
        """Imports `modules` in order on a thread, checking `still_quiet()` before each; whether a
        thread started (not when one runs, nothing is left or `stop` was called)."""
        if self.running or self._stopped.is_set() or not self._pending(modules):
            return False
        self._thread = threading.Thread(target=self._import_while, args=(modules, still_quiet),
                                        name="page-prefetch")
        self._thread.start()
        return True

    def _import_while(self, modules: list[str], still_quiet: Callable[[], bool]) -> None:
        while not self._stopped.is_set():
            with self._importing:  # (quiet is asked under the lock: input says so before it waits)
                if not still_quiet() or self.step(modules) is None:
                    return

    def hold(self) -> None:
        """Returns once no module is being imported by the thread (at once if none is)."""
        with self._importing:
            pass

    def stop(self) -> None:
        """No module after the one being imported (if any), which is waited for."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT)
