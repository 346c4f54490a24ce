"""The ways a mutual-TLS listener can be set up, in words every test server understands.

A `Mode` says what the listener does about client certificates; each server helper
(tests/support/*_server.py) turns one into its own configuration. The verdict matrix
(tests/core/test_verdict_matrix.py) runs every server in every mode it can express.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# What the TLS layer does about a client certificate.
REQUIRE = "require"  # asked for, verified against the client CA, refused when missing or not verified
REQUEST = "request"  # asked for, never verified: anything (or nothing) gets through TLS
OPTIONAL = "optional"  # asked for, verified if given: a missing one gets through TLS
NONE = "none"  # never asked for: one-way TLS


@dataclass(frozen=True)
class Mode:
    client_auth: str = REQUIRE
    client_ca: Path | None = None  # None: the workspace CA
    app_refusal: int | None = None  # the HTTP status the application answers to a client without a verified certificate
    versions: tuple[str, ...] = ("TLSv1.2", "TLSv1.3")
    crl: Path | None = None  # a CRL the listener enforces
    h2_only: bool = False  # speaks HTTP/2 alone
    closes_on_head: bool = False  # hangs up on a HEAD request without answering (GET is answered)

    @property
    def min_version(self) -> str:
        return self.versions[0]

    @property
    def max_version(self) -> str:
        return self.versions[-1]
