"""Reading facts off a certificate: names, usages, fingerprint, who signed it."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wizard.i18n import _


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def attribute_of(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    """The first value of one attribute (O, CN, ...) in an X.509 name, or None."""
    attrs = name.get_attributes_for_oid(oid)
    return str(attrs[0].value) if attrs else None


def cn_of(name: x509.Name) -> str | None:
    """The first common name (CN) in an X.509 name, or None."""
    return attribute_of(name, NameOID.COMMON_NAME)


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def san_strings(cert: x509.Certificate | x509.CertificateSigningRequest) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    out: list[str] = []
    for entry in san:
        if isinstance(entry, x509.DNSName):
            out.append(f"DNS:{entry.value}")
        elif isinstance(entry, x509.IPAddress):
            out.append(f"IP:{entry.value}")
        else:
            out.append(f"{type(entry).__name__}:{entry.value}")
    return out


_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
}
_KU_FIELDS = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)


def key_usages(cert: x509.Certificate) -> list[str]:
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return []
    return [label for attr, label in _KU_FIELDS if getattr(ku, attr)]


def extended_key_usages(cert: x509.Certificate) -> list[str]:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    return [_EKU_NAMES.get(oid, oid.dotted_string) for oid in eku]


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        # An X.509 v1 self-signed certificate (the tutorial's) is treated as a CA by OpenSSL.
        return cert.version == x509.Version.v1 and cert.issuer == cert.subject


def signature_hash_name(cert: x509.Certificate | x509.CertificateSigningRequest) -> str:
    algorithm = cert.signature_hash_algorithm
    return algorithm.name.upper().replace("SHA", "SHA-") if algorithm else "none"


def verify_issued_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when `issuer` signed `child` (names and signature)."""
    try:
        child.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


class IssuedBy:
    """verify_issued_by for many certificates against one issuer (status and the client list check
    thousands): the issuer's name and public key are read once, not once per certificate."""

    def __init__(self, issuer: x509.Certificate) -> None:
        self.issuer, self._subject, self._key = issuer, issuer.subject, issuer.public_key()

    def __call__(self, child: x509.Certificate) -> bool:
        key = self._key
        try:
            if child.issuer != self._subject:
                return False
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(child.signature, child.tbs_certificate_bytes, child.signature_algorithm_parameters,  # type: ignore[arg-type]
                           child.signature_hash_algorithm)  # type: ignore[arg-type]
            elif isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(child.signature, child.tbs_certificate_bytes, child.signature_algorithm_parameters)  # type: ignore[arg-type]
            else:  # another kind of key: cryptography's own check
                return verify_issued_by(child, self.issuer)
            return True
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            return False


def ca_signing_problem(cert: x509.Certificate, now: dt.datetime | None = None) -> str | None:
    """Why certificates this CA signs would fail verification, or None: outside its validity,
    a signature clients refuse (SHA-1, MD5), or no keyCertSign usage. The reason is what
    follows "the existing CA (ca/ca.crt)" in a sentence."""
    now = now or utc_now()
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if end <= now:
        return _("expired on {end:%Y-%m-%d} (it was valid from {start:%Y-%m-%d} to {end:%Y-%m-%d})").format(start=start, end=end)
    if start > now:
        return _("is not valid before {start:%Y-%m-%d %H:%M} UTC (valid from {start:%Y-%m-%d} to {end:%Y-%m-%d}; "
                 "check this machine's clock)").format(start=start, end=end)
    digest = signature_hash_name(cert)
    if digest in ("SHA-1", "MD5"):
        return _("is signed with {digest}, which current TLS clients refuse").format(digest=digest)
    if "keyCertSign" not in key_usages(cert):
        return _("does not allow signing certificates (its key usage lacks keyCertSign)")
    return None


def cert_info(cert: x509.Certificate) -> dict[str, str]:
    """The short facts a screen or summary shows about a generated certificate."""
    return {
        "subject": cert.subject.rfc4514_string(),
        "fingerprint": fingerprint(cert),
        "not_after": cert.not_valid_after_utc.isoformat(),
    }

