"""Certificates made old: signed again by the workspace CA over a window that started days ago, so
they are due for renewal without waiting for time to pass (never a fake clock in the product)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from wizard import pki
from wizard.ca_key import Unlock
from wizard.steps import load_ca
from wizard.workspace import Workspace


def age(ws: Workspace, path: Path, *, days_left: int, lifetime: int, unlock: Unlock | None = None, ca: tuple[Any, x509.Certificate] | None = None) -> None:
    """Sign the certificate at `path` again with the workspace CA: `lifetime` days, `days_left` of them to go
    (`unlock`: the CA key's passphrase, when it has one; `ca`: the CA's key and certificate, for a CA whose
    key is not in the workspace, e.g. held by the CCM stand-in)."""
    ca_key, ca_cert = ca or load_ca(ws, unlock)
    old = x509.load_pem_x509_certificate(path.read_bytes())
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(old.subject).issuer_name(ca_cert.subject).public_key(old.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=lifetime - days_left, hours=1))
               .not_valid_after(now + dt.timedelta(days=days_left, hours=-1)))
    for extension in old.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    path.write_bytes(pki.cert_to_pem(builder.sign(ca_key, hashes.SHA256())))


def client_from_the_past(ws: Workspace, name: str, password: str, *, days: int = 10, ended_days_ago: int = 1) -> None:
    """A whole client set (key, certificate, .p12) whose `days`-day validity ended `ended_days_ago` days ago."""
    from wizard.clients import client_files
    from wizard.workspace import SECRET_MODE, atomic_write

    ca_key, ca_cert = load_ca(ws)
    key = pki.generate_key("ec-p256")
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days + ended_days_ago)
    issued = pki.issue_client(ca_key, ca_cert, key, cn=name, days=days, now=past)
    files = client_files(ws, name)
    files.folder.mkdir(parents=True, mode=0o700)
    files.cert.write_bytes(pki.cert_to_pem(issued.cert))
    atomic_write(files.key, pki.key_to_pem(key), SECRET_MODE)  # a key others can read is refused
    atomic_write(files.p12, pki.export_p12(key, issued.cert, password, friendly_name=name), SECRET_MODE)
