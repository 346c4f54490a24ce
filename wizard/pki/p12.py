"""The client's .p12 bundle (step 3): exporting, opening, and telling how one is protected."""

from __future__ import annotations

from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from wizard.errors import InputError
from wizard.i18n import _
from wizard.pki.certificates import cn_of
from wizard.pki.keys import PrivateKey
from wizard.safe_text import first_control_character


P12Mode = Literal["modern", "legacy"]


def validate_p12_password(password: str) -> list[str]:
    """Refuse an empty password; return warnings for a weak one."""
    if not password:
        raise InputError(_("the .p12 password must not be empty: browsers need it to import the file"))
    control = first_control_character(password)
    if control:
        raise InputError(_("the .p12 password holds a control character ({character}): OpenSSL and browsers would read another "
                           "password or none; use printable characters only").format(character=control))
    if len(password) < 8:
        return [_("the .p12 password has only {count} characters: 8 or more is advisable").format(count=len(password))]
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
    name = (friendly_name or cn_of(cert.subject) or "client").encode()
    return pkcs12.serialize_key_and_certificates(name, key, cert, None, encryption)


def load_p12(data: bytes, password: str | None, what: str | None = None) -> pkcs12.PKCS12KeyAndCertificates:
    """`what` names the file in messages (its path, or "the .p12 file")."""
    what = what or _("the .p12 file")
    if password is None:
        try:
            return pkcs12.load_pkcs12(data, None)  # an unprotected bundle opens without one
        except ValueError:
            raise InputError(_("{what} is password-protected: give its password with --password-file FILE").format(what=what)) from None
    control = first_control_character(password)
    if control:  # a NUL would even crash the loader
        raise InputError(_("the password for {what} holds a control character ({character}): give the password alone, "
                           "on the first line of the file").format(what=what, character=control))
    try:
        return pkcs12.load_pkcs12(data, password.encode())
    except ValueError:
        raise InputError(_("could not open {what}: wrong password, or not a PKCS#12 file").format(what=what)) from None


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
    No encryption scheme at all means "unprotected": whoever has the file has the key.
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
    elif "PBES2" in found:
        cipher = "PBES2 (another cipher)"
    else:
        cipher = "none"  # no encryption scheme at all: the key bag is in the clear
    if cipher == "none":
        mode = "unprotected"
    else:
        mode = "modern" if cipher.startswith("AES") and mac == "SHA-256" else "legacy" if cipher == "3DES" and mac == "SHA-1" else "other"
    return {"cipher": cipher, "mac": mac, "mode": mode}

