"""Certificates made old on purpose: what a rotation finds due."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from wizard import pki
from wizard.ca_key import Unlock
from wizard.steps import load_ca
from wizard.workspace import Workspace


def age(ws: Workspace, path: Path, *, days_left: int, lifetime: int, unlock: Unlock | None = None) -> None:
    """Sign the certificate at `path` again with the workspace CA: `lifetime` days, `days_left` of them to go
    (`unlock`: the CA key's passphrase, when it has one)."""
    ca_key, ca_cert = load_ca(ws, unlock)
    old = x509.load_pem_x509_certificate(path.read_bytes())
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(old.subject).issuer_name(ca_cert.subject).public_key(old.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=lifetime - days_left, hours=1))
               .not_valid_after(now + dt.timedelta(days=days_left, hours=-1)))
    for extension in old.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    path.write_bytes(pki.cert_to_pem(builder.sign(ca_key, hashes.SHA256())))
