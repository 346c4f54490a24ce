"""A long-running command (`mtls-wizard practice`, `serve`) as a real process: started, read until it
says where it listens, stopped with a signal, its whole output kept."""

from __future__ import annotations

import os
import re
import signal
import shutil
import subprocess
import sys
from pathlib import Path



def console_script() -> str:
    """The installed `mtls-wizard` command, beside this Python."""
    found = shutil.which("mtls-wizard", path=os.path.dirname(sys.executable))
    assert found is not None, "the mtls-wizard console script is not installed: pip install '.[test]' first"
    return found


class Foreground:
    """`mtls-wizard ARGS` in the background of a test. `lines` holds what it printed up to the
    line naming its port (`port`); `stop()` sends SIGTERM and returns the rest of its output."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        full_env = {**os.environ, "MTLS_WIZARD_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process = subprocess.Popen([console_script(), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=full_env)
        self.lines: list[str] = []
        self.port = 0
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            match = re.search(r"\(port (\d+)", line)
            if match:
                self.port = int(match.group(1))
                break

    @property
    def started(self) -> bool:
        return self.port > 0

    def line(self, start: str) -> str:
        """The first printed line that starts with `start` (leading spaces ignored), read on as needed."""
        assert self.process.stdout is not None
        for line in self.lines:
            if line.strip().startswith(start):
                return line.strip()
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.strip().startswith(start):
                return line.strip()
        raise AssertionError(f"no line starting with {start!r} in {self.lines}")

    def stop(self) -> tuple[str, str, int]:
        """(the rest of stdout, stderr, exit code) after SIGTERM (or after it ended by itself)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            stdout, stderr = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, stderr = self.process.communicate(timeout=5)
        return stdout, stderr, self.process.returncode

    def __enter__(self) -> Foreground:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.stop()


__all__ = ["Foreground"]
