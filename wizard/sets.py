"""The workspace's sets of files, whether each is whole, and the backups that hold older ones.

A set is what one replacement writes (wizard.replacement): the CA (key, certificate), the
server (key, certificate) and each client (key, certificate, .p12). A set is `broken` when a
piece is missing or unreadable or its key does not belong to its certificate, and `old-ca` when
its certificate was not issued by the workspace CA (a CA replaced since: no listener holding
the new CA lets it in). `status`, `client list`, `renew` and `restore` judge sets here.
"""

from __future__ import annotations

import os
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from wizard import ownership, pki
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.replacement import BACKUP_NAME
from wizard.workspace import Workspace, read_bytes

BROKEN, OLD_CA = "broken", "old-ca"


@dataclass(frozen=True)
class LeafSet:
    """The files of one leaf certificate: the server's, or a client's (with its .p12)."""

    key: Path
    cert: Path
    p12: Path | None = None

    @property
    def files(self) -> list[Path]:
        return [self.key, self.cert, *([self.p12] if self.p12 else [])]


@dataclass(frozen=True)
class Checked:
    """A set as found: its certificate (when readable), its state (None: whole and issued by the
    workspace CA; BROKEN or OLD_CA) and why, in one line."""

    cert: x509.Certificate | None
    state: str | None = None
    why: str = ""


def check_leaf(ws: Workspace, leaf: LeafSet, ca_cert: x509.Certificate | None, present: Container[str] | None = None) -> Checked:
    """The set's state; `ca_cert` None (no readable workspace CA) leaves the issuer unchecked.
    `present`: the names in the set's folder, when the caller listed it already (one listing for
    the whole set instead of a look-up per file; a set's files share one folder)."""
    files = [os.fspath(path) for path in leaf.files]
    return check_files(ws, files[0], files[1], files[2] if leaf.p12 else None, ca_cert, present)


# (the key belongs to the certificate: None when it is not a readable key; the CA issued it: None unasked)
Verdict = tuple[bool | None, bool | None]


def judge(key: str, cert: x509.Certificate, ca_cert: x509.Certificate | None, issued_by: pki.IssuedBy | None = None) -> Verdict:
    """The key file against its certificate, then the certificate against the workspace CA (when
    there is one and the key belongs); WizardError when the key cannot be read."""
    matches = pki.key_pem_matches(read_bytes(key), cert)
    if not matches or ca_cert is None:
        return matches, None
    return matches, issued_by(cert) if issued_by is not None else pki.verify_issued_by(cert, ca_cert)


class Judged:
    """How check_files judges one set: `judge` afresh, unless `recall` knows the verdict already
    (wizard.clients.survey remembers them: then the certificate stands in, read when needed)."""

    def recall(self) -> tuple[x509.Certificate, Verdict] | None:
        return None

    def __call__(self, cert: x509.Certificate) -> Verdict:
        raise NotImplementedError


def check_files(ws: Workspace, key: str, cert_path: str, p12: str | None, ca_cert: x509.Certificate | None,
                present: Container[str] | None = None, issued_by: pki.IssuedBy | None = None, judged: Judged | None = None) -> Checked:
    """check_leaf on paths as strings (the client survey checks thousands of sets: no Path objects;
    `issued_by`: pki.IssuedBy(ca_cert), made once for all of them; `judged`: see Judged)."""
    files = [key, cert_path, *([p12] if p12 else [])]
    missing = [path for path in files if (os.path.basename(path) not in present if present is not None else not os.path.lexists(path))]
    if missing:  # the certificate, when it is there, still tells what to renew
        cert_there = cert_path not in missing
        return Checked(_readable_cert(ws, cert_path) if cert_there else None, BROKEN, _("{file} is missing").format(file=ws.relative(missing[0])))
    try:
        remembered = judged.recall() if judged is not None else None
        if remembered is not None:
            cert, (matches, issued) = remembered
        else:
            cert = _load_cert(ws, cert_path)
            matches, issued = judged(cert) if judged is not None else judge(key, cert, ca_cert, issued_by)
    except WizardError as error:
        return Checked(None, BROKEN, str(error))
    if matches is None:
        return Checked(cert, BROKEN, _("{key} is not a readable private key").format(key=ws.relative(key)))
    if not matches:
        return Checked(cert, BROKEN, _("{key} does not belong to {cert}").format(key=ws.relative(key), cert=ws.relative(cert_path)))
    if ca_cert is not None and not issued:
        return Checked(cert, OLD_CA, _("{cert} was not issued by the workspace CA (ca/ca.crt)").format(cert=ws.relative(cert_path)))
    return Checked(cert)


def _readable_cert(ws: Workspace, path: str) -> x509.Certificate | None:
    try:
        return _load_cert(ws, path)
    except WizardError:
        return None


def _load_cert(ws: Workspace, path: str) -> x509.Certificate:
    data = read_bytes(path)
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:  # named only now: its workspace path is worked out for the message alone
        return pki.load_cert_pem(data, ws.relative(path))


def workspace_ca(ws: Workspace) -> x509.Certificate | None:
    """ca/ca.crt (the first certificate of it), None when missing or unreadable."""
    try:
        return pki.load_cert_pem(read_bytes(ws.cert("ca")))
    except WizardError:
        return None


# ---------------------------------------------------------------------------
# The backups
# ---------------------------------------------------------------------------


def backups(ws: Workspace) -> list[Path]:
    """The backup folders, newest first (by their time stamp, then their number)."""
    try:
        names = [entry.name for entry in os.scandir(ws.root) if BACKUP_NAME.match(entry.name) and entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []

    def age(name: str) -> tuple[str, int]:
        parts = name.split("-")
        return "".join(parts[1:3]), int(parts[3]) if len(parts) > 3 else 1

    return [ws.root / name for name in sorted(names, key=age, reverse=True)]


def newest_copy(ws: Workspace, relative: str) -> Path | None:
    """The newest backup's copy of a workspace file (its path relative to the workspace), if any
    that is ours (a backup is read only when nobody else could have planted it)."""
    for folder in backups(ws):
        path = folder / relative
        try:
            if ownership.check_path(path, secret=path.suffix == ".key") and path.is_file():
                return path
        except ownership.Untrusted:
            continue
    return None


def backup_cas(ws: Workspace) -> list[tuple[Path, x509.Certificate]]:
    """Every readable CA certificate in the backups (the CAs this workspace had before), newest first."""
    found = []
    for folder in backups(ws):
        path = folder / "ca" / "ca.crt"
        try:
            if path.is_file() and ownership.check_path(path):
                found.append((path, pki.load_cert_pem(read_bytes(path))))
        except WizardError:
            continue
    return found


def replaced_ca_of(ws: Workspace, cert: x509.Certificate, cas: list[tuple[Path, x509.Certificate]] | None = None) -> Path | None:
    """The backed-up CA certificate (an earlier CA of this workspace) that issued `cert`, if any
    (`cas`: backup_cas(ws), read once for many certificates)."""
    for path, ca_cert in backup_cas(ws) if cas is None else cas:
        if pki.verify_issued_by(cert, ca_cert):
            return path
    return None
