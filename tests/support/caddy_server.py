"""A real Caddy on loopback (Go's crypto/tls), built from a workspace and a `Mode`.

`caddy run --config caddy.json` runs as our child with its data and config folders in DIR
(no ACME, no admin endpoint, no automatic HTTPS). The "application" is a route that answers
`app_refusal` when the request carries no client certificate. Caddy has no CRL support: a
listener in the CRL mode lets a revoked client in, and the verdict must say so. Nor can it speak
HTTP/2 alone (it refuses to start without HTTP/1.1).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from support.mtls_modes import NONE, OPTIONAL, REQUEST, REQUIRE, Mode
from support.server_process import ServerProcess, find_binary, require_binary
from wizard.workspace import Workspace

# The client-authentication modes of Caddy's TLS connection policies, by ours.
CADDY_MODES = {REQUIRE: "require_and_verify", REQUEST: "request", OPTIONAL: "verify_if_given"}
GO_VERSIONS = {"TLSv1.2": "tls1.2", "TLSv1.3": "tls1.3"}


def require_caddy() -> str:
    """The caddy binary, or skip (locally) / fail (in CI) with a clear reason."""
    return require_binary("caddy", "caddy")


class CaddyServer(ServerProcess):
    what = "Caddy"
    config_name = "caddy.json"
    log_name = "caddy.log"

    def __init__(self, ws: Workspace, folder: Path, mode: Mode, host: str = "127.0.0.1") -> None:
        super().__init__(folder, host)
        self.ws, self.mode = ws, mode
        self.binary = find_binary("caddy") or "caddy"

    def command(self) -> list[str]:
        return [self.binary, "run", "--config", str(self.config_path)]

    def environment(self) -> dict[str, str]:
        # Caddy keeps its state under $XDG_DATA_HOME and $XDG_CONFIG_HOME: inside our folder, never the user's.
        return {**os.environ, "XDG_DATA_HOME": str(self.folder / "data"), "XDG_CONFIG_HOME": str(self.folder / "config"), "HOME": str(self.folder)}

    def _routes(self) -> list[dict]:
        hello = {"handle": [{"handler": "static_response", "status_code": 200, "body": "hello {http.request.tls.client.subject}\n"}]}
        if not self.mode.app_refusal:
            return [hello]
        refuse = {
            "match": [{"expression": "{http.request.tls.client.fingerprint} == null"}],
            "handle": [{"handler": "static_response", "status_code": self.mode.app_refusal, "body": "refused by the application\n"}],
        }
        return [refuse, hello]

    def config(self) -> str:
        mode = self.mode
        if mode.h2_only:
            raise ValueError("Caddy cannot speak HTTP/2 alone")
        # mode.crl has nowhere to go: Caddy checks no CRL (the verdict must then name the revoked client let in).
        policy: dict = {"protocol_min": GO_VERSIONS[mode.min_version], "protocol_max": GO_VERSIONS[mode.max_version]}
        if mode.client_auth != NONE:
            policy["client_authentication"] = {
                "trusted_ca_certs_pem_files": [str(mode.client_ca or self.ws.cert("ca"))], "mode": CADDY_MODES[mode.client_auth]}
        server = {
            "listen": [self.address], "routes": self._routes(), "tls_connection_policies": [policy],
            "automatic_https": {"disable": True},
        }
        return json.dumps({
            "admin": {"disabled": True},
            "logging": {"logs": {"default": {"level": "ERROR", "writer": {"output": "file", "filename": str(self.folder / self.log_name)}}}},
            "storage": {"module": "file_system", "root": str(self.folder / "data")},
            "apps": {
                "http": {"servers": {"mtls": server}},
                "tls": {"certificates": {"load_files": [{"certificate": str(self.ws.cert("server")), "key": str(self.ws.key("server"))}]}},
            },
        })
