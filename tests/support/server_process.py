"""What the real-server helpers (nginx, Apache httpd, HAProxy) share: finding the binary,
skipping or failing without it, a free port, and a foreground child process with its config
and logs in a temporary folder (never a system service).

Without the binary the tests skip with a reason, except in CI (CI=true), where they fail:
`.ci/run` installs every one of them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

START_TIMEOUT = 10.0
SEARCH_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def find_binary(name: str, *extra: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in (*(f"{folder}/{name}" for folder in SEARCH_DIRS), *extra):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def require_binary(name: str, package: str, *extra: str) -> str:
    """The binary, or skip (locally) / fail (in CI) with a clear reason."""
    import pytest

    binary = find_binary(name, *extra)
    if binary is None:
        message = f"{name} is not installed (apt-get install {package}); the real-{name} tests need it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}, and in CI they must run (.ci/run installs it)")
        pytest.skip(message)
    return binary


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class ServerProcess:
    """A server in the foreground as our child, on `host` and a free port, configured by `config()`."""

    what = "server"
    config_name = "server.conf"
    log_name = "error.log"

    def __init__(self, folder: Path, host: str = "127.0.0.1") -> None:
        self.folder, self.host = Path(folder), host
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.folder / self.config_name

    def config(self) -> str:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Files the server needs besides its config (folders, combined PEMs)."""

    def environment(self) -> dict[str, str] | None:
        """The child's environment; None: ours."""
        return None

    def start(self) -> ServerProcess:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.prepare()
        last_error = ""
        for _ in range(5):  # a free port can be taken between our probe and the server's bind
            self.port = free_port(self.host)
            self.config_path.write_text(self.config())
            self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                            env=self.environment())
            if self._wait_listening():
                return self
            last_error = self._stop_process()
            if "in use" not in last_error.lower():
                break
        raise RuntimeError(f"{self.what} did not start: {last_error.strip() or 'no output'}")

    def _wait_listening(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.5)
                if sock.connect_ex((self.host, self.port)) == 0:
                    return True
            time.sleep(0.02)
        return False

    def _stop_process(self) -> str:
        if self.process is None:
            return ""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        stderr = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None
        log = self.folder / self.log_name
        return stderr + (log.read_text(errors="replace") if log.exists() else "")

    def stop(self) -> None:
        self._stop_process()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
