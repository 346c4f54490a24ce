"""Will the load balancer accept this certificate (and key)? One finding per check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from wizard.pki.certificates import (
    extended_key_usages, is_ca, san_strings, signature_hash_name, utc_now, verify_issued_by,
)
from wizard.pki.keys import key_type_of, public_keys_equal

# ELB API limits, in characters of PEM text.
ELB_MAX_CERT_CHARS = 65536
ELB_MAX_KEY_CHARS = 8192

Severity = Literal["ok", "warning", "error"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    check: str
    message: str
    fix: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity == "error"


def elb_readiness(
    cert_text: str,
    key_text: str | None = None,
    *,
    purpose: Literal["server", "ca"] = "server",
    now: dt.datetime | None = None,
) -> list[Finding]:
    """Will the load balancer accept this certificate (and key)? One finding per check.

    `purpose="server"` is the server certificate with its key (step 4); `"ca"` is the CA
    certificate that verifies clients (step 5, certificate only).
    """
    now = now or utc_now()
    findings: list[Finding] = []

    def add(severity: Severity, check: str, message: str, fix: str = "") -> None:
        findings.append(Finding(severity, check, message, fix))

    if "-----BEGIN CERTIFICATE-----" not in cert_text:
        add("error", "pem", "the certificate is not PEM text", "convert it: openssl x509 -inform der -in cert.der -out cert.pem")
        return findings
    try:
        chain = x509.load_pem_x509_certificates(cert_text.encode())
    except ValueError:
        add("error", "pem", "the certificate PEM text is damaged", "copy the whole file again, BEGIN and END lines included")
        return findings
    add("ok", "pem", f"PEM certificate ({len(chain)} in the chain)")

    size = len(cert_text.rstrip("\n"))
    if size > ELB_MAX_CERT_CHARS:
        add("error", "size", f"the certificate text is {size} characters; the limit is {ELB_MAX_CERT_CHARS}", "remove certificates the chain does not need")
    else:
        add("ok", "size", f"certificate text {size} of {ELB_MAX_CERT_CHARS} characters")

    leaf = chain[0]
    if leaf.not_valid_before_utc > now:
        add("error", "validity", f"not valid until {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC", "check the clock of the machine that issued it, or wait")
    elif leaf.not_valid_after_utc <= now:
        add("error", "validity", f"expired on {leaf.not_valid_after_utc:%Y-%m-%d}", "issue a new certificate")
    elif leaf.not_valid_after_utc - now < dt.timedelta(days=30):
        add("warning", "validity", f"expires soon, on {leaf.not_valid_after_utc:%Y-%m-%d}", "issue a new certificate before then")
    else:
        add("ok", "validity", f"valid until {leaf.not_valid_after_utc:%Y-%m-%d}")

    weak = [signature_hash_name(c) for c in chain if signature_hash_name(c) in ("SHA-1", "MD5")]
    if weak:
        add("error", "signature", f"signed with {weak[0]}, which clients refuse", "re-issue with SHA-256 (this wizard does)")
    else:
        add("ok", "signature", f"signed with {signature_hash_name(leaf)}")

    order_ok = all(verify_issued_by(chain[i], chain[i + 1]) for i in range(len(chain) - 1))
    if not order_ok:
        add("error", "chain", "the chain is out of order", "put the certificates in order: leaf first, then intermediates, root last")
    elif len(chain) > 1:
        add("ok", "chain", "chain order leaf → root")

    if purpose == "ca":
        if is_ca(leaf):
            add("ok", "ca", "is a CA certificate")
        else:
            add("error", "ca", "this is not a CA certificate", "upload the CA certificate (ca/ca.crt), not a server or client certificate")
        if key_text:
            add("error", "key", "a CA certificate is uploaded without its private key", "leave the private key out")
        return findings

    if is_ca(leaf):
        add("warning", "purpose", "this is a CA certificate, not a server certificate", "upload server/server.crt here")
    eku = extended_key_usages(leaf)
    if eku and "serverAuth" not in eku:
        add("error", "purpose", "the certificate is not for TLS servers (no serverAuth usage)", "upload the server certificate, not the client one")
    if not san_strings(leaf):
        add("warning", "san", "no Subject Alternative Name: browsers and curl ignore the CN", "re-issue with a SAN (this wizard does)")

    if key_text is None:
        add("error", "key", "the private key is missing", "give the server key (server/server.key)")
        return findings
    if "ENCRYPTED" in key_text:
        add("error", "key", "the private key is encrypted; the load balancer needs it unencrypted", "decrypt it: openssl pkey -in server.key -out server-plain.key")
        return findings
    if "PRIVATE KEY-----" not in key_text:
        add("error", "key", "the private key is not PEM text", "convert it: openssl pkey -inform der -in key.der -out key.pem")
        return findings
    key_size = len(key_text.rstrip("\n"))
    if key_size > ELB_MAX_KEY_CHARS:
        add("error", "key", f"the private key text is {key_size} characters; the limit is {ELB_MAX_KEY_CHARS}", "use an RSA key of at most 4096 bits or an ECDSA key")
    try:
        key = serialization.load_pem_private_key(key_text.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        add("error", "key", "the private key PEM text is damaged", "copy the whole key file again, BEGIN and END lines included")
        return findings
    if public_keys_equal(key.public_key(), leaf.public_key()):
        add("ok", "key", f"unencrypted {key_type_of(key)} key that matches the certificate")
    else:
        add("error", "key", "the private key does not belong to this certificate", "pick the key generated with this certificate (server/server.key)")
    return findings

