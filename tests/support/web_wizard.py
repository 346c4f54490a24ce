"""`mtls-wizard web` as a person starts it (the installed command), on a free loopback port,
stopped as Ctrl+C would (SIGTERM takes the same way out)."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import time
from pathlib import Path

START_TIMEOUT = 20.0


class WebWizard:
    def __init__(self, command: str, *args: str, cwd: Path | None = None) -> None:
        self.argv = [command, "web", "--port", "0", *args]
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self._early = b""
        self.output = ""  # everything it printed, once stopped
        self.returncode: int | None = None

    def __enter__(self) -> WebWizard:
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        bufsize=0, cwd=self.cwd, env=dict(os.environ))
        assert self.process.stdout is not None
        early = b""  # read unbuffered, so communicate() later gets the rest and nothing is lost between
        with selectors.DefaultSelector() as waiting:
            waiting.register(self.process.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + START_TIMEOUT
            while not self.url and time.monotonic() < deadline:
                if not waiting.select(timeout=max(0.0, deadline - time.monotonic())):
                    break
                chunk = os.read(self.process.stdout.fileno(), 4096)
                if not chunk:
                    break
                early += chunk
                found = re.search(r"http://127\.0\.0\.1:\d+/", early.decode(errors="replace"))
                self.url = found.group(0) if found else ""
        self._early = early
        if not self.url:
            self.stop()
            raise RuntimeError(f"mtls-wizard web did not start: {self.output}")
        return self

    def stop(self) -> int:
        if self.process is None:
            return self.returncode or 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            rest, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            rest, _ = self.process.communicate(timeout=10)
        self.output = (self._early + (rest or b"")).decode(errors="replace")
        self.returncode = self.process.returncode
        self.process = None
        return self.returncode

    def __exit__(self, *exc: object) -> None:
        self.stop()
