"""What every kit answers, whatever the web server: the three refusals (HTTP 403 with a short
body, fixed English text that scripts and `check --backend-echo` match) and the kit files' header.
"""

from __future__ import annotations

from wizard.backend.spec import KitSpec

STATUS = 403
FORGED = "forged client certificate header"  # client-certificate headers from elsewhere than the load balancer
UNVERIFIED = "no verified client certificate"  # no verified-client header: the listener lost mutual authentication
REVOKED = "revoked client certificate"  # the forwarded serial or fingerprint is on the deny-list
REFUSALS = (FORGED, UNVERIFIED, REVOKED)
MARKER = "mtls-wizard backend kit"  # the first line of every kit file: only such files are ever replaced


def banner(spec: KitSpec, what: str) -> list[str]:
    """The comment lines that open a kit file (without the comment sign)."""
    return [
        f"{MARKER} for {spec.server}: {what}",
        "Written by `mtls-wizard backend`; `mtls-wizard client revoke` rewrites the deny-list. Do not edit:",
        "run `mtls-wizard backend` again instead.",
        f"Client-certificate headers are believed only from: {', '.join(spec.lb_sources)}",
    ]


def commented(lines: list[str], sign: str = "#") -> str:
    return "".join(f"{sign} {line}\n" for line in lines)
