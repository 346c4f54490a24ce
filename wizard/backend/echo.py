"""The kit's echo location: what the backend received, for `check --backend-echo` to read.

GET /.well-known/mtls-wizard/echo, answered only to the load balancer's addresses and only after
the kit's own checks (a forged, unverified or revoked request gets the kit's 403 there too), is
plain text (text/plain), one line each:

    mtls-wizard-echo 1
    server: nginx
    source: 100.125.3.7
    x-forwarded-clientcert-serialnumber: 0A1B...
    x-forwarded-clientcert-clientverify: SUCCESS

The first line names the format and its version. `server:` is the kit's web server, `source:` the
address the request came from as the backend saw it. Then one line per client-certificate header
the kit reads (the fields step 6 forwards, under their names or aliases, in lower case), with the
value as received: empty when the header was absent. HTTP header values hold no line break, so a
line is split at its first ": "; no server can escape JSON in a static answer, which is why this
is not JSON.
"""

from __future__ import annotations

from wizard.backend.spec import KitSpec

ECHO_PATH = "/.well-known/mtls-wizard/echo"
ECHO_MAGIC = "mtls-wizard-echo 1"
SERVER_LINE = "server"
SOURCE_LINE = "source"


def echo_headers(spec: KitSpec) -> list[str]:
    """The headers the echo answers with, in the order of its lines (lower case)."""
    return list(spec.headers().values())


def parse_echo(text: str) -> dict[str, str] | None:
    """The echo's lines as {name: value} (`server`, `source` and each header), or None when the
    text is not an echo of this format (another page, an error, a newer version)."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != ECHO_MAGIC:
        return None
    found: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, separator, value = line.partition(":")
        if not separator:
            return None
        found[name.strip().lower()] = value.removeprefix(" ")
    return found
