"""The crypto backend: a private CA, server and client certificates, .p12, inspection, ELB checks.

Built on `cryptography` alone. The certificate profile departs from the tutorial on
purpose (see DESIGN.md): its X.509 v1, SHA-1, SAN-less certificates are refused by
current TLS stacks, so we issue v3 SHA-256 certificates with the extensions that
OpenSSL's strict verification and RFC 5280 linters expect.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal, Union

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wizard.defaults import (  # re-exported: callers use pki.DEFAULT_* and pki.KEY_TYPES
    CA_DAYS,
    CLIENT_DAYS,
    DEFAULT_CLIENT_CN,
    DEFAULT_KEY_TYPE,
    DEFAULT_ORG,
    DEFAULT_SERVER_CN,
    KEY_TYPES,
    SERVER_DAYS,
)
from wizard.errors import InputError

PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]

# Apple platforms refuse TLS server certificates valid for longer than this.
SERVER_DAYS_APPLE_LIMIT = 825
# Past ~27 years a validity is almost certainly a typo (and outlives any key size we offer).
MAX_DAYS = 10000
# RFC 5280 upper bounds (ub-common-name, ub-organization-name).
MAX_CN = 64
MAX_ORG = 64
# ELB API limits, in characters of PEM text.
ELB_MAX_CERT_CHARS = 65536
ELB_MAX_KEY_CHARS = 8192
# Certificates start a little in the past so a client whose clock runs slow still accepts them.
BACKDATE = dt.timedelta(minutes=5)


def default_ca_cn(org: str) -> str:
    return f"{org} mTLS Root CA"


# ---------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def validate_key_type(key_type: str) -> str:
    if key_type not in KEY_TYPES:
        raise InputError(f"unknown key type {key_type!r}: choose one of {', '.join(KEY_TYPES)}")
    return key_type


def validate_days(days: int, what: str) -> int:
    if days <= 0:
        raise InputError(f"{what} validity must be at least 1 day (got {days})")
    if days > MAX_DAYS:
        raise InputError(f"{what} validity of {days} days is not plausible: use at most {MAX_DAYS} days")
    return days


def validate_org(org: str) -> str:
    org = org.strip()
    if not org:
        raise InputError("the organisation (O) must not be empty, e.g. --org ELB")
    if len(org) > MAX_ORG:
        raise InputError(f"the organisation is {len(org)} characters long: X.509 allows at most {MAX_ORG}")
    _refuse_control_chars(org, "the organisation")
    return org


def validate_common_name(cn: str, what: str) -> str:
    """A free-form CN (CA or client): non-empty, at most 64 characters, printable."""
    cn = cn.strip()
    if not cn:
        raise InputError(f"the {what} common name must not be empty")
    if len(cn) > MAX_CN:
        raise InputError(f"the {what} common name is {len(cn)} characters long: X.509 allows at most {MAX_CN}")
    _refuse_control_chars(cn, f"the {what} common name")
    return cn


def _refuse_control_chars(value: str, what: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InputError(f"{what} contains control characters: use printable text only")


def name_problem(value: str) -> str | None:
    """Why `value` is not a usable server name (hostname, wildcard or IP address), or None."""
    value = value.strip()
    if not value:
        return "the name is empty: give a domain name (www.example.com) or an IP address"
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            # A zone (%eth0) only means something on one machine; a certificate cannot carry it.
            return f"{value!r}: leave out the zone, give only the address ({value.split('%')[0]})"
        return None
    if "://" in value or "/" in value:
        return f"{value!r} looks like a URL: give only the host name, e.g. www.example.com"
    if ":" in value:
        return f"{value!r} is neither a host name nor a valid IP address (a port does not belong here)"
    try:
        ascii_name = value.encode("idna").decode("ascii").lower() if not value.isascii() else value.lower()
    except UnicodeError:
        return f"{value!r} is not a valid internationalised domain name"
    ascii_name = ascii_name.rstrip(".")
    if len(ascii_name) > 253:
        return f"{value!r} is longer than 253 characters, the limit for a domain name"
    labels = ascii_name.split(".")
    if labels[0] == "*":
        if len(labels) < 3:
            return f"{value!r}: a wildcard needs at least two labels after '*.' (e.g. *.example.com)"
        labels = labels[1:]
    elif "*" in ascii_name:
        return f"{value!r}: a wildcard is only allowed as the whole leftmost label, like *.example.com"
    for label in labels:
        if not _LABEL.match(label):
            return (
                f"{value!r} is not a valid host name: each dot-separated part must be 1-63 letters, "
                "digits or hyphens, not starting or ending with a hyphen"
            )
    if labels[-1].isdigit():
        return f"{value!r} looks like a mistyped IP address: check the numbers"
    return None


def normalise_name(value: str) -> str:
    """Validate a server name and return its canonical form (lower case, IDNA, IP compressed)."""
    problem = name_problem(value)
    if problem:
        raise InputError(problem)
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not value.isascii():
        value = value.encode("idna").decode("ascii")
    return value.lower().rstrip(".")


def general_name(value: str) -> x509.GeneralName:
    """A SAN entry: an IP address becomes an IP SAN, a name a DNS SAN."""
    value = normalise_name(value)
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def server_sans(cn: str, extra: Iterable[str] = ()) -> list[str]:
    """The CN first, then the extra names, validated and without duplicates."""
    names: list[str] = []
    for value in [cn, *extra]:
        name = normalise_name(value)
        if name not in names:
            names.append(name)
    return names


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------


def generate_key(key_type: str) -> PrivateKey:
    validate_key_type(key_type)
    if key_type.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type[3:]))
    curve: ec.EllipticCurve = ec.SECP256R1() if key_type == "ec-p256" else ec.SECP384R1()
    return ec.generate_private_key(curve)


def key_type_of(key: object) -> str:
    """Our name for a key's type ("rsa2048", "ec-p256", ...), or a description of an unusual one."""
    public = key.public_key() if hasattr(key, "public_key") else key
    if isinstance(public, rsa.RSAPublicKey):
        return f"rsa{public.key_size}"
    if isinstance(public, ec.EllipticCurvePublicKey):
        return {"secp256r1": "ec-p256", "secp384r1": "ec-p384"}.get(public.curve.name, f"ec-{public.curve.name}")
    if isinstance(public, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(public, ed448.Ed448PublicKey):
        return "ed448"
    return type(public).__name__


def signing_hash(key: PrivateKey) -> hashes.HashAlgorithm:
    """SHA-384 for P-384 keys (matching strength), SHA-256 for everything else."""
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def key_to_pem(key: PrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM: what the load balancer wants (it refuses encrypted keys)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def cert_to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def csr_to_pem(csr: x509.CertificateSigningRequest) -> bytes:
    return csr.public_bytes(serialization.Encoding.PEM)


def load_key_pem(data: bytes, what: str = "private key") -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise InputError(f"the {what} is encrypted: give the unencrypted key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(f"the {what} is not a readable PEM private key") from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise InputError(f"the {what} is a {key_type_of(key)} key: only RSA and ECDSA keys are supported")
    return key


def load_cert_pem(data: bytes, what: str = "certificate") -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise InputError(f"the {what} is not a readable PEM certificate") from None


# ---------------------------------------------------------------------------
# Issuing (steps 1-3)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """One generated artifact set: the key, the CSR that was kept, and the certificate."""

    key: PrivateKey
    csr: x509.CertificateSigningRequest
    cert: x509.Certificate


def _subject(org: str, cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _csr(key: PrivateKey, subject: x509.Name, sans: Sequence[x509.GeneralName] = ()) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(key, signing_hash(key))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _base_builder(
    csr: x509.CertificateSigningRequest, issuer: x509.Name, days: int, now: dt.datetime | None
) -> x509.CertificateBuilder:
    start = (now or _now()) - BACKDATE
    return (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(issuer)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
    )


def _key_usage(*, digital_signature: bool = False, key_encipherment: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def create_ca(
    key: PrivateKey,
    *,
    org: str = DEFAULT_ORG,
    cn: str | None = None,
    days: int = CA_DAYS,
    now: dt.datetime | None = None,
) -> Issued:
    """Step 1: a self-signed root that may sign end-entity certificates only (pathlen 0)."""
    org = validate_org(org)
    cn = validate_common_name(cn or default_ca_cn(org), "CA")
    validate_days(days, "CA")
    csr = _csr(key, _subject(org, cn))
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        _base_builder(csr, csr.subject, days, now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, signing_hash(key))
    )
    return Issued(key, csr, cert)


def _issue_leaf(
    ca_key: PrivateKey,
    ca_cert: x509.Certificate,
    csr: x509.CertificateSigningRequest,
    days: int,
    now: dt.datetime | None,
    usage: x509.KeyUsage,
    eku: x509.ObjectIdentifier,
    sans: Sequence[x509.GeneralName] = (),
) -> x509.Certificate:
    try:
        ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski)
    except x509.ExtensionNotFound:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    builder = (
        _base_builder(csr, ca_cert.subject, days, now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        .add_extension(aki, critical=False)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(ca_key, signing_hash(ca_key))


def issue_server(
    ca_key: PrivateKey,
    ca_cert: x509.Certificate,
    key: PrivateKey,
    *,
    cn: str = DEFAULT_SERVER_CN,
    sans: Iterable[str] = (),
    org: str = DEFAULT_ORG,
    days: int = SERVER_DAYS,
    now: dt.datetime | None = None,
) -> Issued:
    """Step 2: CN = the site's domain or IP, always repeated in the SAN (clients only look there)."""
    names = server_sans(cn, sans)
    cn = names[0]
    if len(cn) > MAX_CN:
        raise InputError(f"the server name {cn!r} is over {MAX_CN} characters, too long for a CN: use a shorter CN and give the long name with --san")
    org = validate_org(org)
    validate_days(days, "server certificate")
    general_names = [general_name(n) for n in names]
    csr = _csr(key, _subject(org, cn), general_names)
    digital_signature_only = isinstance(key, ec.EllipticCurvePrivateKey)
    usage = _key_usage(digital_signature=True, key_encipherment=not digital_signature_only)
    cert = _issue_leaf(ca_key, ca_cert, csr, days, now, usage, ExtendedKeyUsageOID.SERVER_AUTH, general_names)
    return Issued(key, csr, cert)


def issue_client(
    ca_key: PrivateKey,
    ca_cert: x509.Certificate,
    key: PrivateKey,
    *,
    cn: str = DEFAULT_CLIENT_CN,
    org: str = DEFAULT_ORG,
    days: int = CLIENT_DAYS,
    now: dt.datetime | None = None,
) -> Issued:
    """Step 3: a certificate that may only authenticate a TLS client."""
    cn = validate_common_name(cn, "client")
    org = validate_org(org)
    validate_days(days, "client certificate")
    csr = _csr(key, _subject(org, cn))
    cert = _issue_leaf(ca_key, ca_cert, csr, days, now, _key_usage(digital_signature=True), ExtendedKeyUsageOID.CLIENT_AUTH)
    return Issued(key, csr, cert)


def leaf_validity_warnings(kind: str, days: int, ca_cert: x509.Certificate | None = None, now: dt.datetime | None = None) -> list[str]:
    """Plain-language warnings about a chosen validity (never blocking)."""
    warnings: list[str] = []
    if kind == "server" and days > SERVER_DAYS_APPLE_LIMIT:
        warnings.append(
            f"a server certificate valid for {days} days is refused by Apple platforms (limit {SERVER_DAYS_APPLE_LIMIT}): "
            f"use --server-days {SERVER_DAYS_APPLE_LIMIT} or less unless no Apple client will connect"
        )
    if ca_cert is not None:
        end = (now or _now()) + dt.timedelta(days=days)
        if end > ca_cert.not_valid_after_utc:
            warnings.append(
                f"the {kind} certificate would outlive the CA (CA expires {ca_cert.not_valid_after_utc:%Y-%m-%d}): "
                "clients stop trusting it when the CA expires"
            )
    return warnings


# ---------------------------------------------------------------------------
# .p12 (step 3)
# ---------------------------------------------------------------------------

P12Mode = Literal["modern", "legacy"]


def validate_p12_password(password: str) -> list[str]:
    """Refuse an empty password; return warnings for a weak one."""
    if not password:
        raise InputError("the .p12 password must not be empty: browsers need it to import the file")
    if len(password) < 8:
        return [f"the .p12 password has only {len(password)} characters: 8 or more is advisable"]
    return []


def export_p12(
    key: PrivateKey,
    cert: x509.Certificate,
    password: str,
    *,
    legacy: bool = False,
    friendly_name: str | None = None,
) -> bytes:
    """The browser bundle. Modern: AES-256 + SHA-256 MAC. Legacy: 3DES + SHA-1 MAC.

    macOS Keychain, older Windows, Java 8 and IE 11 cannot read the modern format and
    report it as a wrong password, hence the legacy choice.
    """
    validate_p12_password(password)
    algorithm = (
        pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC if legacy else pkcs12.PBES.PBESv2SHA256AndAES256CBC
    )
    mac = hashes.SHA1() if legacy else hashes.SHA256()
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50000 if legacy else 100000)
        .key_cert_algorithm(algorithm)
        .hmac_hash(mac)
        .build(password.encode())
    )
    name = (friendly_name or _cn_of(cert.subject) or "client").encode()
    return pkcs12.serialize_key_and_certificates(name, key, cert, None, encryption)


def load_p12(data: bytes, password: str | None, what: str = "the .p12 file") -> pkcs12.PKCS12KeyAndCertificates:
    if password is None:
        raise InputError(f"{what} is password-protected: give its password with --password-file FILE")
    try:
        return pkcs12.load_pkcs12(data, password.encode())
    except ValueError:
        raise InputError(f"could not open {what}: wrong password, or not a PKCS#12 file") from None


# DER-encoded OBJECT IDENTIFIERs that tell how a PKCS#12 file is protected.
_P12_OIDS = {
    bytes.fromhex("06092a864886f70d01050d"): "PBES2",
    bytes.fromhex("060960864801650304012a"): "AES-256-CBC",
    bytes.fromhex("060a2a864886f70d010c0103"): "3DES (pbeWithSHAAnd3-KeyTripleDES-CBC)",
    bytes.fromhex("060a2a864886f70d010c0106"): "RC2-40 (pbeWithSHAAnd40BitRC2-CBC)",
    bytes.fromhex("06052b0e03021a"): "SHA-1",
    bytes.fromhex("0609608648016503040201"): "SHA-256",
}


def p12_protection(data: bytes) -> dict[str, str]:
    """How a .p12 is protected, read from the algorithm identifiers in its outer structure.

    The MAC algorithm sits at the end of the file (MacData); the bag encryption before it.
    """
    found = {name: data.find(oid) for oid, name in _P12_OIDS.items() if oid in data}
    mac_position = max((found[h] for h in ("SHA-1", "SHA-256") if h in found), default=-1)
    mac = next((h for h in ("SHA-1", "SHA-256") if found.get(h) == mac_position), "unknown")
    if "AES-256-CBC" in found:
        cipher = "AES-256-CBC (PBES2)"
    elif any(name.startswith("3DES") for name in found):
        cipher = "3DES"
    elif any(name.startswith("RC2") for name in found):
        cipher = "RC2-40 (very weak)"
    else:
        cipher = "unknown"
    mode = "modern" if cipher.startswith("AES") and mac == "SHA-256" else "legacy" if cipher == "3DES" and mac == "SHA-1" else "other"
    return {"cipher": cipher, "mac": mac, "mode": mode}


# ---------------------------------------------------------------------------
# Inspection
# ---------------------------------------------------------------------------


def attribute_of(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    """The first value of one attribute (O, CN, ...) in an X.509 name, or None."""
    attrs = name.get_attributes_for_oid(oid)
    return str(attrs[0].value) if attrs else None


def cn_of(name: x509.Name) -> str | None:
    """The first common name (CN) in an X.509 name, or None."""
    return attribute_of(name, NameOID.COMMON_NAME)


_cn_of = cn_of  # the older private name, kept for existing callers


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


def inspect_bytes(data: bytes, password: str | None = None, what: str = "the file") -> Inspection:
    """Recognise a certificate (or chain), private key, CSR or PKCS#12 file, PEM or DER."""
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
            return Inspection("private key", key_encrypted=True, notes=["the key is encrypted: the load balancer needs it unencrypted"])
        if label.endswith("PRIVATE KEY"):
            key = serialization.load_pem_private_key(data, password=None)
            return Inspection("private key", key_type=key_type_of(key))
        raise InputError(f"{what} holds a PEM block of type {label!r}, which this tool does not inspect")
    for attempt in (_inspect_der_cert, _inspect_der_csr, _inspect_der_key):
        result = attempt(data)
        if result is not None:
            return result
    if not _looks_like_p12(data):
        # Otherwise any unknown file would be reported as "password-protected".
        raise InputError(f"{what} is not a certificate, key, CSR or .p12 file (PEM or DER) that this tool can read")
    p12 = load_p12(data, password, what)
    certs = ([p12.cert.certificate] if p12.cert else []) + [c.certificate for c in p12.additional_certs]
    friendly = p12.cert.friendly_name.decode(errors="replace") if p12.cert and p12.cert.friendly_name else None
    inspection = Inspection(
        "PKCS#12",
        certificates=[summarise_certificate(c) for c in certs],
        key_type=key_type_of(p12.key) if p12.key else None,
        p12=p12_protection(data) | ({"friendly_name": friendly} if friendly else {}),
    )
    if p12.key is not None and p12.cert is not None and not _public_keys_equal(p12.key.public_key(), p12.cert.certificate.public_key()):
        inspection.notes.append("the key inside does not match the certificate")
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
        return Inspection("certificate", certificates=[summarise_certificate(x509.load_der_x509_certificate(data))], notes=["DER encoded: the load balancer needs PEM"])
    except ValueError:
        return None


def _inspect_der_csr(data: bytes) -> Inspection | None:
    try:
        return _inspect_csr(x509.load_der_x509_csr(data))
    except ValueError:
        return None


def _inspect_der_key(data: bytes) -> Inspection | None:
    try:
        key = serialization.load_der_private_key(data, password=None)
    except TypeError:
        return Inspection("private key", key_encrypted=True)
    except (ValueError, UnsupportedAlgorithm):
        return None
    return Inspection("private key", key_type=key_type_of(key), notes=["DER encoded: the load balancer needs PEM"])


def format_inspection(inspection: Inspection) -> str:
    lines = [f"Kind:         {inspection.kind}"]
    for index, cert in enumerate(inspection.certificates):
        if len(inspection.certificates) > 1:
            lines.append(f"-- certificate {index + 1} of {len(inspection.certificates)}")
        lines += [
            f"Subject:      {cert.subject}",
            f"Issuer:       {cert.issuer}{'  (self-signed)' if cert.self_signed else ''}",
            f"Serial:       {cert.serial}",
            f"Version:      v{cert.version}",
            f"SANs:         {', '.join(cert.sans) or '(none)'}",
            f"Key usage:    {', '.join(cert.key_usage) or '(none)'}",
            f"Ext. usage:   {', '.join(cert.extended_key_usage) or '(none)'}",
            f"Valid from:   {cert.not_before}",
            f"Valid until:  {cert.not_after}",
            f"Key:          {cert.key_type}",
            f"Signature:    {cert.signature_hash}",
            f"Is a CA:      {'yes' if cert.is_ca else 'no'}",
            f"SHA-256:      {cert.sha256_fingerprint}",
        ]
    if inspection.kind in ("private key", "CSR", "PKCS#12") and inspection.key_type:
        lines.append(f"Key type:     {inspection.key_type}")
    if inspection.key_encrypted:
        lines.append("Encrypted:    yes")
    if inspection.csr_subject is not None:
        lines.append(f"Subject:      {inspection.csr_subject}")
        lines.append(f"SANs:         {', '.join(inspection.csr_sans) or '(none)'}")
        lines.append(f"Signature:    {'valid' if inspection.csr_signature_valid else 'INVALID'}")
    if inspection.p12:
        lines.append(f"Protection:   {inspection.p12['cipher']}, MAC {inspection.p12['mac']} ({inspection.p12['mode']})")
        if "friendly_name" in inspection.p12:
            lines.append(f"Name:         {inspection.p12['friendly_name']}")
    lines += [f"Note:         {note}" for note in inspection.notes]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# ELB readiness
# ---------------------------------------------------------------------------

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


def _public_keys_equal(a: object, b: object) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return a.public_bytes(*fmt) == b.public_bytes(*fmt)  # type: ignore[attr-defined]


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
    now = now or _now()
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

    order_ok = all(_issued_by(chain[i], chain[i + 1]) for i in range(len(chain) - 1))
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
    if _public_keys_equal(key.public_key(), leaf.public_key()):
        add("ok", "key", f"unencrypted {key_type_of(key)} key that matches the certificate")
    else:
        add("error", "key", "the private key does not belong to this certificate", "pick the key generated with this certificate (server/server.key)")
    return findings


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def verify_issued_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when `issuer` signed `child` (names and signature)."""
    return _issued_by(child, issuer)


def keys_match(key: PrivateKey, cert: x509.Certificate) -> bool:
    return _public_keys_equal(key.public_key(), cert.public_key())


def cert_info(cert: x509.Certificate) -> dict[str, str]:
    """The short facts a screen or summary shows about a generated certificate."""
    return {
        "subject": cert.subject.rfc4514_string(),
        "fingerprint": fingerprint(cert),
        "not_after": cert.not_valid_after_utc.isoformat(),
    }
