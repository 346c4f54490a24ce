"""A real lighttpd on loopback with mod_gnutls (GnuTLS), built from a workspace and a `Mode`.

lighttpd runs in the foreground as our child (`lighttpd -D -f lighttpd.conf`) with its config,
log and document root in DIR. `/` is a CGI script, the "application": it answers
`app_refusal` when lighttpd says the client certificate did not verify (SSL_CLIENT_VERIFY).
With enforcement off (`ssl.verifyclient.enforce = "disable"`) a certificate that does not
verify gets through TLS, while GnuTLS still ends a handshake that brings no certificate at all:
what such a listener really does, and what its row in the verdict matrix expects.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.mtls_modes import NONE, REQUIRE, Mode
from support.server_process import ServerProcess, find_binary, require_binary
from wizard.workspace import Workspace

MODULES = ("mod_gnutls", "mod_cgi")


def require_lighttpd() -> str:
    """lighttpd with mod_gnutls, or skip (locally) / fail (in CI) with a clear reason."""
    binary = require_binary("lighttpd", "lighttpd lighttpd-mod-gnutls")
    if not Path("/usr/lib/lighttpd/mod_gnutls.so").exists():
        message = "lighttpd's GnuTLS module is not installed (apt-get install lighttpd-mod-gnutls)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


class LighttpdServer(ServerProcess):
    what = "lighttpd (GnuTLS)"
    config_name = "lighttpd.conf"

    def __init__(self, ws: Workspace, folder: Path, mode: Mode, host: str = "127.0.0.1") -> None:
        super().__init__(folder, host)
        self.ws, self.mode = ws, mode
        self.binary = find_binary("lighttpd") or "lighttpd"

    def prepare(self) -> None:
        www = self.folder / "www"
        www.mkdir(exist_ok=True)
        refuse = self.mode.app_refusal
        check = (f'if [ "$SSL_CLIENT_VERIFY" != SUCCESS ]; then printf "Status: {refuse}\\r\\nContent-Type: text/plain\\r\\n\\r\\n'
                 f'refused by the application\\n"; exit 0; fi\n') if refuse else ""
        (www / "index.sh").write_text(f'#!/bin/sh\n{check}printf "Content-Type: text/plain\\r\\n\\r\\nhello $SSL_CLIENT_S_DN\\n"\n')

    def command(self) -> list[str]:
        return [self.binary, "-D", "-f", str(self.config_path)]

    def config(self) -> str:
        mode = self.mode
        if mode.h2_only:
            raise ValueError("lighttpd cannot speak HTTP/2 alone")
        lines = [
            f"server.modules = ({', '.join(repr(m).replace(chr(39), chr(34)) for m in MODULES)})",
            f'server.bind = "{self.host}"', f"server.port = {self.port}",
            f'server.document-root = "{self.folder / "www"}"', f'server.errorlog = "{self.folder / self.log_name}"',
            'index-file.names = ("index.sh")', 'cgi.assign = (".sh" => "/bin/sh")',
            'ssl.engine = "enable"', f'ssl.pemfile = "{self.ws.cert("server")}"', f'ssl.privkey = "{self.ws.key("server")}"',
            f'ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "{mode.min_version}", "MaxProtocol" => "{mode.max_version}")',
        ]
        if mode.client_auth != NONE:
            lines += [
                f'ssl.ca-file = "{mode.client_ca or self.ws.cert("ca")}"', 'ssl.verifyclient.activate = "enable"',
                f'ssl.verifyclient.enforce = "{"enable" if mode.client_auth == REQUIRE else "disable"}"', "ssl.verifyclient.depth = 2",
            ]
        if mode.crl:
            lines.append(f'ssl.verifyclient.ca-crl-file = "{mode.crl}"')
        return "\n".join(lines) + "\n"
