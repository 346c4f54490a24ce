"""`inspect`: recognise what a file holds (certificate, chain, key, CSR, .p12; PEM or DER)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from wizard.errors import InputError
from wizard.i18n import _
from wizard.pki.certificates import (
    extended_key_usages, fingerprint, is_ca, key_usages, san_strings, signature_hash_name,
)
from wizard.pki.keys import key_type_of, parse_private_key, public_keys_equal
from wizard.pki.p12 import load_p12, p12_protection

@dataclass
class CertificateSummary:
    subject: str
    issuer: str
    serial: str
    sans: list[str]
    key_usage: list[str]
    extended_key_usage: list[str]
    not_before: str
    not_after: str
    key_type: str
    signature_hash: str
    sha256_fingerprint: str
    is_ca: bool
    self_signed: bool
    version: int


def summarise_certificate(cert: x509.Certificate) -> CertificateSummary:
    return CertificateSummary(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "X"),
        sans=san_strings(cert),
        key_usage=key_usages(cert),
        extended_key_usage=extended_key_usages(cert),
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        key_type=key_type_of(cert.public_key()),
        signature_hash=signature_hash_name(cert),
        sha256_fingerprint=fingerprint(cert),
        is_ca=is_ca(cert),
        self_signed=cert.issuer == cert.subject,
        version=cert.version.value + 1,
    )


@dataclass
class Inspection:
    """What a file holds, in words a person (or --json) can read."""

    kind: str  # "certificate", "certificate chain", "private key", "CSR", "PKCS#12"
    certificates: list[CertificateSummary] = field(default_factory=list)
    key_type: str | None = None
    key_encrypted: bool = False
    csr_subject: str | None = None
    csr_sans: list[str] = field(default_factory=list)
    csr_signature_valid: bool | None = None
    p12: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")


def inspect_bytes(data: bytes, password: str | None = None, what: str | None = None) -> Inspection:
    """Recognise a certificate (or chain), private key, CSR or PKCS#12 file, PEM or DER.
    `what` names the file in messages (its path; "the file" when not given)."""
    what = what or _("the file")
    blocks = _PEM_BLOCK.findall(data)
    if blocks:
        label = blocks[0].decode()
        if label in ("CERTIFICATE", "TRUSTED CERTIFICATE"):
            certs = x509.load_pem_x509_certificates(data)
            kind = "certificate" if len(certs) == 1 else "certificate chain"
            return Inspection(kind, certificates=[summarise_certificate(c) for c in certs])
        if label in ("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"):
            return _inspect_csr(x509.load_pem_x509_csr(data))
        if label in ("ENCRYPTED PRIVATE KEY",) or b"Proc-Type: 4,ENCRYPTED" in data:
            return Inspection("private key", key_encrypted=True, notes=[_("the key is encrypted: the load balancer needs it unencrypted")])
        if label.endswith("PRIVATE KEY"):
            key = parse_private_key(data)
            return Inspection("private key", key_type=key_type_of(key))
        raise InputError(_("{what} holds a PEM block of type {label!r}, which this tool does not inspect").format(what=what, label=label))
    for attempt in (_inspect_der_cert, _inspect_der_csr, _inspect_der_key):
        result = attempt(data)
        if result is not None:
            return result
    if not _looks_like_p12(data):
        # Otherwise any unknown file would be reported as "password-protected".
        raise InputError(_("{what} is not a certificate, key, CSR or .p12 file (PEM or DER) that this tool can read").format(what=what))
    p12 = load_p12(data, password, what)
    certs = ([p12.cert.certificate] if p12.cert else []) + [c.certificate for c in p12.additional_certs]
    friendly = p12.cert.friendly_name.decode(errors="replace") if p12.cert and p12.cert.friendly_name else None
    inspection = Inspection(
        "PKCS#12",
        certificates=[summarise_certificate(c) for c in certs],
        key_type=key_type_of(p12.key) if p12.key else None,
        p12=p12_protection(data) | ({"friendly_name": friendly} if friendly else {}),
    )
    if p12.key is not None and p12.cert is not None and not public_keys_equal(p12.key.public_key(), p12.cert.certificate.public_key()):
        inspection.notes.append(_("the key inside does not match the certificate"))
    if inspection.p12["mode"] == "unprotected":
        inspection.notes.append(_("the .p12 is not encrypted: anyone who gets the file has the private key"))
    return inspection


# A PFX starts SEQUENCE { INTEGER 3, ContentInfo { OID pkcs7-data, ... } }.
_PKCS7_DATA_OID = bytes.fromhex("06092a864886f70d010701")


def _looks_like_p12(data: bytes) -> bool:
    return data[:1] == b"\x30" and b"\x02\x01\x03" in data[:8] and _PKCS7_DATA_OID in data[:32]


def _inspect_csr(csr: x509.CertificateSigningRequest) -> Inspection:
    return Inspection(
        "CSR",
        key_type=key_type_of(csr.public_key()),
        csr_subject=csr.subject.rfc4514_string(),
        csr_sans=san_strings(csr),
        csr_signature_valid=csr.is_signature_valid,
    )


def _inspect_der_cert(data: bytes) -> Inspection | None:
    try:
        certificate = summarise_certificate(x509.load_der_x509_certificate(data))
        return Inspection("certificate", certificates=[certificate], notes=[_("DER encoded: the load balancer needs PEM")])
    except ValueError:
        return None


def _inspect_der_csr(data: bytes) -> Inspection | None:
    try:
        return _inspect_csr(x509.load_der_x509_csr(data))
    except ValueError:
        return None


def _inspect_der_key(data: bytes) -> Inspection | None:
    try:
        key = parse_private_key(data, der=True)
    except TypeError:
        return Inspection("private key", key_encrypted=True)
    except (ValueError, UnsupportedAlgorithm):
        return None
    return Inspection("private key", key_type=key_type_of(key), notes=[_("DER encoded: the load balancer needs PEM")])

