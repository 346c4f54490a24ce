"""A real nginx on loopback, built from a workspace: mTLS on or off, for tests and the benchmark.

nginx runs in the foreground as a child process (`nginx -p DIR -c nginx.conf -g 'daemon off;'`)
with its config, logs and temp folders in DIR, on 127.0.0.1 (or ::1) and a free port.
Without nginx the tests skip with a reason, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from wizard.workspace import Workspace

START_TIMEOUT = 10.0


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def require_nginx() -> str:
    """The nginx binary, or skip (locally) / fail (in CI) with a clear reason."""
    import pytest

    binary = nginx_binary()
    if binary is None:
        message = "nginx is not installed (apt-get install nginx); the real-nginx tests need it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}, and in CI they must run (.ci/run installs it)")
        pytest.skip(message)
    return binary


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class NginxServer:
    """nginx serving HTTPS from `ws` with `ssl_verify_client` on / off / optional / optional_no_ca."""

    def __init__(
        self,
        ws: Workspace,
        folder: Path,
        *,
        verify_client: str = "on",
        client_ca: Path | None = None,
        protocols: str = "TLSv1.2 TLSv1.3",
        host: str = "127.0.0.1",
        location: str = 'return 200 "hello $ssl_client_s_dn\\n";',
        binary: str | None = None,
    ) -> None:
        self.ws, self.folder = ws, Path(folder)
        self.verify_client, self.client_ca, self.protocols = verify_client, client_ca, protocols
        self.host, self.location = host, location
        self.binary = binary or nginx_binary() or "nginx"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def config(self) -> str:
        folder = self.folder
        listen = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        client_auth = ""
        if self.verify_client != "off":
            client_auth = (
                f"    ssl_client_certificate {self.client_ca or self.ws.cert('ca')};\n"
                f"    ssl_verify_client {self.verify_client};\n"
            )
        temp = folder / "tmp"
        return (
            "master_process off;\n"
            f"error_log {folder / 'error.log'} warn;\n"
            f"pid {folder / 'nginx.pid'};\n"
            "events { worker_connections 128; }\n"
            "http {\n"
            "  access_log off;\n"
            f"  client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fastcgi;\n"
            f"  uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;\n"
            "  server {\n"
            f"    listen {listen} ssl;\n"
            f"    ssl_certificate {self.ws.cert('server')};\n"
            f"    ssl_certificate_key {self.ws.key('server')};\n"
            f"    ssl_protocols {self.protocols};\n"
            f"{client_auth}"
            f"    location / {{ {self.location} }}\n"
            "  }\n"
            "}\n"
        )

    def start(self) -> NginxServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "tmp").mkdir(exist_ok=True)
        last_error = ""
        for _ in range(5):  # a free port can be taken between our probe and nginx's bind
            self.port = free_port(self.host)
            (self.folder / "nginx.conf").write_text(self.config())
            self.process = subprocess.Popen(
                [self.binary, "-p", str(self.folder), "-e", str(self.folder / "error.log"), "-c", str(self.folder / "nginx.conf"), "-g", "daemon off;"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            if self._wait_listening():
                return self
            last_error = self._stop_process()
            if "in use" not in last_error:
                break
        raise RuntimeError(f"nginx did not start: {last_error.strip() or 'no output'}")

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
        log = self.folder / "error.log"
        return stderr + (log.read_text(errors="replace") if log.exists() else "")

    def stop(self) -> None:
        self._stop_process()

    def __enter__(self) -> NginxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
