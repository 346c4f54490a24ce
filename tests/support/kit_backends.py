"""Real nginx, HAProxy and Apache httpd as plain-HTTP backends on loopback, each with a generated
backend kit in its configuration exactly as the kit's printed lines say, and an "app" behind it;
and a workspace with a revoked client and thousands of revoked serials for them to enforce.

Each can be reloaded the way the kit's printed command does it (`nginx -s reload`, HAProxy's
master-worker reload, Apache's graceful restart), for the tests that show a new revocation taking
effect without dropping connections.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.apache_server import MODULES, ApacheServer
from support.haproxy_server import HAProxyServer
from support.nginx_server import NginxServer

from wizard.backend import apache, haproxy, nginx
from wizard.clients.revocation import read_record, record_path, serial_text
from wizard.workspace import PUBLIC_MODE, Workspace, atomic_write

APP_BODY = "app ok"


def add_revoked_serials(ws: Workspace, count: int, seed: int = 28) -> list[str]:
    """`count` made-up revoked serials in ca/revoked.json, written with the core's own record format
    (a real `client revoke` afterwards signs them all into the CRL); returns them."""
    generator = random.Random(seed)
    serials = [serial_text(generator.getrandbits(127) | 1) for _ in range(count)]
    record = read_record(ws)
    record["revoked"] += [{"name": f"gone-{index}", "serial": serial, "fingerprint": "", "date": "2025-01-01T00:00:00+00:00",
                           "reason": "superseded"} for index, serial in enumerate(serials)]
    atomic_write(record_path(ws), (json.dumps(record) + "\n").encode(), PUBLIC_MODE)
    return serials


@contextmanager
def readable_folder() -> Iterator[Path]:
    """A folder the web servers' unprivileged workers can read (pytest's tmp_path is 0700 to root)."""
    parent = Path(tempfile.mkdtemp(prefix="mtls-kit-"))
    os.chmod(parent, 0o755)
    try:
        yield parent
    finally:
        shutil.rmtree(parent, ignore_errors=True)


class NginxKitBackend(NginxServer):
    """nginx with the kit's http.conf in `http {}` and server.conf in the backend's `server {}`;
    a master process, so `nginx -s reload` works."""

    what = "nginx (backend with the kit)"
    app_marker = APP_BODY

    def __init__(self, ws: Workspace, folder: Path, kit: Path | None) -> None:
        super().__init__(ws, folder)
        self.kit = kit  # None: the same backend without the kit (the benchmark's baseline)

    def config(self) -> str:
        temp = self.folder / "tmp"
        http_include = f"  include {self.kit / nginx.HTTP_CONF};\n" if self.kit else ""
        server_include = f"    include {self.kit / nginx.SERVER_CONF};\n" if self.kit else ""
        return (
            f"error_log {self.folder / 'error.log'} warn;\npid {self.folder / 'nginx.pid'};\n"
            "events { worker_connections 128; }\n"
            "http {\n  access_log off;\n"
            f"  client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fastcgi;\n"
            f"  uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;\n"
            f"{http_include}"
            f"  server {{\n    listen {self.address};\n{server_include}"
            f'    location / {{ default_type text/plain; return 200 "{APP_BODY}\\n"; }}\n  }}\n}}\n'
        )

    def reload(self) -> None:
        """`nginx -s reload`, for this nginx's own prefix and configuration, returning once the
        workers from before it have exited: until an old worker has handled its signal (late, on a
        loaded machine), it may still accept a new connection and answer it from the old
        configuration, after a new worker has already answered another one from the new."""
        before = self._workers()
        subprocess.run([self.binary, "-p", str(self.folder), "-c", str(self.config_path), "-s", "reload"], check=True, capture_output=True, timeout=30)
        deadline = time.monotonic() + 30
        while before & self._workers():
            assert time.monotonic() < deadline, "nginx's workers from before the reload did not exit within 30 s"
            time.sleep(0.05)

    def _workers(self) -> set[int]:
        """The process ids of the master's children (from /proc: ps may not be installed)."""
        master = (self.folder / "nginx.pid").read_text().strip()
        children = set()
        for entry in Path("/proc").iterdir():
            try:
                stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
            except OSError:
                continue  # gone meanwhile
            if stat and stat.rsplit(")", 1)[1].split()[1] == master:
                children.add(int(entry.name))
        return children


class HAProxyKitBackend(HAProxyServer):
    """HAProxy (master-worker) with the kit's rules pasted into its frontend."""

    what = "HAProxy (backend with the kit)"
    app_marker = APP_BODY

    def __init__(self, ws: Workspace, folder: Path, kit: Path | None) -> None:
        super().__init__(ws, folder)
        self.kit = kit  # None: without the kit

    def prepare(self) -> None:
        pass  # plain HTTP: no certificate file

    def command(self) -> list[str]:
        return [self.binary, "-W", "-db", "-f", str(self.config_path)]

    def config(self) -> str:
        rules = "".join(f"  {line}\n" for line in (self.kit / haproxy.RULES).read_text().splitlines()) if self.kit else ""
        return (
            "global\n  maxconn 256\n"
            "defaults\n  mode http\n  timeout connect 5s\n  timeout client 10s\n  timeout server 10s\n"
            f"frontend app\n  bind {self.address}\n{rules}"
            f'  http-request return status 200 content-type text/plain string "{APP_BODY}\\n"\n'
        )

    def reload(self) -> None:
        """What `systemctl reload haproxy` does to a master-worker HAProxy: SIGUSR2 to the master."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGUSR2)


class ApacheKitBackend(ApacheServer):
    """Apache httpd with the kit's conf Included at the top of its VirtualHost."""

    what = "Apache httpd (backend with the kit)"
    app_marker = "Apache Status"  # the site behind the kit: mod_status (its children read no file of ours)

    def __init__(self, ws: Workspace, folder: Path, kit: Path | None) -> None:
        super().__init__(ws, folder, verify="none")
        self.kit = kit  # None: without the kit

    def config(self) -> str:
        modules = "".join(f"LoadModule {name}_module {MODULES}/mod_{name}.so\n" for name in ("mpm_event", "authz_core", "rewrite", "include", "status"))
        folder = self.folder
        return (
            f"ServerRoot {folder}\nDefaultRuntimeDir {folder}\nPidFile {folder / 'httpd.pid'}\n"
            f"ErrorLog {folder / self.log_name}\nLogLevel warn\nServerName localhost\n{modules}{self._privileges()}"
            "StartServers 1\nServerLimit 2\nThreadsPerChild 16\nMaxRequestWorkers 32\n"
            "<Directory />\n  Require all denied\n</Directory>\n"
            f"Listen {self.address}\n<VirtualHost {self.address}>\n"
            + (f"  Include {self.kit / apache.CONF}\n" if self.kit else "")
            + '  <Location "/">\n    Require all granted\n    SetHandler server-status\n  </Location>\n'
            "</VirtualHost>\n"
        )

    def reload(self) -> None:
        """`apachectl graceful`: SIGUSR1 to the parent."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGUSR1)


BACKENDS = {"nginx": NginxKitBackend, "haproxy": HAProxyKitBackend, "apache": ApacheKitBackend}


def kit_backend(server: str, ws: Workspace, folder: Path, kit: Path | None) -> NginxKitBackend | HAProxyKitBackend | ApacheKitBackend:
    return BACKENDS[server](ws, folder, kit)


__all__ = ["APP_BODY", "BACKENDS", "add_revoked_serials", "kit_backend", "readable_folder"]
