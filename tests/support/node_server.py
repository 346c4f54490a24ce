"""A real Node.js https (or http2) server on loopback, built from a workspace and a `Mode`.

`node servers/node_mtls_server.js CONFIG.json` runs as our child; the TLS is OpenSSL under
Node's own TLS layer, and the "application" refuses by `request.socket.authorized`.
"""

from __future__ import annotations

import json
from pathlib import Path

from support.mtls_modes import NONE, OPTIONAL, REQUEST, REQUIRE, Mode
from support.server_process import ServerProcess, find_binary, require_binary
from wizard.workspace import Workspace

SCRIPT = Path(__file__).parent / "servers" / "node_mtls_server.js"


def require_node() -> str:
    """The node binary, or skip (locally) / fail (in CI) with a clear reason."""
    return require_binary("node", "nodejs")


class NodeServer(ServerProcess):
    what = "Node.js"
    config_name = "node.json"

    def __init__(self, ws: Workspace, folder: Path, mode: Mode, host: str = "127.0.0.1") -> None:
        super().__init__(folder, host)
        self.ws, self.mode = ws, mode
        self.binary = find_binary("node") or "node"

    def command(self) -> list[str]:
        return [self.binary, str(SCRIPT), str(self.config_path)]

    def config(self) -> str:
        mode = self.mode
        asks = mode.client_auth != NONE
        return json.dumps({
            "host": self.host, "port": self.port,
            "key": str(self.ws.key("server")), "cert": str(self.ws.cert("server")),
            "ca": str(mode.client_ca or self.ws.cert("ca")) if asks else None,
            "crl": str(mode.crl) if mode.crl else None,
            "requestCert": asks,
            # Node has no "verify if given": OPTIONAL and REQUEST both let any certificate through TLS.
            "rejectUnauthorized": mode.client_auth == REQUIRE,
            "minVersion": mode.min_version, "maxVersion": mode.max_version,
            "refuse": mode.app_refusal or 0,
            "h2only": mode.h2_only, "closesOnHead": mode.closes_on_head,
        })


__all__ = ["OPTIONAL", "REQUEST", "NodeServer", "require_node"]
