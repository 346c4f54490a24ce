"""Issuing (steps 1-3): the CA and the leaf certificates, with the profile of DESIGN.md.

The profile departs from the tutorial on purpose: its X.509 v1, SHA-1, SAN-less
certificates are refused by current TLS stacks, so we issue v3 SHA-256 certificates with
the extensions that OpenSSL's strict verification and RFC 5280 linters expect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wizard.defaults import CA_DAYS, CLIENT_DAYS, DEFAULT_CLIENT_CN, DEFAULT_ORG, DEFAULT_SERVER_CN, SERVER_DAYS
from wizard.errors import InputError
from wizard.i18n import N_, _
from wizard.pki.certificates import utc_now
from wizard.pki.keys import PrivateKey, signing_hash
from wizard.pki.names import (
    MAX_CN, SERVER_DAYS_APPLE_LIMIT, default_ca_cn, general_name, server_sans, validate_common_name, validate_days,
    validate_org,
)

# Certificates start a little in the past so a client whose clock runs slow still accepts them.
BACKDATE = dt.timedelta(minutes=5)


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


def _base_builder(
    csr: x509.CertificateSigningRequest, issuer: x509.Name, days: int, now: dt.datetime | None
) -> x509.CertificateBuilder:
    start = (now or utc_now()) - BACKDATE
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
        raise InputError(too_long_server_name(cn))
    org = validate_org(org)
    validate_days(days, _("server certificate"))
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
    cn = validate_common_name(cn, _("client"))
    org = validate_org(org)
    validate_days(days, _("client certificate"))
    csr = _csr(key, _subject(org, cn))
    cert = _issue_leaf(ca_key, ca_cert, csr, days, now, _key_usage(digital_signature=True), ExtendedKeyUsageOID.CLIENT_AUTH)
    return Issued(key, csr, cert)


def too_long_server_name(name: str) -> str:
    return _("the server name {name!r} is over {max_length} characters, too long for a CN: use a shorter CN and give the "
             "long name with --san").format(name=name, max_length=MAX_CN)


# kind ("server", "client") -> the warning when that certificate would outlive its CA
_OUTLIVES_CA = {
    "server": N_("the server certificate would outlive the CA (CA expires {expires:%Y-%m-%d}): clients stop trusting it when the CA expires"),
    "client": N_("the client certificate would outlive the CA (CA expires {expires:%Y-%m-%d}): clients stop trusting it when the CA expires"),
}


def leaf_validity_warnings(kind: str, days: int, ca_cert: x509.Certificate | None = None, now: dt.datetime | None = None) -> list[str]:
    """Plain-language warnings about a chosen validity (never blocking)."""
    warnings: list[str] = []
    if kind == "server" and days > SERVER_DAYS_APPLE_LIMIT:
        warnings.append(_(
            "a server certificate valid for {days} days is refused by Apple platforms (limit {limit}): "
            "use --server-days {limit} or less unless no Apple client will connect"
        ).format(days=days, limit=SERVER_DAYS_APPLE_LIMIT))
    if ca_cert is not None:
        end = (now or utc_now()) + dt.timedelta(days=days)
        if end > ca_cert.not_valid_after_utc:
            warnings.append(_(_OUTLIVES_CA[kind]).format(expires=ca_cert.not_valid_after_utc))
    return warnings

