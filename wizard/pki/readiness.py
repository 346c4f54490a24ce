"""Will the load balancer accept this certificate (and key)? One finding per check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from wizard.pki.certificates import (
    extended_key_usages, is_ca, san_strings, signature_hash_name, utc_now, verify_issued_by,
)
from wizard.pki.keys import key_type_of, parse_private_key, public_keys_equal

# ELB API limits (API page "Creating a Certificate", CreateCertificateOption): PEM characters,
# and at most 11 certificates in a chain. The SDK 3.1.219 model's docstring says 20,000 characters
# for the certificate; the API page (2025) says 65,536, which we follow.
ELB_MAX_CERT_CHARS = 65536
ELB_MAX_KEY_CHARS = 8192
ELB_MAX_CHAIN = 11

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
    findings, chain = _certificate_text(cert_text)
    if not chain:
        return findings
    findings += _validity(chain[0], now or utc_now())
    findings += _signatures_and_order(chain)
    if purpose == "ca":
        return findings + _as_client_ca(chain[0], key_text)
    return findings + _as_server_certificate(chain[0]) + _server_key(chain[0], key_text)


def _certificate_text(cert_text: str) -> tuple[list[Finding], list[x509.Certificate]]:
    if "-----BEGIN CERTIFICATE-----" not in cert_text:
        return [Finding("error", "pem", "the certificate is not PEM text", "convert it: openssl x509 -inform der -in cert.der -out cert.pem")], []
    try:
        chain = x509.load_pem_x509_certificates(cert_text.encode())
    except ValueError:
        return [Finding("error", "pem", "the certificate PEM text is damaged", "copy the whole file again, BEGIN and END lines included")], []
    findings = [Finding("ok", "pem", f"PEM certificate ({len(chain)} in the chain)")]
    if len(chain) > ELB_MAX_CHAIN:
        findings.append(Finding("error", "chain", f"the chain has {len(chain)} certificates; ELB takes at most {ELB_MAX_CHAIN}", "keep the leaf and the intermediates it needs, leave the root out"))
    size = len(cert_text.rstrip("\n"))
    if size > ELB_MAX_CERT_CHARS:
        findings.append(Finding("error", "size", f"the certificate text is {size} characters; the limit is {ELB_MAX_CERT_CHARS}", "remove certificates the chain does not need"))
    else:
        findings.append(Finding("ok", "size", f"certificate text {size} of {ELB_MAX_CERT_CHARS} characters"))
    return findings, chain


def _validity(leaf: x509.Certificate, now: dt.datetime) -> list[Finding]:
    if leaf.not_valid_before_utc > now:
        return [Finding("error", "validity", f"not valid until {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC", "check the clock of the machine that issued it, or wait")]
    if leaf.not_valid_after_utc <= now:
        return [Finding("error", "validity", f"expired on {leaf.not_valid_after_utc:%Y-%m-%d}", "issue a new certificate")]
    if leaf.not_valid_after_utc - now < dt.timedelta(days=30):
        return [Finding("warning", "validity", f"expires soon, on {leaf.not_valid_after_utc:%Y-%m-%d}", "issue a new certificate before then")]
    return [Finding("ok", "validity", f"valid until {leaf.not_valid_after_utc:%Y-%m-%d}")]


def _signatures_and_order(chain: list[x509.Certificate]) -> list[Finding]:
    findings = []
    weak = [signature_hash_name(c) for c in chain if signature_hash_name(c) in ("SHA-1", "MD5")]
    if weak:
        findings.append(Finding("error", "signature", f"signed with {weak[0]}, which clients refuse", "re-issue with SHA-256 (this wizard does)"))
    else:
        findings.append(Finding("ok", "signature", f"signed with {signature_hash_name(chain[0])}"))
    if not all(verify_issued_by(chain[i], chain[i + 1]) for i in range(len(chain) - 1)):
        findings.append(Finding("error", "chain", "the chain is out of order", "put the certificates in order: leaf first, then intermediates, root last"))
    elif len(chain) > 1:
        findings.append(Finding("ok", "chain", "chain order leaf → root"))
    return findings


def _as_client_ca(leaf: x509.Certificate, key_text: str | None) -> list[Finding]:
    if is_ca(leaf):
        findings = [Finding("ok", "ca", "is a CA certificate")]
    else:
        findings = [Finding("error", "ca", "this is not a CA certificate", "upload the CA certificate (ca/ca.crt), not a server or client certificate")]
    if key_text:
        findings.append(Finding("error", "key", "a CA certificate is uploaded without its private key", "leave the private key out"))
    return findings


def _as_server_certificate(leaf: x509.Certificate) -> list[Finding]:
    findings = []
    if is_ca(leaf):
        findings.append(Finding("warning", "purpose", "this is a CA certificate, not a server certificate", "upload server/server.crt here"))
    eku = extended_key_usages(leaf)
    if eku and "serverAuth" not in eku:
        findings.append(Finding("error", "purpose", "the certificate is not for TLS servers (no serverAuth usage)", "upload the server certificate, not the client one"))
    if not san_strings(leaf):
        findings.append(Finding("warning", "san", "no Subject Alternative Name: browsers and curl ignore the CN", "re-issue with a SAN (this wizard does)"))
    return findings


def _server_key(leaf: x509.Certificate, key_text: str | None) -> list[Finding]:
    if key_text is None:
        return [Finding("error", "key", "the private key is missing", "give the server key (server/server.key)")]
    if "ENCRYPTED" in key_text:
        return [Finding("error", "key", "the private key is encrypted; the load balancer needs it unencrypted", "decrypt it: openssl pkey -in server.key -out server-plain.key")]
    if "PRIVATE KEY-----" not in key_text:
        return [Finding("error", "key", "the private key is not PEM text", "convert it: openssl pkey -inform der -in key.der -out key.pem")]
    findings = []
    key_size = len(key_text.rstrip("\n"))
    if key_size > ELB_MAX_KEY_CHARS:
        findings.append(Finding("error", "key", f"the private key text is {key_size} characters; the limit is {ELB_MAX_KEY_CHARS}", "use an RSA key of at most 4096 bits or an ECDSA key"))
    try:
        key = parse_private_key(key_text.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return [*findings, Finding("error", "key", "the private key PEM text is damaged", "copy the whole key file again, BEGIN and END lines included")]
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return [*findings, Finding("error", "key", f"a {key_type_of(key)} key: ELB takes RSA or ECDSA keys only", "issue the server certificate again with an RSA or ECDSA key")]
    if public_keys_equal(key.public_key(), leaf.public_key()):
        findings.append(Finding("ok", "key", f"unencrypted {key_type_of(key)} key that matches the certificate"))
    else:
        findings.append(Finding("error", "key", "the private key does not belong to this certificate", "pick the key generated with this certificate (server/server.key)"))
    return findings

