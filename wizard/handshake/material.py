"""The certificates a check works with: the workspace's, a throwaway foreign one, the server's.

Crypto on `cryptography`, files read once; no sockets.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from wizard import pki
from wizard.errors import WizardError
from wizard.handshake.model import ClientFacts, ServerCertificate
from wizard.i18n import N_, _
from wizard.workspace import Workspace, read_bytes


@dataclass
class Material:
    """The workspace files a check uses, read and parsed once."""

    ca_file: Path
    client_cert_file: Path
    client_key_file: Path
    ca: x509.Certificate
    server_der: bytes | None
    server_cn: str | None
    client: ClientFacts
    server_issued_by_ca: bool | None = None  # None: no server certificate in the workspace


def load_material(ws: Workspace, client_name: str | None = None) -> Material:
    """The CA, a client's certificate and key (the tutorial's, or the named client's) and the
    server certificate, if any; WizardError naming the fix."""
    from wizard.clients.names import TUTORIAL_CLIENT, client_files, validate_client_name
    from wizard.clients.revocation_record import revoked_serials
    from wizard.elb.headers import serial_header_value

    name = validate_client_name(client_name) if client_name else TUTORIAL_CLIENT
    files = client_files(ws, name)
    if name != TUTORIAL_CLIENT and not files.cert.exists():
        raise WizardError(_("there is no client {name!r} in {workspace}: see mtls-wizard client list for the names").format(name=name, workspace=ws.root))
    needed = {  # one whole message per file
        N_("no CA certificate at {path}: run mtls-wizard generate (steps 1-3) for this workspace first, or pass --workspace"): ws.cert("ca"),
        N_("no client certificate at {path}: run mtls-wizard generate (steps 1-3) for this workspace first, or pass --workspace"): files.cert,
        N_("no client key at {path}: run mtls-wizard generate (steps 1-3) for this workspace first, or pass --workspace"): files.key,
    }
    for missing, path in needed.items():
        if not path.is_file():
            raise WizardError(_(missing).format(path=path))
    try:
        ca = pki.load_cert_pem(read_bytes(ws.cert("ca")), _("CA certificate"))
        client = pki.load_cert_pem(read_bytes(files.cert), _("client certificate"))
        server_der, server_cn = None, None
        if ws.cert("server").is_file():
            server = pki.load_cert_pem(read_bytes(ws.cert("server")), _("server certificate"))
            server_der = server.public_bytes(serialization.Encoding.DER)
            server_cn = pki.cn_of(server.subject)
    except OSError as error:
        raise WizardError(_("cannot read the workspace {workspace}: {reason}").format(workspace=ws.root, reason=error.strerror or error)) from None
    serial = serial_header_value(client.serial_number)  # as the record writes it (revocation.serial_text)
    facts = ClientFacts(ca_subject=ca.subject.rfc4514_string(), not_before=client.not_valid_before_utc,
                        not_after=client.not_valid_after_utc, has_server_cert=server_der is not None,
                        name=name, revoked=serial in revoked_serials(ws), serial=serial,
                        fingerprints=(client.fingerprint(hashes.SHA1()).hex(), client.fingerprint(hashes.SHA256()).hex()))  # noqa: S303 - identifiers
    return Material(ca_file=ws.cert("ca"), client_cert_file=files.cert, client_key_file=files.key,
                    ca=ca, server_der=server_der, server_cn=server_cn, client=facts,
                    server_issued_by_ca=pki.verify_issued_by(server, ca) if server_der is not None else None)


# The throwaway foreign identity (EC P-256), made once per process: making it costs more than a handshake.
_foreign_lock = threading.Lock()
_foreign: tuple[x509.Certificate, pki.PrivateKey] | None = None


def foreign_identity() -> tuple[x509.Certificate, pki.PrivateKey]:
    """A client certificate and its key from a CA nobody trusts; cached per process."""
    global _foreign
    with _foreign_lock:
        if _foreign is None:
            ca_key, client_key = pki.generate_key("ec-p256"), pki.generate_key("ec-p256")
            ca = pki.create_ca(ca_key, org="mtls-wizard foreign test", cn="Untrusted Throwaway CA", days=1)
            client = pki.issue_client(ca_key, ca.cert, client_key, cn="stranger", org="mtls-wizard foreign test", days=1)
            _foreign = (client.cert, client_key)
        return _foreign


def foreign_identity_pem() -> bytes:
    """The foreign identity as PEM (certificate, then key), e.g. for `curl --cert`."""
    cert, key = foreign_identity()
    return pki.cert_to_pem(cert) + pki.key_to_pem(key)


def server_facts(der: bytes, material: Material, name: str, now: dt.datetime) -> ServerCertificate:
    """What the certificate the listener presented is, against the workspace and the name sent."""
    cert = x509.load_der_x509_certificate(der)
    return ServerCertificate(
        subject=cert.subject.rfc4514_string(), sans=pki.san_strings(cert), issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc.isoformat(), not_after=cert.not_valid_after_utc.isoformat(),
        fingerprint=pki.fingerprint(cert), is_workspace_cert=der == material.server_der,
        verifies_against_ca=pki.verify_issued_by(cert, material.ca), matches_sni=covers_name(cert, name),
        expired=cert.not_valid_after_utc < now, not_yet_valid=cert.not_valid_before_utc > now,
    )


def covers_name(cert: x509.Certificate, name: str) -> bool:
    """True when the certificate is valid for `name` (SAN DNS with one-label wildcards, SAN IP, else the CN)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return (pki.cn_of(cert.subject) or "").lower() == name.lower()
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return address in san.get_values_for_type(x509.IPAddress)
    wanted = name.lower().rstrip(".")
    for pattern in san.get_values_for_type(x509.DNSName):
        pattern = pattern.lower().rstrip(".")
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted and wanted.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def name_text(name: x509.Name) -> str:
    """An X.509 name as RFC 4514 text (most specific first), whatever odd attributes it holds."""
    try:
        return name.rfc4514_string()
    except ValueError:
        return "#" + name.public_bytes().hex()

