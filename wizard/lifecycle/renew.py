"""Renewing certificates before they expire.

- The server certificate and a client's: a new certificate from the same CA, with the same
  subject (and SANs), a new serial and validity; a new key unless `keep_key`. The new set is
  staged, then switched in as one (wizard.replacement): the old files move to
  backup-<timestamp>/. A client's .p12 is rebuilt in the format it had.
- A half-replaced set is renewed, not refused: an interrupted renewal is finished by taking the
  lock, and a certificate an older version lost is taken from the last backup.
- The CA: a new self-signed certificate for the same key and subject, so everything it
  signed stays valid; only what holds the CA certificate (the load balancer) needs it again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from wizard import pki
from wizard.ca_key import Unlock
from wizard.clients.names import client_files, validate_client_name
from wizard.clients.revocation import is_revoked
from wizard.defaults import CA_DAYS, CLIENT_DAYS, SERVER_DAYS
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.safe_text import printable
from wizard.sets import newest_copy, replaced_ca_of
from wizard.steps import StepOutcome, leaf_files, load_ca
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, LockHold, Workspace, read_bytes


@dataclass
class CaRenewal:
    """The CA certificate was renewed for the same key: what the session must know."""

    certificate: dict[str, str]
    files: list[Path]
    backup: Path | None
    re_upload: list[str] = field(default_factory=list)  # what must reach the load balancer again
    warnings: list[str] = field(default_factory=list)


def current_certificate(ws: Workspace, path: Path, what: str, set_files: list[Path]) -> tuple[x509.Certificate, list[str]]:
    """The certificate to renew, and a warning when it came from a backup: a set that a run of an
    older version left half-replaced (its key or .p12 there, its certificate gone) is renewed
    from the last copy of its certificate, instead of being refused."""
    if path.exists():
        return pki.load_cert_pem(read_bytes(path), what), []
    copy = newest_copy(ws, ws.relative(path)) if any(p.exists() for p in set_files) else None
    if copy is None:
        raise WizardError(_("there is no {what} to renew at {file}: issue one first").format(what=what, file=ws.relative(path)))
    warning = _("{file} was missing (a half-replaced set): renewed from its last copy, {copy}").format(
        file=ws.relative(path), copy=ws.relative(copy))
    return pki.load_cert_pem(read_bytes(copy), what), [warning]


def _key_for(ws: Workspace, key_path: Path, cert: x509.Certificate, keep_key: bool) -> tuple[pki.PrivateKey, bool]:
    """(key, is_new): the existing key when kept (it must match), else a new one of the same type."""
    if keep_key:
        key = pki.load_key_pem(read_bytes(key_path), ws.relative(key_path))
        if not pki.keys_match(key, cert):
            raise WizardError(_("{file} does not belong to the certificate: renew without --keep-key").format(file=ws.relative(key_path)))
        return key, False
    key_type = pki.key_type_of(cert.public_key())
    if key_type not in pki.KEY_TYPES:
        key_type = pki.DEFAULT_KEY_TYPE
    return pki.generate_key(key_type), True


def _signed_by_workspace_ca(ws: Workspace, cert: x509.Certificate, what: str,
                            unlock: Unlock | None) -> tuple[pki.PrivateKey, x509.Certificate, list[str]]:
    """The CA to sign with (`unlock`: its key's passphrase), and a warning when `cert` came from a CA
    this workspace replaced since (renewing it moves it to the workspace CA)."""
    ca_key, ca_cert = load_ca(ws, unlock)
    if pki.verify_issued_by(cert, ca_cert):
        return ca_key, ca_cert, []
    replaced = replaced_ca_of(ws, cert)
    if replaced is None:
        raise WizardError(_("the {what} was not issued by this workspace's CA ({issuer}): "
                            "renew it where it was issued, then bring the new one in").format(
            what=what, issuer=pki.cn_of(cert.issuer) or cert.issuer.rfc4514_string()))
    return ca_key, ca_cert, [_("the {what} was issued by a CA this workspace replaced since ({file}): the renewed one is issued by the "
                               "workspace CA").format(what=what, file=ws.relative(replaced))]


def finished_already(hold: LockHold, label: str) -> bool:
    """True when taking the lock finished an interrupted run of this very renewal: its new set is in
    place, and renewing again would only replace it once more."""
    return hold.recovered is not None and hold.recovered.finished and hold.recovered.label == label


def as_finished(ws: Workspace, role: str, files: list[Path], hold: LockHold) -> StepOutcome:
    assert hold.recovered is not None
    cert = pki.load_cert_pem(read_bytes(files[2]))
    backup = ws.root / hold.recovered.backup if hold.recovered.backup else None
    said = _("the interrupted renewal was finished (its new files are the renewal asked for), so it was not renewed a second time")
    return StepOutcome(role, files, pki.cert_info(cert), backup=backup, warnings=[*hold.notices, said])


def renew_server(ws: Workspace, *, days: int = SERVER_DAYS, keep_key: bool = False, unlock: Unlock | None = None) -> StepOutcome:
    """A new server certificate from the same CA (`unlock`: the CA key's passphrase, when it is under one)."""
    with ws.locked() as hold:  # one writer at a time, for the whole read-check-write
        if finished_already(hold, "renew server"):
            return as_finished(ws, "server", ws.artifacts("server"), hold)
        old, found = current_certificate(ws, ws.cert("server"), _("server certificate"), ws.artifacts("server"))
        ca_key, ca_cert, moved = _signed_by_workspace_ca(ws, old, _("server certificate"), unlock)
        pki.validate_days(days, _("server certificate"))
        key, new_key = _key_for(ws, ws.key("server"), old, keep_key)
        names = [entry.split(":", 1)[1] for entry in pki.san_strings(old) if entry.startswith(("DNS:", "IP:"))]
        cn = pki.cn_of(old.subject) or (names[0] if names else "")
        org = pki.attribute_of(old.subject, NameOID.ORGANIZATION_NAME) or pki.DEFAULT_ORG
        issued = pki.issue_server(ca_key, ca_cert, key, cn=cn, sans=names, org=org, days=days)
        # kept keys are written again: the old set, key too, goes to the backup as a whole
        backup = ws.replace_files("renew server", leaf_files(ws, "server", issued), remove=ws.artifacts("server"))
        kept = [] if new_key else [_("the key is kept: renew without --keep-key to replace it too")]
        warnings = [*found, *moved, *pki.leaf_validity_warnings("server", days, ca_cert), *kept]
        return StepOutcome("server", ws.artifacts("server"), pki.cert_info(issued.cert), backup=backup, warnings=[*hold.notices, *warnings])


def renew_client(ws: Workspace, name: str, password: str, *, days: int = CLIENT_DAYS, keep_key: bool = False,
                 password_file: bool = False, unlock: Unlock | None = None) -> StepOutcome:
    """A client's certificate and .p12 (the tutorial's `client` or a named one); `password_file`:
    the new .p12's password is written beside it (NAME.p12-password), as --random-passwords does;
    `unlock`: the CA key's passphrase, when it is under one."""
    with ws.locked() as hold:  # one writer at a time, for the whole read-check-write
        validate_client_name(name)
        files = client_files(ws, name)
        if finished_already(hold, f"renew client {name}"):
            return as_finished(ws, "client", [files.key, files.csr, files.cert, files.p12], hold)
        what = _("certificate of the client {name}").format(name=name)
        old, found = current_certificate(ws, files.cert, what, files.artifacts)
        if is_revoked(ws, old):  # renewing would quietly let a client back in
            raise WizardError(_("the client {name} is revoked, so it is not renewed: issue a new client under another name "
                                "(client issue NAME), or, to let {name} back in on purpose, client issue {name} --force").format(name=name))
        ca_key, ca_cert, moved = _signed_by_workspace_ca(ws, old, what, unlock)
        pki.validate_days(days, _("client certificate"))
        pki.validate_p12_password(password)
        key, _new_key = _key_for(ws, files.key, old, keep_key)
        legacy = files.p12.exists() and pki.p12_protection(read_bytes(files.p12))["mode"] == "legacy"
        org = pki.attribute_of(old.subject, NameOID.ORGANIZATION_NAME) or pki.DEFAULT_ORG
        issued = pki.issue_client(ca_key, ca_cert, key, cn=pki.cn_of(old.subject) or name, org=org, days=days)
        p12 = pki.export_p12(key, issued.cert, password, legacy=legacy, friendly_name=name)
        new_files = {files.key: (pki.key_to_pem(key), SECRET_MODE), files.csr: (pki.csr_to_pem(issued.csr), PUBLIC_MODE),
                     files.cert: (pki.cert_to_pem(issued.cert), PUBLIC_MODE), files.p12: (p12, SECRET_MODE)}
        if password_file:
            new_files[files.password] = ((password + "\n").encode(), SECRET_MODE)
        backup = ws.replace_files(f"renew client {name}", new_files, remove=files.artifacts)
        return StepOutcome("client", [files.key, files.csr, files.cert, files.p12], pki.cert_info(issued.cert), backup=backup,
                           warnings=[*hold.notices, *found, *moved, *pki.leaf_validity_warnings("client", days, ca_cert)])


def renew_ca(ws: Workspace, *, days: int = CA_DAYS, unlock: Unlock | None = None) -> CaRenewal:
    """A new CA certificate for the same key and subject: every certificate it signed stays valid.
    The key file is not touched (a passphrase on it stays)."""
    with ws.locked() as hold:  # one writer at a time, for the whole read-check-write
        ca_key, old = load_ca(ws, unlock)
        pki.validate_days(days, "CA")
        if old.issuer != old.subject:
            # Signed by another CA (an intermediate brought in): a self-signed renewal would
            # silently turn it into a new root that no client trusts.
            raise WizardError(_("the CA in {folder} is signed by {issuer}, not by itself: renew it where it was issued, "
                                "then bring the new certificate in with --ca-cert FILE --ca-key FILE --new-ca").format(
                folder=ws.relative(ws.cert("ca").parent), issuer=printable(old.issuer.rfc4514_string())))
        cert = renewed_ca_certificate(ca_key, old, days)
        backup = ws.replace_files("renew ca", {ws.cert("ca"): (pki.cert_to_pem(cert), PUBLIC_MODE)})
        re_upload = [_("the CA certificate (step 5: elb upload, or the console), and the listener's CA certificate (step 6)")]
        return CaRenewal(pki.cert_info(cert), [ws.cert("ca")], backup, re_upload, warnings=list(hold.notices))


def renewed_ca_certificate(key: pki.PrivateKey, old: x509.Certificate, days: int, now: dt.datetime | None = None) -> x509.Certificate:
    """The same subject, key and key identifier, a new serial and validity (the profile of step 1)."""
    start = (now or pki.utc_now()) - pki.BACKDATE
    try:
        constraints = old.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = x509.BasicConstraints(ca=True, path_length=0)
    try:  # the same key identifier: the leaves' authority key identifiers must keep matching it
        ski = old.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False)
    return (
        x509.CertificateBuilder()
        .subject_name(old.subject).issuer_name(old.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))
        .add_extension(ski, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=constraints.path_length), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, pki.signing_hash(key))
    )

