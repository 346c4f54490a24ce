"""The CA certificate the practice load balancer comes with: another team's.

A listener that trusts it instead of the workspace's CA is the commonest mistake behind "our
client certificate is refused": step 6 can point the practice listener at it, and step 7 then
fails with that diagnosis. Its key is made, used once to sign, and thrown away: nobody can
issue a certificate it vouches for.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SUBJECT = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Another Team"),
                     x509.NameAttribute(NameOID.COMMON_NAME, "Another Team Root CA (practice)")])


def make_other_ca(days: int = 3650) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    return (
        x509.CertificateBuilder().subject_name(SUBJECT).issuer_name(SUBJECT).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
