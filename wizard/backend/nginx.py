"""The nginx kit: exactly two files.

- `http.conf`, included in the `http {}` block: the load balancer's addresses (a `geo`), the
  deny-list (a `map` per identity header, every spelling of each revoked serial or fingerprint as
  a key: nginx compares map strings without regard to case) and the verdict (`$mtls_wizard_refusal`).
  `client revoke` rewrites this file only.
- `server.conf`, included in the backend's `server {}` block: a server-level `if` that answers the
  refusal before any location is chosen, and the echo location.

The source address is `$realip_remote_addr`: the connection's own peer, even where the realip module
rewrites `$remote_addr` from X-Forwarded-For.
"""

from __future__ import annotations

from wizard.backend.denylist import (
    DenyList,
    all_fingerprint_spellings,
    all_serial_spellings,
)
from wizard.backend.echo import ECHO_MAGIC, ECHO_PATH, echo_headers
from wizard.backend.refusals import (
    FORGED,
    MARKER,
    REVOKED,
    UNVERIFIED,
    banner,
    commented,
)
from wizard.backend.spec import KitSpec
from wizard.i18n import N_

HTTP_CONF = "http.conf"
SERVER_CONF = "server.conf"
RELOAD = "nginx -s reload"
TEST = "nginx -t"
WHERE = N_("include http.conf in the http {} block and server.conf in the server {} block that receives the load balancer's traffic")  # shown with _()
MIN_HASH_SIZE = 2048
BUCKET_SIZE = 128  # room for the longest key: a SHA-256 fingerprint with colons (95 characters)


def variable(header: str) -> str:
    """nginx's variable for a request header."""
    return "$http_" + header.lower().replace("-", "_")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _hash_size(keys: int) -> int:
    size = MIN_HASH_SIZE
    while size < 2 * keys:
        size *= 2
    return size


def _deny_map(header: str | None, name: str, keys: list[str]) -> str:
    if header is None:
        return f"map \"\" ${name} {{ default 0; }}\n"  # not forwarded: never matches
    body = "".join(f"    {_quoted(key)} 1;\n" for key in keys)
    return f"map {variable(header)} ${name} {{\n    default 0;\n{body}}}\n"


def _verified_map(spec: KitSpec) -> str:
    """1 when the listener says it verified a client (clientverify SUCCESS) and sent who it is."""
    parts = [(field, spec.header(field)) for field in ("clientverify", "serialnumber", "fingerprint")]
    present = [(field, header) for field, header in parts if header]
    source = "|".join(variable(header) for _field, header in present)
    pattern = r"\|".join("SUCCESS" if field == "clientverify" else "[^|]+" for field, _header in present)
    return f"map \"{source}\" $mtls_wizard_verified {{\n    default 0;\n    \"~^{pattern}$\" 1;\n}}\n"


def http_conf(spec: KitSpec, deny: DenyList) -> str:
    serials = all_serial_spellings(deny) if spec.header("serialnumber") else []
    fingerprints = all_fingerprint_spellings(deny) if spec.header("fingerprint") else []
    sources = "".join(f"    {source} 1;\n" for source in spec.lb_sources)
    any_header = "".join(variable(header) for header in spec.cert_headers())
    return (
        commented([*banner(spec, f"include it in the http {{}} block ({len(deny.serials)} revoked certificates)"),
                   "It sets map_hash_max_size and map_hash_bucket_size for the deny-list: set them nowhere else."])
        + f"map_hash_max_size {_hash_size(max(len(serials), len(fingerprints)))};\n"
        + f"map_hash_bucket_size {BUCKET_SIZE};\n\n"
        + "# The load balancer's addresses: the only sources whose client-certificate headers are believed.\n"
        + f"geo $realip_remote_addr $mtls_wizard_from_lb {{\n    default 0;\n{sources}}}\n\n"
        + "# 1 when the request carries any client-certificate header at all.\n"
        + f"map \"{any_header}\" $mtls_wizard_cert_headers {{\n    default 1;\n    \"\" 0;\n}}\n\n"
        + _verified_map(spec) + "\n"
        + "# The deny-list: every spelling of each revoked serial number and fingerprint.\n"
        + _deny_map(spec.header("serialnumber"), "mtls_wizard_revoked_serial", serials)
        + _deny_map(spec.header("fingerprint"), "mtls_wizard_revoked_fingerprint", fingerprints) + "\n"
        + "# The verdict: empty lets the request through; anything else is the 403's body.\n"
        + "map \"$mtls_wizard_from_lb$mtls_wizard_cert_headers$mtls_wizard_verified"
          "$mtls_wizard_revoked_serial$mtls_wizard_revoked_fingerprint\" $mtls_wizard_refusal {\n"
        + f"    default \"\";\n    \"~^01\" {_quoted(FORGED)};\n    \"~^00\" {_quoted(UNVERIFIED)};\n"
        + f"    \"~^1.0\" {_quoted(UNVERIFIED)};\n    \"~^1.1(1.|.1)\" {_quoted(REVOKED)};\n}}\n"
    )


def server_conf(spec: KitSpec) -> str:
    headers = echo_headers(spec)
    lines = [ECHO_MAGIC, "server: nginx", "source: $remote_addr", *(f"{header}: {variable(header)}" for header in headers)]
    underscores = "underscores_in_headers on;  # a header alias holds '_'\n" if any("_" in h for h in spec.cert_headers()) else ""
    return (
        commented(banner(spec, "include it in the server {} block that receives the load balancer's traffic"))
        + underscores
        + "# Refused before any location is chosen: forged, unverified or revoked.\n"
        + "if ($mtls_wizard_refusal) {\n    return 403 \"$mtls_wizard_refusal\\n\";\n}\n\n"
        + "# What the backend received, for `mtls-wizard check --backend-echo` (the load balancer's addresses only).\n"
        + f"location = {ECHO_PATH} {{\n    default_type text/plain;\n"
        + "    return 200 \"" + "\\n".join(lines) + "\\n\";\n}\n"  # header names hold no quote or backslash
    )


def kit_files(spec: KitSpec, deny: DenyList) -> dict[str, str]:
    return {HTTP_CONF: http_conf(spec, deny), SERVER_CONF: server_conf(spec)}


def deny_list_files(spec: KitSpec, deny: DenyList) -> dict[str, str]:
    """What a new revocation changes: http.conf alone."""
    return {HTTP_CONF: http_conf(spec, deny)}


def include_lines(spec: KitSpec) -> list[str]:
    return [
        "http {",
        f"    include {spec.out / HTTP_CONF};",
        "    server {",
        f"        include {spec.out / SERVER_CONF};",
        "        ...",
        "    }",
        "}",
    ]


__all__ = ["MARKER", "RELOAD", "TEST", "WHERE", "deny_list_files", "include_lines", "kit_files"]
