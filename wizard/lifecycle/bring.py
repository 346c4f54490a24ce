"""Bringing your own CA or server certificate into the workspace.

Many setups already have a private CA, and most serve a publicly trusted (purchased) server
certificate while only the client CA is private. Both are checked first, then copied into the
tutorial's places (ca/ca.crt + ca.key, server/server.crt + server.key); the originals are only
read. A server certificate's chain goes into server/server.crt after the leaf, in order, so
the load balancer gets leaf + chain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from wizard import ca_key, pki
from wizard.errors import InputError
from wizard.i18n import _
from wizard.steps import StepOutcome
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, Workspace, read_bytes

WEAK_HASHES = ("SHA-1", "MD5")


class KeyPasswordNeeded(InputError):
    """The key is encrypted and no password was given (a terminal may ask for it)."""


@dataclass(frozen=True)
class Brought:
    """Certificates and key read from the user's files, not yet checked."""

    chain: list[x509.Certificate]  # the certificate first, then what came with it
    key: pki.PrivateKey


def read_certificates(path: Path, what: str) -> list[x509.Certificate]:
    data = read_bytes(path)
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise InputError(_("{path} is not a readable {what} (PEM or DER)").format(path=path, what=what)) from None


def read_key(path: Path, password: str | None) -> pki.PrivateKey:
    data = read_bytes(path)
    loader = serialization.load_pem_private_key if b"-----BEGIN" in data else serialization.load_der_private_key
    try:
        key = loader(data, password=password.encode() if password else None)
    except TypeError:
        if password is None:
            raise KeyPasswordNeeded(_("{path} is encrypted: give its password (on a terminal it is asked for)").format(path=path)) from None
        raise InputError(_("{path} is not encrypted, or not in a form this tool reads: give it without a password").format(path=path)) from None
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(_("{path} is not a readable private key, or the password is wrong").format(path=path)) from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise InputError(_("{path} holds a {key_type} key: only RSA and ECDSA keys are supported").format(path=path, key_type=pki.key_type_of(key)))
    return key


def _valid_now(cert: x509.Certificate, what: str, now: dt.datetime) -> None:
    if cert.not_valid_before_utc > now:
        raise InputError(_("the {what} is not valid before {not_before:%Y-%m-%d %H:%M} UTC: check the clocks, or wait").format(
            what=what, not_before=cert.not_valid_before_utc))
    if cert.not_valid_after_utc <= now:
        raise InputError(_("the {what} expired on {not_after:%Y-%m-%d}: bring a current one").format(what=what, not_after=cert.not_valid_after_utc))


MIN_RSA_BITS = 2048


def _refuse_unfit(brought: Brought, what: str) -> None:
    """What no current TLS stack or ELB takes, whatever the role: names over X.509's limits,
    RSA keys under 2048 bits (in the key or any certificate of the chain)."""
    for cert in brought.chain:
        problem = pki.name_length_problem(cert)
        if problem:
            raise InputError(_("the {what} cannot be used: {problem}; bring one within the limits").format(what=what, problem=problem))
    keys = [brought.key.public_key(), *(cert.public_key() for cert in brought.chain)]
    weak = [key.key_size for key in keys if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS]
    if weak:
        raise InputError(_("the {what} comes with an RSA key of {bits} bits: current TLS stacks and ELB need at least {minimum}; "
                           "bring one with a 2048-bit or larger key").format(what=what, bits=weak[0], minimum=MIN_RSA_BITS))


def _refuse_oversized_chain(chain: list[x509.Certificate]) -> None:
    """ELB takes at most 11 certificates and 65,536 characters (leaf and chain): refuse more now,
    not at `status`, `elb export` or the upload."""
    if len(chain) > pki.ELB_MAX_CHAIN:
        raise InputError(_("the certificate with its chain is {count} certificates; ELB takes at most {limit}: "
                           "give only the intermediates between the leaf and its root").format(count=len(chain), limit=pki.ELB_MAX_CHAIN))
    size = sum(len(pki.cert_to_pem(cert)) for cert in chain)
    if size > pki.ELB_MAX_CERT_CHARS:
        raise InputError(_("the certificate with its chain is {size} characters of PEM; ELB takes at most {limit}: "
                           "give only the intermediates between the leaf and its root").format(size=size, limit=pki.ELB_MAX_CERT_CHARS))


def check_ca(brought: Brought, now: dt.datetime | None = None) -> list[str]:
    """Refuse what cannot serve as the workspace CA; return warnings for what merely may surprise."""
    _refuse_unfit(brought, _("CA certificate"))
    ca = brought.chain[0]
    try:
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise InputError(_("this certificate is not a CA certificate (no basicConstraints CA:TRUE): bring the CA's own certificate"))
    usages = pki.key_usages(ca)
    if usages and "keyCertSign" not in usages:
        raise InputError(_("this CA certificate may not sign certificates (its key usage lacks keyCertSign)"))
    if pki.signature_hash_name(ca) in WEAK_HASHES:
        raise InputError(_("this CA certificate is signed with {hash}, which current TLS stacks refuse: bring a SHA-256 one").format(
            hash=pki.signature_hash_name(ca)))
    if not pki.keys_match(brought.key, ca):
        raise InputError(_("the key does not belong to this CA certificate: bring the CA's own key"))
    _valid_now(ca, _("CA certificate"), now or pki.utc_now())
    warnings = []
    if ca.issuer != ca.subject:
        warnings.append(_("this CA is an intermediate: the load balancer and `openssl verify` will need the chain up to its root too"))
    if usages and "cRLSign" not in usages:
        warnings.append(_("this CA may not sign CRLs: `client revoke` will not work with it"))
    return warnings


def check_server(brought: Brought, server_name: str, now: dt.datetime | None = None) -> list[str]:
    """Refuse a server certificate that the load balancer could not serve for `server_name`."""
    _refuse_oversized_chain(brought.chain)
    _refuse_unfit(brought, _("server certificate"))
    leaf = brought.chain[0]
    if pki.is_ca(leaf):
        raise InputError(_("this is a CA certificate, not a server certificate: bring the site's certificate"))
    if not pki.keys_match(brought.key, leaf):
        raise InputError(_("the key does not belong to this server certificate: bring the key it was issued for"))
    _valid_now(leaf, _("server certificate"), now or pki.utc_now())
    usages = pki.extended_key_usages(leaf)
    if usages and "serverAuth" not in usages and "2.5.29.37.0" not in usages:
        raise InputError(_("this certificate may not serve TLS servers (its extended key usage lacks serverAuth)"))
    if server_name and not covers(leaf, server_name):
        names = ", ".join(pki.san_strings(leaf)) or pki.cn_of(leaf.subject) or _("nothing")
        raise InputError(_("this certificate does not cover {name} (it covers {names}): bring one for that name, or use its name").format(
            name=repr(server_name), names=names))
    for child, parent in zip(brought.chain, brought.chain[1:]):
        if not pki.verify_issued_by(child, parent):
            raise InputError(_("the chain is out of order: {child} is not signed by the next certificate ({parent}): "
                               "put them leaf first, then each issuer").format(child=_subject_name(child), parent=_subject_name(parent)))
    # A root's signature on itself is never checked; every other signature is.
    weak = [pki.signature_hash_name(c) for c in brought.chain if c.issuer != c.subject and pki.signature_hash_name(c) in WEAK_HASHES]
    if weak:
        raise InputError(_("the chain holds a certificate signed with {hash}, which current TLS stacks refuse").format(hash=weak[0]))
    return [] if len(brought.chain) > 1 or leaf.issuer == leaf.subject else [
        _("no chain came with the certificate: if its issuer is an intermediate CA, give --server-chain, or clients cannot verify it")]


def _subject_name(cert: x509.Certificate) -> str:
    return pki.cn_of(cert.subject) or cert.subject.rfc4514_string()


def covers(cert: x509.Certificate, name: str) -> bool:
    """The certificate is valid for `name` (a SAN DNS name, wildcard or IP; the CN without SANs)."""
    wanted = pki.normalise_name(name)
    entries = pki.san_strings(cert)
    if not entries:
        return (pki.cn_of(cert.subject) or "").lower() == wanted
    for entry in entries:
        kind, _colon, value = entry.partition(":")
        value = value.lower().rstrip(".")
        if kind == "IP" and value == wanted:
            return True
        if kind == "DNS" and (value == wanted or (value.startswith("*.") and "." in wanted and wanted.split(".", 1)[1] == value[2:])):
            return True
    return False


def checked_ca(cert_file: Path, key_file: Path, password: str | None = None) -> tuple[Brought, list[str]]:
    """Read and check a CA to bring (nothing is written); its warnings."""
    brought = Brought(read_certificates(cert_file, _("CA certificate"))[:1], read_key(key_file, password))
    return brought, check_ca(brought)


def checked_server(cert_file: Path, key_file: Path, chain_file: Path | None = None, server_name: str = "",
                   password: str | None = None) -> tuple[Brought, list[str]]:
    """Read and check a server certificate to bring, with its chain (nothing is written); its warnings."""
    chain = read_certificates(cert_file, _("server certificate"))
    if chain_file is not None:
        chain += read_certificates(chain_file, _("certificate chain"))
    brought = Brought(chain, read_key(key_file, password))
    return brought, check_server(brought, server_name)


def bring_ca(ws: Workspace, cert_file: Path, key_file: Path, *, password: str | None = None, replace: bool = False,
             protect: str | None = None) -> StepOutcome:
    """Check an existing CA and copy it into ca/ (the originals are only read); its key under the
    passphrase `protect` when one is given (wizard.ca_key), else unencrypted."""
    with ws.locked() as hold:  # one writer at a time, for the whole read-check-write
        brought, warnings = checked_ca(cert_file, key_file, password)
        warnings += ca_key.validate_passphrase(protect) if protect is not None else []
        ws.ensure()
        present = [p for p in ws.artifacts("ca") if p.exists()]
        if present and not replace:
            ws.refuse_existing(present, _("this workspace already has a CA: bring yours with --new-ca (the old files are backed up first), "
                                          "or use another --workspace"))
        # A new CA: what the old one signed and its records go to the backup with it.
        files = {ws.key("ca"): (ca_key.key_file_bytes(brought.key, protect), SECRET_MODE), ws.cert("ca"): (pki.cert_to_pem(brought.chain[0]), PUBLIC_MODE)}
        backup = ws.replace_files("generate --new-ca", files, remove=[*ws.all_artifacts(), *ws.ca_records()] if replace else [])
        return StepOutcome("ca", [ws.key("ca"), ws.cert("ca")], pki.cert_info(brought.chain[0]), backup=backup, warnings=[*hold.notices, *warnings])


def bring_server(ws: Workspace, cert_file: Path, key_file: Path, *, chain_file: Path | None = None, server_name: str = "",
                 password: str | None = None, force: bool = False) -> StepOutcome:
    """Check a purchased or corporate server certificate (and its chain) and copy it into server/."""
    with ws.locked() as hold:  # one writer at a time, for the whole read-check-write
        brought, warnings = checked_server(cert_file, key_file, chain_file, server_name, password)
        ws.ensure()
        present = [p for p in ws.artifacts("server") if p.exists()]
        if present and not force:
            ws.refuse_existing(present, _("re-run with --force to replace it (the old files are moved to a backup folder first)"))
        files = {ws.key("server"): (pki.key_to_pem(brought.key), SECRET_MODE),
                 ws.cert("server"): (b"".join(pki.cert_to_pem(c) for c in brought.chain), PUBLIC_MODE)}
        backup = ws.replace_files("generate --force", files, remove=present)
        return StepOutcome("server", [ws.key("server"), ws.cert("server")], pki.cert_info(brought.chain[0]), backup=backup, warnings=[*hold.notices, *warnings])


def adopt_brought_server(ws: Workspace) -> StepOutcome:
    """A server certificate in the workspace that another CA issued (brought in earlier): the
    same checks as when it was brought, read from server/server.crt and server.key."""
    brought = Brought(read_certificates(ws.cert("server"), _("server certificate")),
                      pki.load_key_pem(read_bytes(ws.key("server")), ws.relative(ws.key("server"))))
    warnings = check_server(brought, "")
    issuer = pki.cn_of(brought.chain[0].issuer) or brought.chain[0].issuer.rfc4514_string()
    warnings.insert(0, _("{file} was issued by {issuer}, not by this workspace's CA: it is used as a certificate you brought "
                         "(the handshake test checks it against the system's trusted CAs)").format(file=ws.relative(ws.cert("server")), issuer=issuer))
    return StepOutcome("server", [ws.key("server"), ws.cert("server")], pki.cert_info(brought.chain[0]), reused=True, warnings=warnings)


def issued_by_workspace_ca(ws: Workspace) -> bool | None:
    """Whether server/server.crt was issued by ca/ca.crt (None when either is missing or unreadable)."""
    try:
        ca = pki.load_cert_pem(read_bytes(ws.cert("ca")))
        server = read_certificates(ws.cert("server"), _("server certificate"))[0]
    except (InputError, OSError):
        return None
    return pki.verify_issued_by(server, ca)


def adopt_existing(ws: Workspace, role: str) -> StepOutcome:
    """The server or client files already in the workspace, taken over as they are: issued by
    the workspace CA (steps.adopt), or, for the server, brought from another CA."""
    from wizard.steps import adopt

    if role == "server" and issued_by_workspace_ca(ws) is False:
        return adopt_brought_server(ws)
    return adopt(ws, role)
