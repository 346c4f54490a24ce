"""Will the load balancer accept this certificate (and key)? One finding per check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from wizard.i18n import _
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
        return [Finding("error", "pem", _("the certificate is not PEM text"), _("convert it: openssl x509 -inform der -in cert.der -out cert.pem"))], []
    try:
        chain = x509.load_pem_x509_certificates(cert_text.encode())
    except ValueError:
        return [Finding("error", "pem", _("the certificate PEM text is damaged"), _("copy the whole file again, BEGIN and END lines included"))], []
    findings = [Finding("ok", "pem", _("PEM certificate ({count} in the chain)").format(count=len(chain)))]
    if len(chain) > ELB_MAX_CHAIN:
        findings.append(Finding("error", "chain", _("the chain has {count} certificates; ELB takes at most {limit}").format(count=len(chain), limit=ELB_MAX_CHAIN),
                                _("keep the leaf and the intermediates it needs, leave the root out")))
    size = len(cert_text.rstrip("\n"))
    if size > ELB_MAX_CERT_CHARS:
        findings.append(Finding("error", "size", _("the certificate text is {size} characters; the limit is {limit}").format(size=size, limit=ELB_MAX_CERT_CHARS),
                                _("remove certificates the chain does not need")))
    else:
        findings.append(Finding("ok", "size", _("certificate text {size} of {limit} characters").format(size=size, limit=ELB_MAX_CERT_CHARS)))
    return findings, chain


def _validity(leaf: x509.Certificate, now: dt.datetime) -> list[Finding]:
    start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    if start > now:
        return [Finding("error", "validity", _("not valid until {start:%Y-%m-%d %H:%M} UTC").format(start=start),
                        _("check the clock of the machine that issued it, or wait"))]
    if end <= now:
        return [Finding("error", "validity", _("expired on {end:%Y-%m-%d}").format(end=end), _("issue a new certificate"))]
    if end - now < dt.timedelta(days=30):
        return [Finding("warning", "validity", _("expires soon, on {end:%Y-%m-%d}").format(end=end), _("issue a new certificate before then"))]
    return [Finding("ok", "validity", _("valid until {end:%Y-%m-%d}").format(end=end))]


def _signatures_and_order(chain: list[x509.Certificate]) -> list[Finding]:
    findings = []
    weak = [signature_hash_name(c) for c in chain if signature_hash_name(c) in ("SHA-1", "MD5")]
    if weak:
        findings.append(Finding("error", "signature", _("signed with {digest}, which clients refuse").format(digest=weak[0]),
                                _("re-issue with SHA-256 (this wizard does)")))
    else:
        findings.append(Finding("ok", "signature", _("signed with {digest}").format(digest=signature_hash_name(chain[0]))))
    if not all(verify_issued_by(chain[i], chain[i + 1]) for i in range(len(chain) - 1)):
        findings.append(Finding("error", "chain", _("the chain is out of order"), _("put the certificates in order: leaf first, then intermediates, root last")))
    elif len(chain) > 1:
        findings.append(Finding("ok", "chain", _("chain order leaf → root")))
    return findings


def _as_client_ca(leaf: x509.Certificate, key_text: str | None) -> list[Finding]:
    if is_ca(leaf):
        findings = [Finding("ok", "ca", _("is a CA certificate"))]
    else:
        findings = [Finding("error", "ca", _("this is not a CA certificate"), _("upload the CA certificate (ca/ca.crt), not a server or client certificate"))]
    if key_text:
        findings.append(Finding("error", "key", _("a CA certificate is uploaded without its private key"), _("leave the private key out")))
    return findings


def _as_server_certificate(leaf: x509.Certificate) -> list[Finding]:
    findings = []
    if is_ca(leaf):
        findings.append(Finding("warning", "purpose", _("this is a CA certificate, not a server certificate"), _("upload server/server.crt here")))
    eku = extended_key_usages(leaf)
    if eku and "serverAuth" not in eku:
        findings.append(Finding("error", "purpose", _("the certificate is not for TLS servers (no serverAuth usage)"),
                                _("upload the server certificate, not the client one")))
    if not san_strings(leaf):
        findings.append(Finding("warning", "san", _("no Subject Alternative Name: browsers and curl ignore the CN"), _("re-issue with a SAN (this wizard does)")))
    return findings


def _server_key(leaf: x509.Certificate, key_text: str | None) -> list[Finding]:
    if key_text is None:
        return [Finding("error", "key", _("the private key is missing"), _("give the server key (server/server.key)"))]
    if "ENCRYPTED" in key_text:
        return [Finding("error", "key", _("the private key is encrypted; the load balancer needs it unencrypted"),
                        _("decrypt it: openssl pkey -in server.key -out server-plain.key"))]
    if "PRIVATE KEY-----" not in key_text:
        return [Finding("error", "key", _("the private key is not PEM text"), _("convert it: openssl pkey -inform der -in key.der -out key.pem"))]
    findings = []
    key_size = len(key_text.rstrip("\n"))
    if key_size > ELB_MAX_KEY_CHARS:
        findings.append(Finding("error", "key", _("the private key text is {size} characters; the limit is {limit}").format(size=key_size, limit=ELB_MAX_KEY_CHARS),
                                _("use an RSA key of at most 4096 bits or an ECDSA key")))
    try:
        key = parse_private_key(key_text.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return [*findings, Finding("error", "key", _("the private key PEM text is damaged"), _("copy the whole key file again, BEGIN and END lines included"))]
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return [*findings, Finding("error", "key", _("a {key_type} key: ELB takes RSA or ECDSA keys only").format(key_type=key_type_of(key)),
                                   _("issue the server certificate again with an RSA or ECDSA key"))]
    if public_keys_equal(key.public_key(), leaf.public_key()):
        findings.append(Finding("ok", "key", _("unencrypted {key_type} key that matches the certificate").format(key_type=key_type_of(key))))
    else:
        findings.append(Finding("error", "key", _("the private key does not belong to this certificate"),
                                _("pick the key generated with this certificate (server/server.key)")))
    return findings

