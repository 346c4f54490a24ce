"""The longest event-loop stall in the running app, in its heavy moments:

1. step 1 generates an RSA-4096 CA key;
2. entering step 4 on an RSA-4096 workspace (reading and checking the server key for the
   load balancer, saving the session);
3. a tour: entering every step (1-7), the summary and the Clients page, on an RSA-4096
   workspace with 2,000 named clients and a passed handshake test (against the practice
   load balancer on 127.0.0.1); each page is measured until its workers are done and it is quiet.
   Beside the tour, what Textual alone takes for such a page: step 1's widgets as plain Textual,
   none of the wizard's code (bench/plain_page.py), opened the same way ("plain step 1").

The wizard runs headless at 80x24; a periodic timer ticks every 5 ms on the App's event
loop and records how late each tick is, while the work runs and, as a baseline, while the
app sits idle for as long. Prints per-run maxima and their median. Each run is a fresh
process, as each use of the wizard is: apps run one after another in one process would
leave their garbage to be collected during a later run's measurement. The wizard runs Python's
full garbage collection itself once nothing has happened for a second (wizard.app.quiet_collection):
in the tour that is the idle second at the end, whose figure is then that collection's pause.

With --load, one CPU-bound process per core runs beside the app for the whole bench (started
and stopped by it): the machine of a user who is also building something.

Target: the longest stall at most 50 ms (median of the runs) in each moment, with or without load.

    python bench/bench_stall.py [--runs 5] [--load] [--only keygen,step4,tour] [--clients 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_MS = 50.0
TICK = 0.005


class StallMeter:
    """How late a periodic timer fires: lateness beyond its interval is time the loop was blocked."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.recording = False
        self.worst = 0.0
        self.ticks = 0

    def tick(self) -> None:
        now = time.perf_counter()
        if self.recording:
            self.worst = max(self.worst, now - self.last - TICK)
            self.ticks += 1
        self.last = now

    def start(self) -> None:
        self.last = time.perf_counter()
        self.worst, self.ticks, self.recording = 0.0, 0, True

    def stop(self) -> tuple[float, int]:
        self.recording = False
        return self.worst * 1000, self.ticks


async def key_generation(root: Path) -> tuple[float, float, float, int]:
    """(stall ms during generation, stall ms idle, seconds of generation, ticks)."""
    from wizard.app import WizardApp
    from wizard.session import Session, SessionStore

    session = Session(workspace=str(root), ca_key_type="rsa4096", current_step=1)
    SessionStore().save(session)
    app = WizardApp(workspace=str(root))
    meter = StallMeter()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # resume: straight to step 1
        await pilot.pause()
        assert type(app.screen).__name__ == "CaScreen"
        app.set_interval(TICK, meter.tick)
        await pilot.pause(0.2)

        started = time.perf_counter()
        meter.start()
        app.screen.query_one("#create").press()
        while not app.session.is_done(1):  # the result arrives as a message
            await asyncio.sleep(0.01)
        stall, ticks = meter.stop()
        seconds = time.perf_counter() - started

        meter.start()
        await asyncio.sleep(min(seconds, 3.0))
        idle, _ = meter.stop()
        await app.workers.wait_for_complete()
    key = (root / "ca" / "ca.key").read_bytes()
    from wizard import pki

    assert pki.key_type_of(pki.load_key_pem(key)) == "rsa4096", "the CA key is not RSA-4096"
    return stall, idle, seconds, ticks


async def entering_step_4(root: Path) -> tuple[float, float, float, int]:
    """(stall ms while step 4 opens and checks the files, stall ms idle, seconds, ticks)."""
    from wizard import steps
    from wizard.app import WizardApp
    from wizard.record import record_all
    from wizard.session import Session, SessionStore
    from wizard.workspace import Workspace

    session = Session(workspace=str(root), server_cn="www.test.com", ca_key_type="rsa4096",
                      server_key_type="rsa4096", client_key_type="ec-p256")
    record_all(session, steps.generate(Workspace(root), session, "bench password"))
    session.current_step = 3
    SessionStore().save(session)
    app = WizardApp(workspace=str(root))
    meter = StallMeter()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # resume (the welcome page continues at the first step not done: 4)
        await pilot.pause()
        app.goto(3)  # measured from step 3, as a person walks in
        while type(app.screen).__name__ != "ClientScreen":
            await asyncio.sleep(0.005)
        app.set_interval(TICK, meter.tick)
        await pilot.pause(0.2)
        started = time.perf_counter()
        meter.start()
        await pilot.press("alt+n")
        while not (type(app.screen).__name__ == "ServerHandOffScreen" and "matches the certificate" in str(app.screen.query_one("#checklist").content)):
            await asyncio.sleep(0.005)
        stall, ticks = meter.stop()
        seconds = time.perf_counter() - started
        meter.start()
        await asyncio.sleep(max(seconds, 0.5))
        idle, _ = meter.stop()
        await app.workers.wait_for_complete()
    return stall, idle, seconds, ticks



def prepare_tour_workspace(root: Path, clients: int, key_type: str = "rsa4096") -> None:
    """Steps 1-3 (`key_type`), `clients` named clients and a passed handshake test, saved in the session."""
    from many_clients import add_clients, client_names

    from wizard import handshake, steps
    from wizard.record import record_all, record_verdict
    from wizard.practice import PracticeLoadBalancer
    from wizard.session import Session, SessionStore
    from wizard.workspace import Workspace

    ws = Workspace(root)
    session = Session(workspace=str(root), server_cn="localhost", server_sans=["127.0.0.1"], ca_key_type=key_type,
                      server_key_type=key_type, client_key_type="ec-p256")
    record_all(session, steps.generate(ws, session, "bench password"))
    add_clients(root, client_names(clients))
    with PracticeLoadBalancer(ws) as server:
        verdict = handshake.probe("127.0.0.1", server.port, ws, timeout=10)
    assert verdict.passed, verdict.summary
    record_verdict(session, verdict)
    session.current_step = 3
    SessionStore().save(session)


async def _quiet(app: object, ready: object, timeout: float = 180.0) -> None:
    """Until `ready()` holds and no worker runs, then a little longer (late work counts too)."""
    deadline = time.perf_counter() + timeout
    while not ready() or any(worker.is_running for worker in app.workers):  # type: ignore[attr-defined]
        if time.perf_counter() > deadline:
            running = [worker.description for worker in app.workers if worker.is_running]  # type: ignore[attr-defined]
            raise SystemExit(f"the page never settled: {type(app.screen).__name__}, ready {ready()}, running {running}")  # type: ignore[attr-defined,operator]
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.3)


def clients_table_rows(app: Any) -> Callable[[], int]:
    """A reader of the row count of the Clients page's table. The table is looked up once: a query
    of the page at every poll took a quarter of the event loop's time, slowing the fill measured."""
    found: list[Any] = []

    def rows() -> int:
        if not found and type(app.screen).__name__ == "ClientsScreen":
            found.extend(app.screen.query("#clients-table"))
        return found[0].row_count if found else 0

    return rows


TOUR = [*((f"step {step}", step) for step in range(1, 8)), ("summary", 8), ("clients", None)]
STEP_CLASSES = {1: "CaScreen", 2: "ServerScreen", 3: "ClientScreen", 4: "ServerHandOffScreen", 5: "CaHandOffScreen",
                6: "ListenerScreen", 7: "VerifyScreen", 8: "SummaryScreen"}


async def tour(root: Path) -> dict[str, float]:
    """{page: longest stall ms while entering it}, plus "idle" (the app doing nothing as long)."""
    from wizard.app import WizardApp

    rows = sum(1 for _ in (root / "clients").iterdir()) + 1  # the named clients and the tutorial's
    app = WizardApp(workspace=str(root))
    meter = StallMeter()
    stalls: dict[str, float] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        for _attempt in range(100):  # resume, once the welcome page has surveyed the workspace
            await pilot.press("enter")
            await pilot.pause(0.1)
            if len(app.screen_stack) > 1:
                break
        await _quiet(app, lambda: len(app.screen_stack) > 1)
        app.set_interval(TICK, meter.tick)
        for label, step in TOUR:
            await pilot.pause(0.2)
            meter.start()
            if step is None:
                app.action_clients()
                table_rows = clients_table_rows(app)
                ready = lambda: table_rows() == rows  # noqa: E731
            else:
                app.goto(step)
                ready = lambda step=step: type(app.screen).__name__ == STEP_CLASSES[step]  # noqa: E731
            await _quiet(app, ready)
            stalls[label], _ticks = meter.stop()
        meter.start()
        await asyncio.sleep(1.0)
        stalls["idle"], _ticks = meter.stop()
    return stalls


async def plain_page(_root: Path) -> dict[str, float]:
    """{"plain step 1": longest stall ms} opening step 1's widgets as plain Textual (bench/plain_page.py).

    Opened once first and closed, as the tour's step 1 comes after another page: the widgets'
    classes and styles are then known, and what is measured is building and showing the page.
    """
    from plain_page import PlainApp, PlainStepPage

    app = PlainApp()
    meter = StallMeter()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(PlainStepPage())
        await _quiet(app, lambda: True)
        await app.pop_screen()
        await _quiet(app, lambda: True)
        app.set_interval(TICK, meter.tick)
        await pilot.pause(0.2)
        meter.start()
        page = PlainStepPage()
        app.push_screen(page)
        await _quiet(app, lambda: app.screen is page and page.is_mounted)
        stall, _ticks = meter.stop()
    return {"plain step 1": stall}


SCENARIOS = {
    "keygen": ("RSA-4096 CA generated in step 1", key_generation),
    "step4": ("step 4 entered on an RSA-4096 workspace", entering_step_4),
}


# The tour's runs, each in a fresh process; the figures they print that are not held to the target.
PAGE_RUNS = {"tour": tour, "plain": plain_page}
UNJUDGED = ("idle", "plain step 1")


def run_in_a_fresh_process(scenario: str, root: Path) -> str:
    done = subprocess.run([sys.executable, __file__, "--one", scenario, str(root)], capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {scenario} run failed: {done.stdout[-1000:]}{done.stderr[-2000:]}")
    return done.stdout


def run_scenario(name: str, title: str, runs: int, temp: Path) -> bool:
    results = []
    print(title)
    for index in range(runs):
        stall, idle, seconds, ticks = run_in_a_fresh_process(name, temp / f"ws-{name}-{index}").split()
        results.append((float(stall), float(idle)))
        print(f"  run {index + 1}: {float(seconds):5.2f} s, {int(ticks):4d} ticks, "
              f"longest stall {float(stall):5.1f} ms (idle baseline {float(idle):4.1f} ms)")
    median_stall = statistics.median(s for s, _ in results)
    worst = max(s for s, _ in results)
    ok = median_stall <= TARGET_MS
    print(f"  median longest stall {median_stall:.1f} ms, worst {worst:.1f} ms, idle baseline "
          f"{statistics.median(i for _, i in results):.1f} ms: target <= {TARGET_MS:.0f} ms {'OK' if ok else 'OVER'}")
    return ok


def run_tour(runs: int, clients: int, temp: Path) -> bool:
    root = temp / "ws-tour"
    started = time.perf_counter()
    prepare_tour_workspace(root, clients)
    print(f"tour: every step, the summary and the Clients page ({clients:,} clients; workspace built in "
          f"{time.perf_counter() - started:.0f} s); beside it, step 1's widgets as plain Textual, none of the "
          "wizard's code (bench/plain_page.py)")
    samples: dict[str, list[float]] = {}
    for index in range(runs):
        stalls = {}
        for scenario in PAGE_RUNS:
            stalls.update(json.loads(run_in_a_fresh_process(scenario, root).strip().splitlines()[-1]))
        for label, value in stalls.items():
            samples.setdefault(label, []).append(value)
        print(f"  run {index + 1}: " + ", ".join(f"{label} {value:.0f}" for label, value in stalls.items()) + " (ms)")
    ok = True
    for label, values in samples.items():
        median = statistics.median(values)
        judged = label not in UNJUDGED
        verdict = f"  target <= {TARGET_MS:.0f} ms {'OK' if median <= TARGET_MS else 'OVER'}" if judged else ""
        ok = ok and (not judged or median <= TARGET_MS)
        print(f"  {label:12} median longest stall {median:6.1f} ms, worst {max(values):6.1f} ms{verdict}")
    plain, ours = statistics.median(samples["plain step 1"]), statistics.median(samples["step 1"])
    print(f"  the wizard's step 1 opens with {ours / plain:.2f}x the longest stall of its widgets as plain Textual")
    return ok


def cpu_hogs(count: int) -> list[subprocess.Popen]:
    """One busy process per core (the load of --load), each a tight loop."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per scenario (default 5)")
    parser.add_argument("--load", action="store_true", help="one CPU-bound process per core beside the app")
    parser.add_argument("--only", default="keygen,step4,tour", help="the scenarios, comma separated (default all)")
    parser.add_argument("--clients", type=int, default=2000, help="named clients in the tour's workspace (default 2000)")
    parser.add_argument("--one", nargs=2, metavar=("SCENARIO", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # one run, in this process (started by the loop below)
        scenario, root = args.one
        if scenario in PAGE_RUNS:
            print(json.dumps(asyncio.run(PAGE_RUNS[scenario](Path(root)))))
        else:
            print(*asyncio.run(SCENARIOS[scenario][1](Path(root))))
        return 0
    wanted = args.only.split(",")
    hogs: list[subprocess.Popen] = []
    verdicts = []
    try:
        with tempfile.TemporaryDirectory() as temp:
            os.environ["MTLS_WIZARD_DATA_DIR"] = str(Path(temp) / "data")
            if args.load:
                hogs = cpu_hogs(os.cpu_count() or 1)
            print(f"{os.cpu_count()} cores, {'loaded: one CPU-bound process per core beside the app' if args.load else 'no added load'}, "
                  f"load average {os.getloadavg()[0]:.1f} at the start")
            for name, (title, _scenario) in SCENARIOS.items():
                if name in wanted:
                    verdicts.append(run_scenario(name, title, args.runs, Path(temp)))
            if "tour" in wanted:
                verdicts.append(run_tour(args.runs, args.clients, Path(temp)))
            print(f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
