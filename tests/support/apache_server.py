"""A real Apache httpd (mod_ssl) on loopback, built from a workspace.

httpd runs in the foreground as our child (`apache2 -d DIR -f httpd.conf -DFOREGROUND`) with its
config, pid file and log in DIR, on a free port; nothing of the system's Apache set-up is used.
Client authentication is server-wide (`SSLVerifyClient` in the virtual host: asked for during
the handshake) or per location (`<Location "/"> SSLVerifyClient`: asked for after the request
arrived, by TLS 1.3 post-handshake auth or a TLS 1.2 renegotiation). `/` answers 200 from
mod_status, so the children (which drop root privileges) read no file.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from support.server_process import ServerProcess, find_binary, require_binary
from wizard.workspace import Workspace

MODULES = "/usr/lib/apache2/modules"
# The one rule of the "optional + 403" set-up: only clients whose certificate verified get in.
REQUIRE_VERIFIED = "Require expr \"%{SSL_CLIENT_VERIFY} == 'SUCCESS'\""


def apache_binary() -> str | None:
    return find_binary("apache2") or find_binary("httpd")


def require_apache() -> str:
    """The httpd binary, or skip (locally) / fail (in CI) with a clear reason."""
    return require_binary("apache2", "apache2")


class ApacheServer(ServerProcess):
    """httpd with `SSLVerifyClient verify` (require / optional / optional_no_ca / none) server-wide or in
    <Location "/">, trusting `client_ca` (the workspace CA by default), with the CRL `crl` when given;
    `location_rules` go into <Location "/"> (mod_rewrite is loaded for an application's refusal)."""

    what = "Apache httpd"
    config_name = "httpd.conf"

    def __init__(
        self,
        ws: Workspace,
        folder: Path,
        *,
        verify: str = "require",
        per_location: bool = False,
        protocols: str = "TLSv1.2 TLSv1.3",
        location_rules: str = "",
        host: str = "127.0.0.1",
        client_ca: Path | None = None,
        crl: Path | None = None,
    ) -> None:
        super().__init__(folder, host)
        self.ws, self.verify, self.per_location = ws, verify, per_location
        self.protocols, self.location_rules = protocols, location_rules
        self.client_ca, self.crl = client_ca or ws.cert("ca"), crl
        self.binary = apache_binary() or "apache2"

    def command(self) -> list[str]:
        return [self.binary, "-d", str(self.folder), "-f", str(self.config_path), "-DFOREGROUND"]

    def _privileges(self) -> str:
        if os.geteuid() != 0:
            return ""  # httpd keeps running as us
        nobody = pwd.getpwnam("nobody")
        return f"User nobody\nGroup #{nobody.pw_gid}\n"

    def config(self) -> str:
        folder = self.folder
        verify = f"SSLVerifyClient {self.verify}\n" if self.verify != "none" else ""
        protocols = "-all " + " ".join(f"+{p}" for p in self.protocols.split())
        modules = "".join(f"LoadModule {name}_module {MODULES}/mod_{name}.so\n" for name in ("mpm_event", "authz_core", "status", "ssl", "rewrite"))
        revocation = f"  SSLCARevocationFile {self.crl}\n  SSLCARevocationCheck leaf\n" if self.crl else ""
        return (
            f"ServerRoot {folder}\nDefaultRuntimeDir {folder}\nPidFile {folder / 'httpd.pid'}\n"
            f"ErrorLog {folder / self.log_name}\nLogLevel warn\nServerName localhost\n"
            f"{modules}{self._privileges()}"
            "StartServers 1\nServerLimit 1\nThreadsPerChild 16\nMaxRequestWorkers 16\n"
            "SSLSessionCache none\n"
            f"Listen {self.address} https\n"
            f"<VirtualHost {self.address}>\n"
            "  SSLEngine on\n"
            f"  SSLCertificateFile {self.ws.cert('server')}\n"
            f"  SSLCertificateKeyFile {self.ws.key('server')}\n"
            f"  SSLCACertificateFile {self.client_ca}\n{revocation}"
            f"  SSLProtocol {protocols}\n"
            f"  {'' if self.per_location else verify}"
            '  <Location "/">\n'
            f"    {verify if self.per_location else ''}"
            "    SetHandler server-status\n"
            f"    {self.location_rules}\n"
            "  </Location>\n"
            "</VirtualHost>\n"
        )
