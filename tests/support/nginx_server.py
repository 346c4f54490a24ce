"""A real nginx on loopback, built from a workspace: mTLS on, off or optional, for tests and the benchmark.

nginx runs in the foreground as a child process (`nginx -p DIR -c nginx.conf -g 'daemon off;'`)
with its config, logs and temp folders in DIR, on 127.0.0.1 (or ::1) and a free port.
"""

from __future__ import annotations

from pathlib import Path

from support.server_process import ServerProcess, find_binary, free_port, require_binary
from wizard.workspace import Workspace

__all__ = ["NginxServer", "free_port", "nginx_binary", "require_nginx"]


def nginx_binary() -> str | None:
    return find_binary("nginx", "/usr/local/nginx/sbin/nginx")


def require_nginx() -> str:
    """The nginx binary, or skip (locally) / fail (in CI) with a clear reason."""
    return require_binary("nginx", "nginx", "/usr/local/nginx/sbin/nginx")


class NginxServer(ServerProcess):
    """nginx serving HTTPS from `ws` with `ssl_verify_client` on / off / optional / optional_no_ca.

    `location` is the body of `location /`; `server_extra` goes into the server block (e.g. an
    `if` that answers 403 to clients whose certificate did not verify).
    """

    what = "nginx"
    config_name = "nginx.conf"

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
        server_extra: str = "",
        cert_files: tuple[Path, Path] | None = None,
        binary: str | None = None,
    ) -> None:
        super().__init__(folder, host)
        self.ws = ws
        self.verify_client, self.client_ca, self.protocols = verify_client, client_ca, protocols
        self.location, self.server_extra = location, server_extra
        self.cert_files = cert_files or (ws.cert("server"), ws.key("server"))
        self.binary = binary or nginx_binary() or "nginx"

    def prepare(self) -> None:
        (self.folder / "tmp").mkdir(exist_ok=True)

    def command(self) -> list[str]:
        folder = str(self.folder)
        return [self.binary, "-p", folder, "-e", str(self.folder / "error.log"), "-c", str(self.config_path), "-g", "daemon off;"]

    def config(self) -> str:
        folder = self.folder
        client_auth = ""
        if self.verify_client != "off":
            client_auth = (
                f"    ssl_client_certificate {self.client_ca or self.ws.cert('ca')};\n"
                f"    ssl_verify_client {self.verify_client};\n"
            )
        temp = folder / "tmp"
        cert, key = self.cert_files
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
            f"    listen {self.address} ssl;\n"
            f"    ssl_certificate {cert};\n"
            f"    ssl_certificate_key {key};\n"
            f"    ssl_protocols {self.protocols};\n"
            f"{client_auth}"
            f"{self.server_extra}"
            f"    location / {{ {self.location} }}\n"
            "  }\n"
            "}\n"
        )
