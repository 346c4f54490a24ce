"""The signing side of the CCM Private CA stand-in (tests/support/fake_ccm_api.py): it really
makes CA keys, signs certificates and CRLs, as the service would.

What it models (huaweicloudsdkccm 3.1.x models and the CCM API reference), and where it had to
guess (marked "assumed"):
- a root CA is self-signed with basicConstraints CA:TRUE and no path length ("a root CA does not
  limit the path length"), key usage digitalSignature, keyCertSign, cRLSign; a subordinate one
  is signed by its issuer with the path length asked for (default 0);
- `create_certificate`: the service makes the key; subject from `distinguished_name`, the
  attributes not given inherited from the issuing CA (CertDistinguishedName: "inherits the
  parent CA's value"); SANs, key usages and extended key usages as asked;
- `create_certificate_by_csr`: subject and key from the CSR; the request's SANs are ignored
  (documented); key usage taken from the CSR when it has one (documented: "the CSR's parameters
  are preferred"); the CSR's extended key usage copied (assumed); the CSR's own SAN extension
  ignored too (assumed, the cautious reading); signed with SHA-384 (documented default).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_ALGORITHMS = ("RSA2048", "RSA4096", "EC256", "EC384")
SIGNATURE_ALGORITHMS = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}
DN_FIELDS = {  # distinguished_name field -> OID, in the order the service writes them
    "country": NameOID.COUNTRY_NAME, "state": NameOID.STATE_OR_PROVINCE_NAME, "locality": NameOID.LOCALITY_NAME,
    "organization": NameOID.ORGANIZATION_NAME, "organizational_unit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "common_name": NameOID.COMMON_NAME,
}
EKU_FIELDS = {
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH, "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING, "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "time_stamping": ExtendedKeyUsageOID.TIME_STAMPING,
}
KEY_USAGES = ("digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign",
              "cRLSign", "encipherOnly", "decipherOnly")
UNIT_DAYS = {"YEAR": 365, "MONTH": 31, "DAY": 1}  # Validity.type: a month counts as 31 days


class Refused(Exception):
    """The request cannot be served: (status, error_code, error_msg)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bad_parameter(message: str) -> Refused:
    return Refused(400, "PCA.00020001", message)  # documented: "Incorrect parameter."


def make_key(algorithm: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if algorithm not in KEY_ALGORITHMS:
        raise Refused(400, "PCA.00020102", "Invalid key algorithm. Only RSA2048, RSA4096, EC256, and EC384 are supported.")
    if algorithm.startswith("RSA"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm[3:]))
    return ec.generate_private_key(ec.SECP256R1() if algorithm == "EC256" else ec.SECP384R1())


def signature_hash(name: str | None) -> hashes.HashAlgorithm:
    if name not in SIGNATURE_ALGORITHMS:
        raise Refused(400, "PCA.00020103", "Invalid signature hash algorithm. Only SHA256, SHA384, and SHA512 are supported.")
    return SIGNATURE_ALGORITHMS[name]()


def validity_days(validity: dict | None, *, most_years: int) -> int:
    """Validity{type, value} in days; HOUR is taken as a day (the stand-in's resolution)."""
    validity = validity or {}
    unit, value = validity.get("type"), validity.get("value")
    if unit not in (*UNIT_DAYS, "HOUR") or not isinstance(value, int) or value <= 0:
        raise Refused(400, "PCA.00020109", "Invalid validity period type or value. Only year, month, or day supported.")
    days = max(1, value // 24) if unit == "HOUR" else value * UNIT_DAYS[unit]
    if days > most_years * 366:
        raise Refused(400, "PCA.00020109", "Invalid validity period type or value. Only year, month, or day supported.")
    return days


def dn_value_ok(value: object, limit: int, *, star: bool = False) -> bool:
    """CertDistinguishedName: '-', '_', ' ', '.', ',' (and '*' in a CN), letters, digits, CJK."""
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        return False
    allowed = "-_ .," + ("*" if star else "")
    return all(ch.isalnum() or ch in allowed for ch in value)


def subject_of(dn: dict, inherited: x509.Name | None = None, *, all_required: bool = False) -> x509.Name:
    """An X.509 name from a distinguished_name body, in the service's attribute order."""
    attributes = []
    for field, oid in DN_FIELDS.items():
        value = dn.get(field)
        if value is None and inherited is not None and field != "common_name":
            found = inherited.get_attributes_for_oid(oid)
            value = str(found[0].value) if found else None
        if value is None:
            if all_required or field == "common_name":
                raise Refused(400, "PCA.00020101", "Incorrect certificate distinguished name.")
            continue
        limit = 2 if field == "country" else 128 if field in ("state", "locality") else 64
        if not dn_value_ok(value, limit, star=field == "common_name"):
            raise Refused(400, "PCA.00020101", "Incorrect certificate distinguished name.")
        attributes.append(x509.NameAttribute(oid, value))
    return x509.Name(attributes)


def key_usage(names: list[str] | None) -> x509.KeyUsage:
    names = names or []
    if any(name not in KEY_USAGES for name in names):
        raise bad_parameter("Incorrect parameter: key_usages")
    has = set(names)
    return x509.KeyUsage(
        digital_signature="digitalSignature" in has, content_commitment="nonRepudiation" in has,
        key_encipherment="keyEncipherment" in has, data_encipherment="dataEncipherment" in has,
        key_agreement="keyAgreement" in has, key_cert_sign="keyCertSign" in has, crl_sign="cRLSign" in has,
        encipher_only="encipherOnly" in has and "keyAgreement" in has, decipher_only="decipherOnly" in has and "keyAgreement" in has)


def general_names(entries: list[dict] | None) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for entry in entries or []:
        kind, value = entry.get("type"), str(entry.get("value", ""))
        if kind == "DNS" and 0 < len(value) <= 253:
            names.append(x509.DNSName(value))
        elif kind == "IP":
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(value)))
            except ValueError:
                raise Refused(400, "PCA.00020111", "Invalid IP. Enter an IPv4 address.") from None
        elif kind == "EMAIL":
            names.append(x509.RFC822Name(value))
        elif kind == "URI":
            names.append(x509.UniformResourceIdentifier(value))
        else:
            raise Refused(400, "PCA.00020112", "Invalid alternative name type of the certificate subject. Enter an IP or DNS.")
    if len(names) > 20:
        raise bad_parameter("Incorrect parameter: at most 20 subject_alternative_names")
    return names


@dataclass
class Signer:
    """A CA the stand-in holds: its key, its certificate and what signed it."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    chain: list[x509.Certificate]  # from the issuer up to the root (empty for a root)

    def _builder(self, subject: x509.Name, public_key: object, days: int, now: dt.datetime) -> x509.CertificateBuilder:
        start = now - dt.timedelta(minutes=1)
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
            self.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value)
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(self.cert.subject).public_key(public_key)  # type: ignore[arg-type]
                .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)  # type: ignore[arg-type]
                .add_extension(aki, critical=False))

    def sign_ca(self, subject: x509.Name, public_key: object, days: int, now: dt.datetime, path_length: int, digest: hashes.HashAlgorithm) -> x509.Certificate:
        return (self._builder(subject, public_key, days, now)
                .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
                .add_extension(key_usage(["digitalSignature", "keyCertSign", "cRLSign"]), critical=True)
                .sign(self.key, digest))

    def sign_leaf(self, subject: x509.Name, public_key: object, days: int, now: dt.datetime, *, usage: x509.KeyUsage | None,
                  ekus: list[x509.ObjectIdentifier], sans: list[x509.GeneralName], digest: hashes.HashAlgorithm) -> x509.Certificate:
        builder = self._builder(subject, public_key, days, now).add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        if usage is not None:
            builder = builder.add_extension(usage, critical=True)
        if ekus:
            builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return builder.sign(self.key, digest)

    def crl(self, revoked: list[tuple[int, dt.datetime]], now: dt.datetime, days: int) -> x509.CertificateRevocationList:
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.cert.subject).last_update(now)
                   .next_update(now + dt.timedelta(days=days)).add_extension(x509.CRLNumber(len(revoked) + 1), critical=False))
        for serial, when in revoked:
            builder = builder.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
        return builder.sign(self.key, hashes.SHA256())


def self_signed_root(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, subject: x509.Name, days: int, now: dt.datetime,
                     digest: hashes.HashAlgorithm) -> Signer:
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    start = now - dt.timedelta(minutes=1)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(key_usage(["digitalSignature", "keyCertSign", "cRLSign"]), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(key, digest))
    return Signer(key, cert, [])


def csr_extension(csr: x509.CertificateSigningRequest, kind: type) -> object | None:
    try:
        return csr.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def read_csr(text: str) -> x509.CertificateSigningRequest:
    try:
        csr = x509.load_pem_x509_csr(text.replace("\\n", "\n").encode())
    except ValueError:
        raise bad_parameter("Incorrect parameter: csr") from None
    if not csr.is_signature_valid:
        raise bad_parameter("Incorrect parameter: csr signature")
    return csr


def pem(cert: x509.Certificate) -> str:
    """A certificate as the API returns it: PEM with \\r\\n line ends (ExportCertificateAuthorityCertificateResponse)."""
    return cert.public_bytes(serialization.Encoding.PEM).decode().replace("\n", "\r\n")


def key_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode().replace("\n", "\r\n")


def millis(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)
