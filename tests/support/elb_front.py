"""A front that does what an ELB mutual-authentication HTTPS listener does for its backends: a real
nginx that verifies the client certificate against the workspace CA (a client without one, or with
another CA's, is refused), then proxies to a backend and adds the client certificate's details as
X-Forwarded-Clientcert-* request headers, under their aliases where step 6 set one.

The header value formats: Huawei Cloud's ELB documentation (the "Configuring Additional HTTP Header
Fields" user guide page and the v3 API's `ListenerInsertHeaders`, e.g. huaweicloudsdkelb
v3/model/listener_insert_headers.py) names each header and says what it carries (serial number,
fingerprint, verification result, subject, issuer, expiry, the PEM) but not its exact format. ELB's
layer 7 runs on nginx (its FAQ "How does ELB distribute traffic for different protocols?"), so this
front forwards nginx's own `$ssl_client_*` variables, as wizard.elb.headers models them:
upper-case hex serial (whole bytes), SHA-1 fingerprint in lower-case hex, SUCCESS, RFC 2253
subject and issuer. The later practice load balancer can be compared against it.

A header the listener forwards is always set by the front (`proxy_set_header` replaces whatever the
client sent under that name), so a client cannot smuggle its own value through; `keeps_client_headers`
makes the deliberately broken front that passes a client's own header on instead. The front reaches
the backend from 127.0.0.2 (`proxy_bind`), standing in for the load balancer's addresses; a direct
request from 127.0.0.1 is "from elsewhere".
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from support.server_process import ServerProcess, find_binary

from wizard.elb.headers import FORWARDABLE_FIELDS, validate_forward_fields
from wizard.workspace import Workspace

LB_ADDRESS = "127.0.0.2"  # where the front's requests to the backend come from
# field -> nginx's variable for it (the front's value formats)
NGINX_VALUES = {
    "cert": "$ssl_client_escaped_cert",
    "subjectdn": "$ssl_client_s_dn",
    "issuerdn": "$ssl_client_i_dn",
    "fingerprint": "$ssl_client_fingerprint",
    "serialnumber": "$ssl_client_serial",
    "clientverify": "$ssl_client_verify",
    "end": "$ssl_client_v_end",
    "ciphers": "$ssl_ciphers",
}


class ElbFront(ServerProcess):
    """nginx with `ssl_verify_client on`, forwarding `fields` ("NAME[=alias]") to `backend` (host:port).
    With `keeps_client_headers` a header the client sent itself is passed on as it came (the broken
    front a backend must not trust), and the certificate's value only fills in where it sent none."""

    what = "nginx (ELB-like front)"
    config_name = "front.conf"

    def __init__(self, ws: Workspace, folder: Path, backend: str, fields: Iterable[str], keeps_client_headers: bool = False) -> None:
        super().__init__(folder)
        self.ws, self.backend = ws, backend
        self.fields = validate_forward_fields(fields)
        self.keeps_client_headers = keeps_client_headers
        self.binary = find_binary("nginx") or "nginx"

    def prepare(self) -> None:
        (self.folder / "tmp").mkdir(exist_ok=True)

    def command(self) -> list[str]:
        return [self.binary, "-p", str(self.folder), "-e", str(self.folder / "error.log"), "-c", str(self.config_path), "-g", "daemon off;"]

    def _headers(self) -> list[tuple[str, str]]:
        """(field, header name) of each forwarded field."""
        return [(field, alias or FORWARDABLE_FIELDS[field][0]) for field, _sep, alias in (item.partition("=") for item in self.fields)]

    def forwarded(self) -> str:
        values = {field: f"$front_{field}" if self.keeps_client_headers else NGINX_VALUES[field] for field, _header in self._headers()}
        return "".join(f"      proxy_set_header {header} {values[field]};\n" for field, header in self._headers())

    def client_header_maps(self) -> str:
        """For the broken front: the client's own header where it sent one, else the certificate's value."""
        if not self.keeps_client_headers:
            return ""
        return "".join(f'  map $http_{header.lower().replace("-", "_")} $front_{field} {{ "" {NGINX_VALUES[field]}; default $http_{header.lower().replace("-", "_")}; }}\n'
                       for field, header in self._headers())

    def config(self) -> str:
        folder, temp = self.folder, self.folder / "tmp"
        return (
            "master_process off;\n"
            f"error_log {folder / 'error.log'} warn;\npid {folder / 'nginx.pid'};\n"
            "events { worker_connections 128; }\n"
            "http {\n  access_log off;\n"
            f"  client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fastcgi;\n"
            f"  uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;\n"
            f"{self.client_header_maps()}"
            "  server {\n"
            f"    listen {self.address} ssl;\n"
            f"    ssl_certificate {self.ws.cert('server')};\n    ssl_certificate_key {self.ws.key('server')};\n"
            f"    ssl_client_certificate {self.ws.cert('ca')};\n    ssl_verify_client on;\n"
            "    keepalive_requests 1000;\n"
            "    location / {\n"
            f"      proxy_pass http://{self.backend};\n"
            f"      proxy_bind {LB_ADDRESS};\n"
            f"{self.forwarded()}"
            "    }\n  }\n}\n"
        )
