"""A workspace with thousands of named clients, built fast for the benchmarks.

Each client gets a real certificate from the workspace CA with the wizard's own client profile
(`pki.issue_client`: clientAuth, a random serial, SKID/AKID), written where `client issue`
writes it (clients/NAME/NAME.crt, NAME.key and NAME.p12 0600), so each set is whole as `status`
and `client list` judge it. To stay fast, every client shares one private key (the layout holds a
key per client; listing only compares it with the certificate), each .p12 is sealed with a single
KDF round (nothing that lists or checks clients opens it; `client issue` uses 100,000) and no .csr
is written. Signing is spread over every core.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from wizard import pki, steps
from wizard.clients.names import client_files
from wizard.workspace import Workspace

_CHUNK = 250
_CHEAP_P12 = serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(1).build(b"bench password")


def _sign_chunk(root: str, names: list[str], key_pem: bytes) -> None:
    ws = Workspace(root)
    ca_key, ca_cert = steps.load_ca(ws)
    key = pki.load_key_pem(key_pem, "client key")
    for name in names:
        files = client_files(ws, name)
        files.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        issued = pki.issue_client(ca_key, ca_cert, key, cn=name)
        files.cert.write_bytes(pki.cert_to_pem(issued.cert))
        files.key.write_bytes(key_pem)
        files.key.chmod(0o600)
        files.p12.write_bytes(pkcs12.serialize_key_and_certificates(name.encode(), key, issued.cert, None, _CHEAP_P12))
        files.p12.chmod(0o600)


def add_clients(root: Path, names: list[str], key_type: str = "ec-p256") -> None:
    """Named clients `names` in the workspace at `root` (its CA must exist)."""
    key_pem = pki.key_to_pem(pki.generate_key(key_type))
    chunks = [names[start:start + _CHUNK] for start in range(0, len(names), _CHUNK)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for done in [pool.submit(_sign_chunk, str(root), chunk, key_pem) for chunk in chunks]:
            done.result()


def client_names(count: int, prefix: str = "client") -> list[str]:
    return [f"{prefix}-{index:05d}" for index in range(count)]
