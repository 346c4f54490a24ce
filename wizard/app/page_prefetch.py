"""The modules of the wizard's pages, imported while the person reads, before they are asked for.

A page's module is imported the first time the page is shown, inside the stall of entering it, and
the first page of a session brings much of the core with it (step 1: cryptography's x509 and the
CCM client, about 60 ms on a 2-core machine). So once the wizard has been quiet for SETTLE seconds
(no input, no page change, no work running: wizard.app.quiet_collection tells), the App imports
the modules of the other pages, nearest first, one at a time: the cost moves to a moment when
nothing happens, and entering a page only builds it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping

SETTLE = 0.3  # seconds of quiet before a module is imported


def nearest_first(pages: Mapping[int, str], current: int) -> list[str]:
    """The pages' modules ordered by how far each page is from `current` (the next page before
    the previous one), each once."""
    order = sorted(pages, key=lambda page: (abs(page - current), page < current))
    return list(dict.fromkeys(pages[page] for page in order))


class PagePrefetch:
    """Imports one module not yet imported per call to `step` (its name, or None: nothing left)."""

    def __init__(self, load: Callable[[str], object] = importlib.import_module) -> None:
        self._load = load
        self.failed: set[str] = set()  # a module that cannot be imported is not tried again

    def step(self, modules: Iterable[str]) -> str | None:
        for name in modules:
            if name in sys.modules or name in self.failed:
                continue
            try:
                self._load(name)
            except Exception:  # noqa: BLE001 - a page that cannot load says why when it is asked for, not here
                self.failed.add(name)
            return name
        return None
