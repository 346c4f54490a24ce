"""Cold start of the wizard, as users start it, to its first painted screen, against a bare
Textual app.

The wizard runs as the installed `mtls-wizard` console script (argument parsing included);
the bare app as `python -c` with the same interpreter. Each run is a fresh process on its
own pseudo-terminal (80x24), timed from just before it is spawned to the moment its first
screen has been written to the terminal (a text only that screen shows appears in the
output). Runs take turns so machine noise hits every app alike. Prints medians,
peak memory (VmHWM, read just before the process is stopped) and the ratios.

Targets: at most 1.2x the bare app's time and 1.2x its peak memory.

A third app is timed alongside as the floor under the target: Textual alone with the widgets the
welcome page shows (an introduction, a labelled Input, a RadioSet of two, a Button, a Footer), and
none of the wizard. What the wizard takes beyond it is the wizard's own doing.

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

from timing import console_script, installation

TIME_TARGET = 1.2
MEMORY_TARGET = 1.2

BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("Hello from a bare Textual app")
Bare().run()
"""
BARE_MARKER = b"Hello from a bare"
# Textual's own widgets as the welcome page has them (its first paint parses their styles and lays them out).
SAME_WIDGETS = """
from textual.app import App
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, RadioButton, RadioSet, Static
class SameWidgets(App):
    BINDINGS = [("f1", "help", "Help"), ("ctrl+q", "quit", "Quit")]
    def compose(self):
        with VerticalScroll():
            yield Static("A few lines of introduction, as the welcome page has.\\n" * 6)
            yield Label("Folder for the files")
            yield Input("/home/user/mtls-workspace", compact=True)
            yield Label("Load balancer")
            yield RadioSet(RadioButton("A cloud load balancer", value=True), RadioButton("A practice one"))
        yield Static("")
        with Horizontal():
            yield Button("Start", variant="primary", compact=True, disabled=True)
            yield Static("")
        yield Footer()
SameWidgets().run()
"""
SAME_WIDGETS_MARKER = b"Folder for the files"
WIZARD_MARKER = b"Workspace folder"  # the welcome screen's field label
_ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run_once(argv: list[str], marker: bytes, env: dict[str, str], timeout: float = 30.0) -> tuple[float, int]:
    """Seconds from spawn to `marker` on the terminal, and the peak RSS (kB) by then."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        deadline = started + timeout
        while marker not in _ESCAPES.sub(b"", seen):
            if time.perf_counter() > deadline or process.poll() is not None:
                raise SystemExit(f"{argv[0]} never painted its first screen; it wrote: {seen[-500:]!r}")
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                seen += os.read(master, 65536)
        elapsed = time.perf_counter() - started
        rss = peak_rss_kb(process.pid)
    finally:
        process.kill()
        process.wait()
        os.close(master)
    return elapsed, rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per app (default 15)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir, tempfile.TemporaryDirectory() as cwd:
        # An empty data dir: the first run of a newcomer (no session to resume).
        env = {**os.environ, "MTLS_WIZARD_DATA_DIR": data_dir, "TEXTUAL": "", "TERM": "xterm-256color"}
        os.chdir(cwd)
        commands = {
            "bare": ([sys.executable, "-c", BARE], BARE_MARKER),
            "same": ([sys.executable, "-c", SAME_WIDGETS], SAME_WIDGETS_MARKER),
            "wizard": ([console_script()], WIZARD_MARKER),
        }
        for argv, marker in commands.values():  # warm the disk cache and bytecode once, untimed
            run_once(argv, marker, env)
        names = list(commands)
        times: dict[str, list[float]] = {name: [] for name in names}
        memory: dict[str, list[int]] = {name: [] for name in names}
        for index in range(args.runs):
            turn = index % len(names)
            for name in names[turn:] + names[:turn]:  # each app first, second and third in turn
                seconds, rss = run_once(*commands[name], env)
                times[name].append(seconds)
                memory[name].append(rss)

    t_bare, t_wizard = statistics.median(times["bare"]), statistics.median(times["wizard"])
    m_bare, m_wizard = statistics.median(memory["bare"]), statistics.median(memory["wizard"])
    time_ratio, memory_ratio = t_wizard / t_bare, m_wizard / m_bare
    print(f"python {sys.version.split()[0]}, {args.runs} runs each, taking turns, on a pseudo-terminal of 80x24; {installation()}")
    print(f"{'':18}{'median to paint':>16}{'peak RSS':>12}")
    print(f"{'bare Textual app':18}{t_bare * 1000:>13.0f} ms{m_bare / 1024:>9.1f} MB")
    print(f"{'mtls-wizard':18}{t_wizard * 1000:>13.0f} ms{m_wizard / 1024:>9.1f} MB")
    t_same, m_same = statistics.median(times["same"]), statistics.median(memory["same"])
    print(f"{'its widgets alone':18}{t_same * 1000:>13.0f} ms{m_same / 1024:>9.1f} MB   (the floor: {t_same / t_bare:.2f}x, "
          f"{m_same / m_bare:.2f}x the bare app; the wizard is {t_wizard / t_same:.2f}x, {m_wizard / m_same:.2f}x this)")
    print(f"time ratio   {time_ratio:.2f}x (target <= {TIME_TARGET}x)  {'OK' if time_ratio <= TIME_TARGET else 'OVER'}")
    print(f"memory ratio {memory_ratio:.2f}x (target <= {MEMORY_TARGET}x)  {'OK' if memory_ratio <= MEMORY_TARGET else 'OVER'}")
    print(f"load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    return 0 if time_ratio <= TIME_TARGET and memory_ratio <= MEMORY_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
