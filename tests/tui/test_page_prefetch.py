"""The other pages' modules are imported while the person reads (wizard.app.page_prefetch): the
order and the one-at-a-time rule on their own, and in a real wizard in a fresh interpreter (this
process has imported every page long ago)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest

from wizard.app.page_prefetch import PagePrefetch, nearest_first


def test_the_pages_come_nearest_first_the_next_before_the_previous_each_module_once() -> None:
    pages = {1: "one", 2: "two", 3: "three", 4: "shared", 5: "shared", 6: "six"}
    assert nearest_first(pages, 3) == ["three", "shared", "two", "one", "six"]
    assert nearest_first(pages, 1) == ["one", "two", "three", "shared", "six"]
    assert nearest_first(pages, 9) == ["six", "shared", "three", "two", "one"]


def test_one_module_is_imported_per_step_and_one_that_fails_is_not_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []

    def load(name: str) -> object:
        loaded.append(name)
        if name == "page_b":
            raise SyntaxError("broken page")
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
        return module

    monkeypatch.setitem(sys.modules, "page_imported", types.ModuleType("page_imported"))
    prefetch = PagePrefetch(load)
    wanted = ["page_imported", "page_a", "page_b", "page_c"]
    assert prefetch.step(wanted) == "page_a" and loaded == ["page_a"]
    assert prefetch.step(wanted) == "page_b" and prefetch.failed == {"page_b"}
    assert prefetch.step(wanted) == "page_c"
    assert prefetch.step(wanted) is None and loaded == ["page_a", "page_b", "page_c"]


class GatedLoader:
    """A loader whose every import waits for the test to let it finish, recording the thread it ran on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.loaded: list[str] = []
        self.threads: set[str] = set()
        self.entered = threading.Semaphore(0)
        self.finish = threading.Semaphore(0)

    def __call__(self, name: str) -> object:
        self.threads.add(threading.current_thread().name)
        self.entered.release()
        assert self.finish.acquire(timeout=10), "the test never let the import finish"
        module = types.ModuleType(name)
        self.monkeypatch.setitem(sys.modules, name, module)
        self.loaded.append(name)
        return module

    def let_one_finish(self) -> None:
        assert self.entered.acquire(timeout=10), "no import began"
        self.finish.release()


def test_the_thread_imports_in_order_and_stops_between_modules_once_the_wizard_is_not_quiet(
        monkeypatch: pytest.MonkeyPatch) -> None:
    loader = GatedLoader(monkeypatch)
    prefetch = PagePrefetch(loader)
    quiet = threading.Event()
    quiet.set()
    wanted = ["page_a", "page_b", "page_c"]
    assert prefetch.start(wanted, quiet.is_set)
    assert not prefetch.start(wanted, quiet.is_set)  # one thread at a time
    loader.let_one_finish()
    assert loader.entered.acquire(timeout=10)  # page_b is being imported...
    quiet.clear()  # ...when someone presses a key: page_b is finished, page_c waits
    loader.finish.release()
    prefetch._thread.join(10)  # type: ignore[union-attr]
    assert loader.loaded == ["page_a", "page_b"] and not prefetch.running
    assert loader.threads == {"page-prefetch"}  # never on the caller's thread (the event loop)

    quiet.set()
    assert prefetch.start(wanted, quiet.is_set)  # the next quiet moment goes on where it stopped
    loader.let_one_finish()
    prefetch._thread.join(10)  # type: ignore[union-attr]
    assert loader.loaded == wanted
    assert not prefetch.start(wanted, quiet.is_set)  # nothing left


def test_input_holds_until_the_module_being_imported_is_done_and_no_other_begins(monkeypatch: pytest.MonkeyPatch) -> None:
    loader = GatedLoader(monkeypatch)
    prefetch = PagePrefetch(loader)
    quiet = threading.Event()
    quiet.set()
    assert prefetch.start(["page_a", "page_b"], quiet.is_set)
    assert loader.entered.acquire(timeout=10)  # page_a is being imported when a key comes:
    quiet.clear()  # the App notes the activity, then holds
    held = threading.Event()
    threading.Thread(target=lambda: (prefetch.hold(), held.set())).start()
    assert not held.wait(0.1)  # still importing page_a
    loader.finish.release()
    assert held.wait(10)
    prefetch._thread.join(10)  # type: ignore[union-attr]
    assert loader.loaded == ["page_a"] and not prefetch.running
    prefetch.hold()  # nothing being imported: at once


def test_stopping_waits_for_the_module_being_imported_and_starts_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    loader = GatedLoader(monkeypatch)
    prefetch = PagePrefetch(loader)
    assert prefetch.start(["page_a", "page_b"], lambda: True)
    assert loader.entered.acquire(timeout=10)
    threading.Timer(0.05, loader.finish.release).start()
    prefetch.stop()  # the App stops while page_a is being imported
    assert loader.loaded == ["page_a"] and not prefetch.running
    assert not prefetch.start(["page_b"], lambda: True)


WIZARD_RUN = """
import asyncio, json, sys, time
from wizard.app import WizardApp

PAGES = ["screens.step1_ca", "screens.step2_server", "screens.summary"]

async def main():
    app = WizardApp(workspace=sys.argv[1])
    seen = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        seen["painted"] = [page for page in PAGES if page in sys.modules]
        seen["bases"] = "screens.base" in sys.modules
        order = []
        deadline = time.monotonic() + 30
        while len(order) < len(PAGES) and time.monotonic() < deadline:
            order.extend(page for page in PAGES if page in sys.modules and page not in order)
            await asyncio.sleep(0.02)
        seen["order"] = order
    print(json.dumps(seen))

asyncio.run(main())
"""


def test_a_fresh_wizard_imports_the_first_pages_once_the_welcome_page_is_quiet(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", WIZARD_RUN, str(tmp_path / "ws")], capture_output=True, text=True,
                          timeout=120, check=False)  # (the user's data folder: the tests' own, from conftest)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["painted"] == []  # the welcome page paints without them
    assert seen["bases"] is False  # nor the step pages' widgets and dialogs (screens.scrolling_page is its base)
    assert seen["order"] == ["screens.step1_ca", "screens.step2_server", "screens.summary"]  # step 1 first: a new session starts there
