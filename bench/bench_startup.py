"""Cold start of the wizard to its first painted screen, against a bare Textual app.

Each run is a fresh interpreter (the same one that runs this script), headless, timed
from just before the process is spawned to the moment the first screen has painted
(the welcome text mounted, then one refresh). Runs alternate between the two apps so
machine noise hits both alike. Prints medians, peak memory (max RSS) and the ratios.

Targets: at most 1.3x the bare app's time and 1.5x its peak memory.

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TIME_TARGET = 1.3
MEMORY_TARGET = 1.5

# The child reports when the first screen is on the glass: its content is mounted and a
# refresh has gone by. The check runs every millisecond from the App's first mount.
_REPORT = """
import json, resource, sys, time
def report(app):
    print(json.dumps({"painted_at": time.time(), "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
    app.exit()
def watch(app, ready):
    state = {"done": False}
    def check():
        if not state["done"] and ready(app):
            state["done"] = True
            app.call_after_refresh(report, app)
    app.set_interval(0.001, check)
"""

BARE = _REPORT + """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("Hello from a bare Textual app")
    def on_mount(self):
        watch(self, lambda app: bool(app.screen.query(Static)))
Bare().run(headless=True, size=(80, 24))
"""

WIZARD = _REPORT + """
from wizard.app import WizardApp
class Timed(WizardApp):
    def on_mount(self):
        def ready(app):
            screen = app.screen
            return type(screen).__name__ == "WelcomeScreen" and bool(screen.query("#welcome-text"))
        watch(self, ready)
Timed().run(headless=True, size=(80, 24))
"""


def run_once(code: str, env: dict[str, str]) -> tuple[float, int]:
    started = time.time()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"the child failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    data = json.loads(lines[-1])
    return data["painted_at"] - started, int(data["max_rss_kb"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per app (default 15)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir, tempfile.TemporaryDirectory() as cwd:
        # An empty data dir: the first run of a newcomer (no session to resume).
        env = {**os.environ, "MTLS_WIZARD_DATA_DIR": data_dir, "TEXTUAL": ""}
        os.chdir(cwd)
        for code in (BARE, WIZARD):  # warm the disk cache and bytecode once, untimed
            run_once(code, env)
        times: dict[str, list[float]] = {"bare": [], "wizard": []}
        memory: dict[str, list[int]] = {"bare": [], "wizard": []}
        for index in range(args.runs):
            order = (("bare", BARE), ("wizard", WIZARD)) if index % 2 == 0 else (("wizard", WIZARD), ("bare", BARE))
            for name, code in order:
                seconds, rss = run_once(code, env)
                times[name].append(seconds)
                memory[name].append(rss)

    t_bare, t_wizard = statistics.median(times["bare"]), statistics.median(times["wizard"])
    m_bare, m_wizard = statistics.median(memory["bare"]), statistics.median(memory["wizard"])
    time_ratio, memory_ratio = t_wizard / t_bare, m_wizard / m_bare
    print(f"python {sys.version.split()[0]}, {args.runs} alternated runs each, headless 80x24")
    print(f"{'':18}{'median to paint':>16}{'peak RSS':>12}")
    print(f"{'bare Textual app':18}{t_bare * 1000:>13.0f} ms{m_bare / 1024:>9.1f} MB")
    print(f"{'mtls-wizard':18}{t_wizard * 1000:>13.0f} ms{m_wizard / 1024:>9.1f} MB")
    print(f"time ratio   {time_ratio:.2f}x (target <= {TIME_TARGET}x)  {'OK' if time_ratio <= TIME_TARGET else 'OVER'}")
    print(f"memory ratio {memory_ratio:.2f}x (target <= {MEMORY_TARGET}x)  {'OK' if memory_ratio <= MEMORY_TARGET else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
