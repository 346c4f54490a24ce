"""Where API calls go: the region, the project and the endpoint, checked before anything is sent.

An `http://` endpoint carries the server's private key in cleartext, so it is taken only on
this machine's loopback (127.0.0.0/8, ::1, `localhost`: a local test server); `https://`
endpoints are taken anywhere.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from wizard.errors import InputError
from wizard.i18n import _


@dataclass(frozen=True)
class ApiTarget:
    region: str
    project_id: str
    endpoint: str  # "" = the region's public endpoint

    def matches(self, record: dict[str, str]) -> bool:
        return (record.get("project_id"), record.get("region"), record.get("endpoint", "")) == (self.project_id, self.region, self.endpoint)

    def describe(self) -> str:
        return self.endpoint or _("the {region} endpoint").format(region=self.region)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_endpoint(endpoint: str) -> str:
    """`https://HOST[:PORT]` (or `http://` on loopback only), normalised; InputError otherwise."""
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(_("--endpoint {endpoint!r} is not a URL: give it as https://HOST[:PORT] (http:// only for local "
                           "tests)").format(endpoint=endpoint))
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise InputError(_("--endpoint {endpoint!r} has a bad port number: give https://HOST[:PORT]").format(endpoint=endpoint)) from None
    if parts.path.strip("/") or parts.query:
        raise InputError(_("--endpoint {endpoint!r} has a path; give only https://HOST[:PORT], the API paths are added").format(
            endpoint=endpoint))
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InputError(_("--endpoint {endpoint!r} is plain http on another machine: the server's private key would travel "
                           "unencrypted; use https:// (http:// is taken only on 127.0.0.1, ::1 or localhost)").format(endpoint=endpoint))
    return f"{parts.scheme}://{parts.netloc}"
