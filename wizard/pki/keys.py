"""Keys and their PEM forms: generating, serialising, loading, matching."""

from __future__ import annotations

from typing import Union

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from wizard.errors import InputError
from wizard.i18n import _
from wizard.pki.names import validate_key_type

PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]


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
    """Unencrypted PKCS#8 PEM, the form of the workspace's key files (ELB gets `key_to_traditional_pem`)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def key_to_traditional_pem(key: PrivateKey) -> bytes:
    """Unencrypted traditional PEM: PKCS#1 (BEGIN RSA PRIVATE KEY) for RSA, SEC1 (BEGIN EC PRIVATE
    KEY) for EC. The form ELB is given: the tutorial's OpenSSL 1.x keys had it, and Huawei Cloud's
    Certificate Manager notes that ELB does not take PKCS#8. Other key types have no such form."""
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise InputError(_("a {key_type} key has no traditional PEM form: ELB takes RSA or ECDSA keys only").format(key_type=key_type_of(key)))
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


def cert_to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def csr_to_pem(csr: x509.CertificateSigningRequest) -> bytes:
    return csr.public_bytes(serialization.Encoding.PEM)


def parse_private_key(data: bytes, *, der: bool = False, password: bytes | None = None) -> PrivateKeyTypes:
    """A private key (PEM, or DER; encrypted ones with `password`), checked without freezing other threads.

    OpenSSL's own RSA consistency check holds the GIL for ~0.2 s on an RSA-4096 key, which
    freezes the TUI even from a worker thread; a sign-and-verify round trip (~3 ms) proves
    the same thing that matters: the private half works with the public half. Raises
    ValueError (unreadable, inconsistent or a wrong password), TypeError (encrypted and no
    password) or UnsupportedAlgorithm.
    """
    loader = serialization.load_der_private_key if der else serialization.load_pem_private_key
    key = loader(data, password=password, unsafe_skip_rsa_key_validation=True)
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(_PROBE, padding.PKCS1v15(), hashes.SHA256())
        try:
            key.public_key().verify(signature, _PROBE, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise ValueError("the RSA private key is inconsistent (damaged)") from None
    return key


_PROBE = b"mtls-wizard key consistency probe"


def load_key_pem(data: bytes, what: str | None = None) -> PrivateKey:
    """`what` names the key in messages ("CA key (ca/ca.key)"), translated by the caller."""
    what = what or _("private key")
    try:
        key = parse_private_key(data)
    except TypeError:
        raise InputError(_("the {what} is encrypted: give the unencrypted key").format(what=what)) from None
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(_("the {what} is not a readable PEM private key").format(what=what)) from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise InputError(_("the {what} is a {key_type} key: only RSA and ECDSA keys are supported").format(what=what, key_type=key_type_of(key)))
    return key


def load_cert_pem(data: bytes, what: str | None = None) -> x509.Certificate:
    """`what` names the certificate in messages ("CA certificate (ca/ca.crt)"), translated by the caller."""
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise InputError(_("the {what} is not a readable PEM certificate").format(what=what or _("certificate"))) from None


def public_keys_equal(a: object, b: object) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return a.public_bytes(*fmt) == b.public_bytes(*fmt)  # type: ignore[attr-defined]


def keys_match(key: PrivateKey, cert: x509.Certificate) -> bool:
    return public_keys_equal(key.public_key(), cert.public_key())


def key_pem_matches(data: bytes, cert: x509.Certificate) -> bool | None:
    """Whether the PEM private key `data` belongs to `cert` (None: not a readable key). Only the
    public halves are compared, without the consistency probe of parse_private_key: fast enough
    for a check of every client of a large workspace."""
    try:
        key = serialization.load_pem_private_key(data, password=None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return public_keys_equal(key.public_key(), cert.public_key())

