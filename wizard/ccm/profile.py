"""The wizard's certificate profile (DESIGN.md) as CCM request bodies, and the check of what
CCM gives back against it.

The bodies are the API's JSON (CreateCertificateAuthorityRequestBody, CreateCertificateRequestBody,
CreateCertificateByCsrRequestBody): wizard.ccm.api turns them into the SDK's models, and the
teaching panel shows them as they are sent. CCM decides parts of what it issues itself (a root
without a path length, the CSR route's signature hash and its ignored SANs), so nothing is
written to the workspace before `problems_with` has found the certificate to be what was asked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wizard import pki
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.issuers import LeafRequest

KEY_ALGORITHMS = {"rsa2048": "RSA2048", "rsa4096": "RSA4096", "ec-p256": "EC256", "ec-p384": "EC384"}
# `client revoke --reason` (RFC 5280 names) -> RevokeCertificateRequestBody.reason
REVOCATION_REASONS = {"unspecified": "UNSPECIFIED", "keyCompromise": "KEY_COMPROMISE", "superseded": "SUPERSEDED",
                      "cessationOfOperation": "CESSATION_OF_OPERATION"}
MAX_SANS = 20  # CreateCertificateRequestBody.subject_alternative_names: [0, 20]
MAX_CA_YEARS, MAX_LEAF_YEARS = 30, 20  # Validity: a root at most 30 years, anything else 20
PLACE_FIELDS = {"C": "country", "ST": "state", "L": "locality", "OU": "organizational_unit"}
_EKU = {"server": ExtendedKeyUsageOID.SERVER_AUTH, "client": ExtendedKeyUsageOID.CLIENT_AUTH}


def key_algorithm(key_type: str) -> str:
    if key_type not in KEY_ALGORITHMS:
        raise InputError(_("CCM makes and signs {choices} keys only: choose the key type {ours}, not {key_type}").format(
            choices="RSA2048, RSA4096, EC256, EC384", ours=" / ".join(KEY_ALGORITHMS), key_type=key_type))
    return KEY_ALGORITHMS[key_type]


def signature_algorithm(key_type: str) -> str:
    """SHA-384 with P-384 (matching strength), SHA-256 otherwise: the local profile's choice."""
    return "SHA384" if key_type == "ec-p384" else "SHA256"


def validity(days: int, *, most_years: int = MAX_LEAF_YEARS) -> dict[str, Any]:
    if days > most_years * 365:
        raise InputError(_("CCM issues for at most {years} years: give {days} days or fewer").format(years=most_years, days=most_years * 365))
    return {"type": "DAY", "value": days}


def check_name(value: str, what: str, *, limit: int = 64, star: bool = False) -> str:
    """CCM's rule for a name (CertDistinguishedName): letters, digits, spaces and - _ . , (and * in a CN)."""
    allowed = "-_ .," + ("*" if star else "")
    bad = sorted({ch for ch in value if not (ch.isalnum() or ch in allowed)})
    if bad or not 0 < len(value) <= limit:
        shown = "".join(bad) or value
        raise InputError(_("CCM refuses the {what} {value!r} ({shown}): it takes letters, digits, spaces and - _ . , only, at most {limit} "
                           "characters; choose another name").format(what=what, value=value, shown=shown, limit=limit))
    return value


def check_request(request: LeafRequest) -> None:
    """Everything CCM would refuse about a request, refused before anything is sent."""
    check_name(request.common_name, "CN", star=True)
    check_name(request.org, "O")
    key_algorithm(request.key_type)
    validity(request.days)
    if len(request.all_sans) > MAX_SANS:
        raise InputError(_("CCM puts at most {count} names in a certificate: give fewer --san").format(count=MAX_SANS))


def ca_body(org: str, cn: str, key_type: str, days: int, place: dict[str, str], issuer_id: str = "") -> dict[str, Any]:
    """CreateCertificateAuthorityRequestBody: a root, or (with `issuer_id`) a subordinate activated at once
    that may sign end-entity certificates only (path length 0, the local profile's)."""
    body: dict[str, Any] = {
        "type": "SUBORDINATE" if issuer_id else "ROOT",
        "key_algorithm": key_algorithm(key_type), "signature_algorithm": signature_algorithm(key_type),
        "validity": validity(days, most_years=MAX_LEAF_YEARS if issuer_id else MAX_CA_YEARS),
        "distinguished_name": {"common_name": check_name(cn, "CN"), "organization": check_name(org, "O"), **place},
    }
    if issuer_id:
        body.update(issuer_id=issuer_id, path_length=0)
    return body


def _key_usages(request: LeafRequest) -> list[str]:
    rsa = not request.key_type.startswith("ec-")
    return ["digitalSignature", "keyEncipherment"] if request.role == "server" and rsa else ["digitalSignature"]


def certificate_body(request: LeafRequest, ca_id: str) -> dict[str, Any]:
    """CreateCertificateRequestBody: CCM makes the key; the profile's names, usages and validity."""
    body: dict[str, Any] = {
        "issuer_id": ca_id, "key_algorithm": key_algorithm(request.key_type), "signature_algorithm": signature_algorithm(request.key_type),
        "distinguished_name": {"common_name": request.common_name, "organization": request.org},
        "validity": validity(request.days), "key_usages": _key_usages(request),
        "extended_key_usage": {"server_auth": request.role == "server", "client_auth": request.role == "client"},
    }
    if request.role == "server":
        body["subject_alternative_names"] = [_san(name) for name in request.all_sans]
    return body


def _san(name: str) -> dict[str, str]:
    entry = pki.general_name(name)
    return {"type": "IP" if isinstance(entry, x509.IPAddress) else "DNS", "value": str(entry.value)}


def csr_for(request: LeafRequest, key: pki.PrivateKey) -> x509.CertificateSigningRequest:
    """The CSR of the key made here, asking for the profile's usages (CCM prefers a CSR's key usage)
    and names (which CCM ignores on this route: `problems_with` finds that)."""
    names = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, request.org), x509.NameAttribute(NameOID.COMMON_NAME, request.common_name)]
    usage = set(_key_usages(request))
    builder = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment="keyEncipherment" in usage,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                            encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([_EKU[request.role]]), critical=False))
    if request.all_sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([pki.general_name(n) for n in request.all_sans]), critical=False)
    return builder.sign(key, pki.signing_hash(key))


def csr_body_template(ca_id: str, days: int) -> dict[str, Any]:
    """CreateCertificateByCsrRequestBody without its CSR (its `subject_alternative_names` is documented as
    ignored, so none is sent)."""
    return {"issuer_id": ca_id, "validity": validity(days), "type": "ENTITY_CERT"}


def csr_body(csr: x509.CertificateSigningRequest, ca_id: str, days: int) -> dict[str, Any]:
    return {**csr_body_template(ca_id, days), "csr": pki.csr_to_pem(csr).decode()}


def problems_with(cert: x509.Certificate, request: LeafRequest, ca_cert: x509.Certificate, key: pki.PrivateKey,
                  now: dt.datetime | None = None) -> list[str]:
    """How the certificate CCM returned differs from the request ([] when it is what was asked)."""
    found: list[str] = []
    cn, org = pki.cn_of(cert.subject), pki.attribute_of(cert.subject, NameOID.ORGANIZATION_NAME)
    if cn != request.common_name or org != request.org:
        found.append(_("its subject is CN={cn}, O={org}, not CN={want_cn}, O={want_org}").format(cn=cn, org=org, want_cn=request.common_name, want_org=request.org))
    if pki.is_ca(cert):
        found.append(_("it is a CA certificate"))
    wanted_eku = "serverAuth" if request.role == "server" else "clientAuth"
    if wanted_eku not in pki.extended_key_usages(cert):
        found.append(_("its extended key usage lacks {usage}").format(usage=wanted_eku))
    missing = [name for name in (_san_string(n) for n in request.all_sans) if name not in pki.san_strings(cert)]
    if missing:
        found.append(_("it lacks the names {names} (CCM ignores the names of a CSR: let CCM make the server's key)").format(names=", ".join(missing)))
    if not pki.verify_issued_by(cert, ca_cert):
        found.append(_("it was not signed by the private CA's certificate in ca/ca.crt"))
    if not pki.keys_match(key, cert):
        found.append(_("it certifies another key than the one it came with"))
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc) / dt.timedelta(days=1)
    if abs(days - request.days) > 2:
        found.append(_("it is valid for {days:.0f} days, not {asked}").format(days=days, asked=request.days))
    if cert.not_valid_after_utc <= (now or pki.utc_now()):
        found.append(_("it has already expired"))
    return found


def _san_string(name: str) -> str:
    entry = pki.general_name(name)
    return f"IP:{entry.value}" if isinstance(entry, x509.IPAddress) else f"DNS:{entry.value}"


def key_from_export(text: str) -> pki.PrivateKey:
    """The private key CCM exported (PEM, maybe with \\r\\n line ends)."""
    return pki.load_key_pem(text.replace("\r\n", "\n").encode(), _("private key exported by CCM"))


def certificates_from_export(text: str) -> list[x509.Certificate]:
    """The certificates of an exported PEM text (with \\r\\n or \\n line ends), in order."""
    data = text.replace("\r\n", "\n").replace("\\n", "\n").encode()
    try:
        return x509.load_pem_x509_certificates(data) if data.strip() else []
    except ValueError:
        raise WizardError(_("CCM exported something that is not a PEM certificate")) from None
