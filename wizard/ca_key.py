"""The CA key at rest: ca/ca.key with or without a passphrase.

A CA key under a passphrase is PKCS#8 encrypted with PBES2 (AES-256-CBC, PBKDF2-HMAC-SHA256),
the `BEGIN ENCRYPTED PRIVATE KEY` form `openssl genpkey -aes256` writes and `openssl pkey
-passin` reads. Whoever copies the file (a backup, a copy of the workspace, root) then holds
nothing that signs without the passphrase.

The core never asks for a passphrase. Whoever calls a signing function supplies an `Unlock`:
the CLI reads --ca-password-file, $MTLS_WIZARD_CA_PASSWORD or a hidden prompt, the TUI asks
once per run in a dialog. It is called only when ca/ca.key is encrypted, and what it gives is
kept nowhere but in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from wizard import pki
from wizard.pki.keys import parse_private_key
from wizard.ccm.record import ccm_ca_id, records_ccm
from wizard.environment import CA_PASSWORD_ENV
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.safe_text import first_control_character
from wizard.workspace import SECRET_MODE, Workspace, read_bytes

ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
# Gives the CA key's passphrase when the core needs it; None: there is none to give.
Unlock = Callable[[], "str | None"]


class CaLocked(WizardError):
    """ca/ca.key is under a passphrase and none was given."""


class WrongPassphrase(WizardError):
    """The passphrase given does not open ca/ca.key."""


def given(passphrase: str | None) -> Unlock:
    """An Unlock that gives `passphrase` (None: none)."""
    return lambda: passphrase


def is_encrypted_pem(data: bytes) -> bool:
    return ENCRYPTED_PEM in data[:4096]


def is_encrypted(ws: Workspace) -> bool:
    """Whether ca/ca.key is under a passphrase (False when there is none: a CA held in CCM has no key here)."""
    path = ws.key("ca")
    if not path.exists():
        return False
    try:
        return is_encrypted_pem(read_bytes(path))
    except (OSError, WizardError):
        return False


def validate_passphrase(passphrase: str) -> list[str]:
    """A new passphrase: refused when empty or holding a control character; a warning when short."""
    if not passphrase:
        raise InputError(_("the CA passphrase is empty: give one, or leave the CA key without a passphrase"))
    control = first_control_character(passphrase)
    if control:
        raise InputError(_("the CA passphrase holds a control character ({character}): use printable characters only").format(character=control))
    if len(passphrase) < 12:
        return [_("the CA passphrase has fewer than 12 characters: whoever copies ca/ca.key may guess it; a longer one is safer")]
    return []


def key_file_bytes(key: pki.PrivateKey, passphrase: str | None) -> bytes:
    """ca/ca.key's bytes: PKCS#8, under `passphrase` (AES-256) when one is given."""
    if not passphrase:
        return pki.key_to_pem(key)
    encryption = serialization.BestAvailableEncryption(passphrase.encode("utf-8"))  # PBES2, AES-256-CBC
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def open_key(data: bytes, passphrase: str | None, what: str) -> pki.PrivateKey:
    """The key in `data`, decrypted with `passphrase` when it is encrypted. `what` names the key ("CA key (ca/ca.key)")."""
    if not is_encrypted_pem(data):
        return pki.load_key_pem(data, what)
    if not passphrase:
        raise CaLocked(_("the {what} is protected by a passphrase: give --ca-password-file FILE or set {variable} "
                         "(on a terminal it is asked for)").format(what=what, variable=CA_PASSWORD_ENV))
    try:
        key = parse_private_key(data, password=passphrase.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise WrongPassphrase(_("the CA passphrase is wrong: the {what} did not open with it; nothing was written").format(what=what)) from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise InputError(_("the {what} is a {key_type} key: only RSA and ECDSA keys are supported").format(what=what, key_type=pki.key_type_of(key)))
    return key


def load_key(ws: Workspace, unlock: Unlock | None) -> pki.PrivateKey:
    """ca/ca.key, opened with the passphrase `unlock` gives when it is encrypted."""
    data = read_bytes(ws.key("ca"))
    passphrase = unlock() if unlock is not None and is_encrypted_pem(data) else None
    return open_key(data, passphrase, _("CA key (ca/ca.key)"))


def check_passphrase(ws: Workspace, passphrase: str) -> None:
    """WrongPassphrase unless `passphrase` opens ca/ca.key (a face checks before any work starts)."""
    open_key(read_bytes(ws.key("ca")), passphrase, _("CA key (ca/ca.key)"))


def refuse_in_ccm(ws: Workspace) -> None:
    """A CA held in CCM has no key here: a passphrase does not apply to it (say so, once asked)."""
    if records_ccm(ws):
        raise InputError(_("the CA of {workspace} is held in CCM (private CA {ca_id}): its key never leaves CCM, so there is no "
                           "ca/ca.key to put a passphrase on").format(workspace=ws.root, ca_id=ccm_ca_id(ws) or "?"))


def change_passphrase(ws: Workspace, unlock: Unlock | None, new: str | None) -> tuple[Path | None, list[str]]:
    """Put ca/ca.key under the passphrase `new` (None: take the passphrase off), opened with
    `unlock`'s when it has one. The old file goes into a backup folder first. Returns the
    backup folder and the warnings (a short passphrase)."""
    warnings = validate_passphrase(new) if new is not None else []
    with ws.locked() as hold:
        refuse_in_ccm(ws)
        if not ws.key("ca").exists():
            raise WizardError(_("there is no CA key at {file}: create the CA first (step 1, or {command})").format(
                file=ws.relative(ws.key("ca")), command="mtls-wizard generate"))
        encrypted = is_encrypted(ws)
        if new is None and not encrypted:
            raise WizardError(_("ca/ca.key has no passphrase: there is nothing to remove"))
        key = load_key(ws, unlock)
        backup = ws.backup([ws.key("ca")])
        ws.write_files({ws.key("ca"): (key_file_bytes(key, new), SECRET_MODE)})
    return backup, [*hold.notices, *warnings]
