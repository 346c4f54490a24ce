"""Timing helpers shared by the benchmarks (run as `python bench/NAME.py`, so this is importable)."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable


def timed(action: Callable[[], object]) -> float:
    """Seconds one call of `action` takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def console_script() -> str:
    """The installed `mtls-wizard` command beside this Python (what users run)."""
    found = shutil.which("mtls-wizard", path=os.path.dirname(sys.executable))
    if found is None:
        raise SystemExit("install the wizard first (pip install .): the mtls-wizard command is not beside this Python")
    return found


def installation() -> str:
    """Which wizard the console script runs: an installed copy (as users have it, after `pip install .`)
    or an editable one, whose import hook and source tree cost start-up time users do not pay."""
    with tempfile.TemporaryDirectory() as elsewhere:  # not the checkout: its wizard/ would come first
        where = subprocess.run([sys.executable, "-c", "import wizard; print(wizard.__file__)"], cwd=elsewhere,
                               capture_output=True, text=True, check=True).stdout.strip()
    kind = "installed copy" if "site-packages" in where else "EDITABLE install: figures include its import hook; measure a `pip install .` for users'"
    return f"wizard from {os.path.dirname(where)} ({kind})"
