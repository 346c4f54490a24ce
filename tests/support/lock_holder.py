"""Another process on the workspace, as a second terminal would be: a small Python program
started with the installed package, which says "ready" or "locked" on its first line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import P12_PASSWORD

# Holds the workspace lock until its standard input closes.
HOLDER = """
import sys
from wizard.workspace import Workspace
with Workspace(sys.argv[1]).locked():
    print("locked", flush=True)
    sys.stdin.read()
"""


def env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "MTLS_WIZARD_DATA_DIR": str(data_dir), "MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}


def start(code: str, args: list[str], data_dir: Path) -> subprocess.Popen:
    # cwd: `python -c` puts the current folder first on sys.path; run where no other copy of
    # the package can be picked up, so the installed one is what runs (as for the cli fixture).
    process = subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env(data_dir), cwd=data_dir)
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.strip() in ("ready", "locked"), first + process.stderr.read()  # type: ignore[union-attr]
    return process
