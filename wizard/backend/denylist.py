"""The deny-list a backend kit enforces: the workspace's revoked serial numbers and the
fingerprints of the revoked certificates, in every spelling a header may carry them.

ca/revoked.json holds each revoked serial (upper-case hex of whole bytes, the form nginx's
$ssl_client_serial and so ELB forward) and its SHA-256 fingerprint. A forwarded serial may also
arrive in lower case, with colons between the bytes, without its leading zero, or with the extra
zero byte DER puts before a number whose top bit is set. The forwarded fingerprint follows nginx's
$ssl_client_fingerprint (SHA-1, lower-case hex); SHA-1 needs the certificate itself, so the
revoked certificates are looked for in the workspace (their clients' folders and the backups).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from wizard import pki
from wizard.clients.revocation import read_record, serial_text
from wizard.errors import WizardError
from wizard.workspace import Workspace, read_bytes

# Where a workspace keeps client certificates: the tutorial's client, named clients, and backups of both.
CERTIFICATE_PLACES = ("client/*.crt", "clients/*/*.crt", "backup-*/client/*.crt", "backup-*/clients/*/*.crt")


@dataclass(frozen=True)
class DenyList:
    """`serials`: canonical (upper-case hex, whole bytes); `fingerprints`: lower-case hex without
    colons (SHA-1 and SHA-256); `without_sha1`: revoked serials whose certificate was not found."""

    serials: tuple[str, ...] = ()
    fingerprints: tuple[str, ...] = ()
    without_sha1: tuple[str, ...] = ()


def _pairs(digits: str) -> str:
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def minimal_serial(serial: str) -> str:
    """A serial without colons or leading zeros, in lower case: one spelling for every form."""
    return serial.replace(":", "").lower().lstrip("0") or "0"


def serial_spellings(serial: str) -> list[str]:
    """Every spelling of a canonical serial a header may carry, in lower case (the servers compare
    without regard to case): as is, without its leading zero, with DER's sign byte, with colons."""
    whole = serial.lower()
    forms = [whole, minimal_serial(serial)]
    if whole[:1] in tuple("89abcdef"):
        forms.append("00" + whole)  # DER's extra zero byte before a number whose top bit is set
    forms += [_pairs(form) for form in list(forms) if len(form) % 2 == 0 and len(form) > 2]
    return list(dict.fromkeys(forms))


def fingerprint_spellings(fingerprint: str) -> list[str]:
    """A fingerprint (lower-case hex) as is and with colons between the bytes."""
    return list(dict.fromkeys([fingerprint, _pairs(fingerprint)]))


def _certificates(ws: Workspace) -> Iterator[x509.Certificate]:
    """Every readable client certificate of the workspace, backups included."""
    for pattern in CERTIFICATE_PLACES:
        for path in sorted(ws.root.glob(pattern)):
            try:
                yield pki.load_cert_pem(read_bytes(path), str(path))
            except (OSError, WizardError, ValueError):
                continue


def _hex(fingerprint: str) -> str:
    return fingerprint.replace(":", "").lower()


def fingerprints_of(cert: x509.Certificate) -> list[str]:
    return [cert.fingerprint(hashes.SHA1()).hex(), cert.fingerprint(hashes.SHA256()).hex()]


def read_deny_list(ws: Workspace) -> DenyList:
    """The deny-list from ca/revoked.json (empty before any revocation); an unreadable record stops."""
    entries = read_record(ws)["revoked"]
    serials = list(dict.fromkeys(str(entry.get("serial", "")).upper() for entry in entries if entry.get("serial")))
    fingerprints = [_hex(str(entry["fingerprint"])) for entry in entries if entry.get("fingerprint")]
    wanted, found = set(serials), set()
    if wanted:
        for cert in _certificates(ws):
            serial = serial_text(cert.serial_number)
            if serial in wanted:
                found.add(serial)
                fingerprints += fingerprints_of(cert)
    return DenyList(serials=tuple(serials), fingerprints=tuple(dict.fromkeys(fingerprints)),
                    without_sha1=tuple(serial for serial in serials if serial not in found))


def unique_lower(values: Iterable[str]) -> list[str]:
    """Each value once, compared in lower case (nginx refuses a map with the same key twice)."""
    return list(dict.fromkeys(value.lower() for value in values))


def all_serial_spellings(deny: DenyList) -> list[str]:
    return unique_lower(spelling for serial in deny.serials for spelling in serial_spellings(serial))


def all_fingerprint_spellings(deny: DenyList) -> list[str]:
    return unique_lower(spelling for fingerprint in deny.fingerprints for spelling in fingerprint_spellings(fingerprint))


def deny_list_of(serials: Iterable[str], fingerprints: Iterable[str] = ()) -> DenyList:
    """A deny-list from given values (canonical serials, hex fingerprints): for previews and tests."""
    return DenyList(serials=tuple(s.upper() for s in serials), fingerprints=tuple(_hex(f) for f in fingerprints))


__all__ = ["DenyList", "all_fingerprint_spellings", "all_serial_spellings", "deny_list_of", "fingerprint_spellings",
           "minimal_serial", "read_deny_list", "serial_spellings"]
