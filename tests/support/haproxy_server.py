"""A real HAProxy on loopback terminating HTTPS, built from a workspace.

haproxy runs in the foreground as our child (`haproxy -db -f haproxy.cfg`) with its config and
the combined certificate+key file in DIR, on a free port. It answers `/` itself
(`http-request return`), so no backend is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

from support.server_process import ServerProcess, find_binary, require_binary
from wizard.workspace import Workspace

# The rule of the "verify optional + deny" set-up: no client certificate, no entry (HTTP 403).
DENY_WITHOUT_CERTIFICATE = "http-request deny if !{ ssl_c_used }"


def haproxy_binary() -> str | None:
    return find_binary("haproxy")


def require_haproxy() -> str:
    """The haproxy binary, or skip (locally) / fail (in CI) with a clear reason."""
    return require_binary("haproxy", "haproxy")


class HAProxyServer(ServerProcess):
    """HAProxy with `verify required` / `verify optional` / one-way TLS (`verify none`), optionally one TLS version;
    `bind_extra` adds to the bind line (ignored verification errors, `crl-file`)."""

    what = "HAProxy"
    config_name = "haproxy.cfg"

    def __init__(
        self,
        ws: Workspace,
        folder: Path,
        *,
        verify: str = "required",
        tls_version: str | None = None,
        rules: str = "",
        host: str = "127.0.0.1",
        client_ca: Path | None = None,
        bind_extra: str = "",
    ) -> None:
        super().__init__(folder, host)
        self.ws, self.verify, self.tls_version, self.rules = ws, verify, tls_version, rules
        self.client_ca, self.bind_extra = client_ca or ws.cert("ca"), bind_extra
        self.binary = haproxy_binary() or "haproxy"

    @property
    def pem(self) -> Path:
        return self.folder / "server.pem"

    def prepare(self) -> None:
        # HAProxy wants the certificate and its key in one file.
        fd = os.open(self.pem, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self.ws.cert("server").read_bytes() + self.ws.key("server").read_bytes())

    def command(self) -> list[str]:
        return [self.binary, "-db", "-f", str(self.config_path)]

    def config(self) -> str:
        bind = f"bind {self.address} ssl crt {self.pem}"
        if self.verify != "none":
            bind += f" ca-file {self.client_ca} verify {self.verify}{self.bind_extra}"
        if self.tls_version:
            bind += f" ssl-min-ver {self.tls_version} ssl-max-ver {self.tls_version}"
        return (
            "global\n  maxconn 64\n"
            "defaults\n  mode http\n  timeout connect 5s\n  timeout client 10s\n  timeout server 10s\n"
            "frontend mtls\n"
            f"  {bind}\n"
            f"  {self.rules}\n"
            '  http-request return status 200 content-type text/plain string "hello"\n'
        )
