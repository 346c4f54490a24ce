"""Renewing the server's or a client's certificate when the workspace's CA is held in CCM.

The same renewal as wizard.lifecycle.renew (the same subject and names, a new serial and
validity, a new key unless kept, the old set moved to a backup as one), signed by the private CA
through the issuer seam: the workspace's CcmIssuer (what wizard.ccm.dispatch.issuer_for gives for it,
built here because dispatch chooses between this module and the local renewal) signs, then `settle`s
once the new files are in place (ca/issuer.json then records the new certificate id; the old one is listed as replaced).
The checks come first under the lock, the calls to CCM without it, the files last under it again.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

from wizard import pki, steps
from wizard.ccm import authority
from wizard.ccm.issuer import CcmIssuer
from wizard.ccm.record import ccm_ca_certificate, working_record
from wizard.clients.names import client_files, validate_client_name
from wizard.clients.revocation import is_revoked
from wizard.defaults import CLIENT_DAYS, SERVER_DAYS
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.issuers import IssuedLeaf, LeafRequest
from wizard.lifecycle.renew import as_finished, current_certificate, finished_already
from wizard.steps import StepOutcome
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, Workspace, read_bytes


def _issued_here(ws: Workspace, cert: x509.Certificate, what: str) -> x509.Certificate:
    """The CA certificate of the workspace, when `cert` was issued by it (else one line: renew it where it was issued)."""
    ca_cert = ccm_ca_certificate(ws)
    if not pki.verify_issued_by(cert, ca_cert):
        raise WizardError(_("the {what} was not issued by this workspace's private CA in CCM ({issuer}): renew it where it was "
                            "issued, then bring the new one in").format(what=what, issuer=pki.cn_of(cert.issuer) or cert.issuer.rfc4514_string()))
    return ca_cert


def _signed(ws: Workspace, request: LeafRequest, key: pki.PrivateKey | None) -> tuple[IssuedLeaf, CcmIssuer]:
    """The new certificate from CCM (the key made here when given: its CSR alone is sent), and the issuer to settle with."""
    from wizard.ccm import clients as ccm_clients  # the recorded target

    api = ccm_clients.connect(ws, None)[0]
    try:
        issuer = CcmIssuer(ws, api, working_record(ws), ccm_ca_certificate(ws), keys="local" if key is not None else "auto")
        authority.checked_active(api, issuer.record.ca_id)
        return issuer.sign_leaf(request, key), issuer
    finally:
        api.close()


def _leaf_files(paths: tuple, leaf: IssuedLeaf) -> dict:
    key_path, csr_path, cert_path = paths
    files = {key_path: (pki.key_to_pem(leaf.key), SECRET_MODE), cert_path: (pki.cert_to_pem(leaf.cert), PUBLIC_MODE)}
    if leaf.csr is not None:
        files[csr_path] = (pki.csr_to_pem(leaf.csr), PUBLIC_MODE)
    return files


def renew_server(ws: Workspace, *, days: int = SERVER_DAYS, keep_key: bool = False) -> StepOutcome:
    """A new server certificate from the private CA, for the same name and extra names (SANs)."""
    if keep_key:  # the SANs need the call where CCM makes the key (by CSR they are ignored)
        raise InputError(_("CCM makes the server's key itself (its extra names need that call), so the key cannot be kept: "
                           "renew without --keep-key"))
    what = _("server certificate")
    with ws.locked() as hold:
        if finished_already(hold, "renew server"):
            return as_finished(ws, "server", ws.artifacts("server"), hold)
        old, found = current_certificate(ws, ws.cert("server"), what, ws.artifacts("server"))
        ca_cert = _issued_here(ws, old, what)
        pki.validate_days(days, what)
        names = [entry.split(":", 1)[1] for entry in pki.san_strings(old) if entry.startswith(("DNS:", "IP:"))]
        cn = pki.cn_of(old.subject) or (names[0] if names else "")
        org = pki.attribute_of(old.subject, NameOID.ORGANIZATION_NAME) or pki.DEFAULT_ORG
        request = LeafRequest("server", cn, org, days, _key_type(old), sans=tuple(name for name in names if name != cn))
        before, notices = steps.files_state(ws), list(hold.notices)
    leaf, issuer = _signed(ws, request, None)
    with ws.locked() as hold:
        steps.refuse_if_changed(ws, before)
        backup = ws.replace_files("renew server", _leaf_files((ws.key("server"), ws.csr("server"), ws.cert("server")), leaf),
                                  remove=ws.artifacts("server"))
        issuer.settle(request, leaf)
    warnings = [*notices, *hold.notices, *found, *pki.leaf_validity_warnings("server", days, ca_cert)]
    return StepOutcome("server", [p for p in ws.artifacts("server") if p.exists()], pki.cert_info(leaf.cert), backup=backup, warnings=warnings)


def renew_client(ws: Workspace, name: str, password: str, *, days: int = CLIENT_DAYS, keep_key: bool = False,
                 password_file: bool = False) -> StepOutcome:
    """A client's new certificate from the private CA and its .p12 (in the format it had); its key made here."""
    validate_client_name(name)
    files = client_files(ws, name)
    what = _("certificate of the client {name}").format(name=name)
    with ws.locked() as hold:
        if finished_already(hold, f"renew client {name}"):
            return as_finished(ws, "client", [files.key, files.csr, files.cert, files.p12], hold)
        old, found = current_certificate(ws, files.cert, what, files.artifacts)
        if is_revoked(ws, old):  # renewing would quietly let a client back in
            raise WizardError(_("the client {name} is revoked, so it is not renewed: issue a new client under another name "
                                "(client issue NAME), or, to let {name} back in on purpose, client issue {name} --force").format(name=name))
        ca_cert = _issued_here(ws, old, what)
        pki.validate_days(days, _("client certificate"))
        pki.validate_p12_password(password)
        key = pki.load_key_pem(read_bytes(files.key), ws.relative(files.key)) if keep_key else pki.generate_key(_key_type(old))
        if keep_key and not pki.keys_match(key, old):
            raise WizardError(_("{file} does not belong to the certificate: renew without --keep-key").format(file=ws.relative(files.key)))
        legacy = files.p12.exists() and pki.p12_protection(read_bytes(files.p12))["mode"] == "legacy"
        org = pki.attribute_of(old.subject, NameOID.ORGANIZATION_NAME) or pki.DEFAULT_ORG
        request = LeafRequest("client", pki.cn_of(old.subject) or name, org, days, _key_type(old), name=name)
        before, notices = steps.files_state(ws), list(hold.notices)
    leaf, issuer = _signed(ws, request, key)
    p12 = pki.export_p12(leaf.key, leaf.cert, password, legacy=legacy, friendly_name=name)
    new_files = _leaf_files((files.key, files.csr, files.cert), leaf) | {files.p12: (p12, SECRET_MODE)}
    if password_file:
        new_files[files.password] = ((password + "\n").encode(), SECRET_MODE)
    with ws.locked() as hold:
        steps.refuse_if_changed(ws, before)
        backup = ws.replace_files(f"renew client {name}", new_files, remove=files.artifacts)
        issuer.settle(request, leaf)
    return StepOutcome("client", [files.key, files.csr, files.cert, files.p12], pki.cert_info(leaf.cert), backup=backup,
                       warnings=[*notices, *hold.notices, *found, *pki.leaf_validity_warnings("client", days, ca_cert)])


def _key_type(cert: x509.Certificate) -> str:
    key_type = pki.key_type_of(cert.public_key())
    return key_type if key_type in pki.KEY_TYPES else pki.DEFAULT_KEY_TYPE
