"""Who signs: the CA key on this machine, or a private CA held in CCM, behind one interface.

A workspace records which (ca/issuer.json for a CCM CA, wizard.ccm.record; nothing for a CA
key here). Both issuers take the same `LeafRequest` and give back an `IssuedLeaf`: the key, the
CSR when there is one, the certificate and a reference to record. The CCM one lives in
wizard.ccm.issuer; `wizard.ccm.dispatch.issuer_for(ws)` chooses by the workspace.

This is the seam later work uses (renewals and CA rotation with a CCM CA, the TUI's steps
2-3): they describe the certificate once and let the workspace's issuer sign it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from cryptography import x509

from wizard import pki
from wizard.ccm.record import leaf_label


@dataclass(frozen=True)
class LeafRequest:
    """One server or client certificate, as the wizard's profile describes it."""

    role: str  # "server" or "client"
    common_name: str
    org: str
    days: int
    key_type: str
    name: str = ""  # a client's name (the tutorial's client is "client")
    sans: tuple[str, ...] = ()  # the server's extra names (the CN is always a SAN too)

    @property
    def label(self) -> str:
        return leaf_label(self.role, self.name or self.common_name)

    @property
    def all_sans(self) -> list[str]:
        """The server's names as they go into the SAN extension (CN first), none for a client."""
        return pki.server_sans(self.common_name, self.sans) if self.role == "server" else []


@dataclass
class IssuedLeaf:
    key: pki.PrivateKey
    csr: x509.CertificateSigningRequest | None  # None when the issuer made the key (no CSR was ever made)
    cert: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)  # the issuing CA up to the root
    reference: dict[str, str] = field(default_factory=dict)  # what the issuer records about it


class Issuer(Protocol):
    kind: str  # "local" or "ccm"

    def ca_certificate(self) -> x509.Certificate: ...

    def sign_leaf(self, request: LeafRequest, key: pki.PrivateKey | None = None) -> IssuedLeaf: ...

    def settle(self, request: LeafRequest, leaf: IssuedLeaf) -> None:
        """Called once the leaf's files are in place (the CCM issuer records the certificate id then)."""


class LocalIssuer:
    """The CA key on this machine (ca/ca.key), with the profile of wizard.pki.issue."""

    kind = "local"

    def __init__(self, ca_key: pki.PrivateKey, ca_cert: x509.Certificate) -> None:
        self.ca_key, self.ca_cert = ca_key, ca_cert

    def ca_certificate(self) -> x509.Certificate:
        return self.ca_cert

    def sign_leaf(self, request: LeafRequest, key: pki.PrivateKey | None = None) -> IssuedLeaf:
        key = key or pki.generate_key(request.key_type)
        if request.role == "server":
            issued = pki.issue_server(self.ca_key, self.ca_cert, key, cn=request.common_name, sans=request.sans, org=request.org, days=request.days)
        else:
            issued = pki.issue_client(self.ca_key, self.ca_cert, key, cn=request.common_name, org=request.org, days=request.days)
        return IssuedLeaf(issued.key, issued.csr, issued.cert, [], {"issuer": self.kind})

    def settle(self, request: LeafRequest, leaf: IssuedLeaf) -> None:
        return None
