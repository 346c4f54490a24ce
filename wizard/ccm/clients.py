"""Named clients, revocation and the CRL with the CA held in CCM.

`issue_clients` gives the same result as wizard.clients.issue_clients: every refusal before the
first call, then each client issued through CCM (its key made here by default: only its CSR is
sent) and its files written as one unit, a failure naming the client and leaving the others done.
`revoke_client` revokes in CCM first, then records the revocation in the workspace as a local
revocation is (ca/revoked.json, ca/revoked-serials.txt, for `client list`, `status` and the
backend kits); the CRL is CCM's own, published to an OBS bucket once `enable_crl` turned it on.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from cryptography.x509.oid import NameOID

from wizard import pki
from wizard.ccm import authority, profile
from wizard.ccm.api import CcmApi, CcmTarget
from wizard.ccm.errors import CcmRefusal
from wizard.ccm.issuer import CcmIssuer, ensure_quota
from wizard.ccm.record import IssuerRecord, ccm_ca_certificate, leaf_label, settle_record, working_record
from wizard.clients import BatchResult, ClientOptions, IssuedClient, Revocation, client_files, revoke, validate_client_name
from wizard.clients.issue import RANDOM_PASSWORD_BYTES, _refuse_existing, issue_label, workspace_key_type
from wizard.clients.revocation import REASONS, revoked_among
from wizard.elb.headers import serial_header_value
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.issuers import IssuedLeaf, LeafRequest
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, Workspace, read_bytes

_BUCKET = re.compile(r"^(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")  # OBS bucket names: 3-63 characters


def connect(ws: Workspace, target: CcmTarget | None) -> tuple[CcmApi, IssuerRecord]:
    """The API at the recorded target (or `target`), and the workspace's record; refused when it has none."""
    record = working_record(ws)
    if not record.ca_id:
        raise WizardError(_("the CA of {workspace} is not held in CCM (no ca/issuer.json)").format(workspace=ws.root))
    target = target or CcmTarget.from_record(record.target)
    if target is None:
        raise InputError(_("the workspace records no way to reach CCM: give the account ID and the region or endpoint"))
    return CcmApi.connect(target), record


def issue_clients(ws: Workspace, names: list[str], password: str | None, options: ClientOptions,
                  progress: Callable[[int, int, str], None] | None = None, *, target: CcmTarget | None = None, keys: str = "auto",
                  api: CcmApi | None = None) -> BatchResult:
    """Issue every named client through the workspace's CCM CA (`password` for all, or None with random_passwords)."""
    from wizard.clients.names import validate_client_names

    names = validate_client_names(names)
    key_type = pki.validate_key_type(options.key_type or workspace_key_type(ws))
    pki.validate_days(options.days, _("client certificate"))
    result = BatchResult()
    if not options.random_passwords:
        if password is None:
            raise WizardError(_("no .p12 password given"))
        result.warnings += pki.validate_p12_password(password)
    with ws.locked():
        _refuse_existing(ws, names, options.force)
        ca_cert = ccm_ca_certificate(ws)
        result.warnings += [_("{name} was revoked: its new certificate is valid again (a new serial, not on the CRL); revoke it again "
                              "if that was not meant").format(name=name) for name in revoked_among(ws, names)]
    org = pki.attribute_of(ca_cert.subject, NameOID.ORGANIZATION_NAME) or pki.DEFAULT_ORG
    requests = [LeafRequest("client", name, org, options.days, key_type, name=name) for name in names]
    for request in requests:
        profile.check_request(request)
    own = api is None
    api, record = (api, working_record(ws)) if api is not None else connect(ws, target)
    try:
        authority.checked_active(api, record.ca_id)
        ensure_quota(api, sum(1 for r in requests if not record.pending.get(r.label, {}).get("id")))
        issuer = CcmIssuer(ws, api, record, ca_cert, keys=keys, note=result.warnings.append)
        for done, request in enumerate(requests, start=1):
            _issue_one(ws, issuer, request, password, options, result)
            if progress:
                progress(done, len(requests), request.name)
    finally:
        if own:
            api.close()
    return result


def _issue_one(ws: Workspace, issuer: CcmIssuer, request: LeafRequest, password: str | None, options: ClientOptions,
               result: BatchResult) -> None:
    secret = secrets.token_urlsafe(RANDOM_PASSWORD_BYTES) if options.random_passwords else password or ""
    try:
        leaf = issuer.sign_leaf(request)
        p12 = pki.export_p12(leaf.key, leaf.cert, secret, legacy=options.legacy_p12, friendly_name=request.name)
        with ws.locked():
            issued = _write_client(ws, request.name, leaf, p12, secret if options.random_passwords else None, options.force)
            issuer.settle(request, leaf)
        result.issued.append(issued)
    except WizardError as error:
        result.failed.append((request.name, str(error)))


def _write_client(ws: Workspace, name: str, leaf: IssuedLeaf, p12: bytes, random_password: str | None, force: bool) -> IssuedClient:
    """One client's files as one set (wizard.replacement): all or none (a key made by CCM has no CSR)."""
    files = client_files(ws, name)
    contents = {files.key: (pki.key_to_pem(leaf.key), SECRET_MODE)}
    if leaf.csr is not None:
        contents[files.csr] = (pki.csr_to_pem(leaf.csr), PUBLIC_MODE)
    contents |= {files.cert: (pki.cert_to_pem(leaf.cert), PUBLIC_MODE), files.p12: (p12, SECRET_MODE)}
    if random_password is not None:
        contents[files.password] = ((random_password + "\n").encode(), SECRET_MODE)
    backup = ws.replace_files(issue_label(name, force), contents, remove=files.artifacts)
    info = {**pki.cert_info(leaf.cert), "serial": serial_header_value(leaf.cert.serial_number)}
    return IssuedClient(name, list(contents), info, backup, files.password if random_password is not None else None)


# -- revocation ---------------------------------------------------------------------------


def revoke_client(ws: Workspace, name: str, reason: str = "unspecified", crl_days: int = 30, *, target: CcmTarget | None = None,
                  api: CcmApi | None = None) -> Revocation:
    """Revoke the client in CCM, then record it in the workspace. Revoking twice changes nothing."""
    validate_client_name(name)
    if reason not in REASONS:
        raise InputError(_("unknown reason {reason}: use one of {reasons}").format(reason=repr(reason), reasons=", ".join(REASONS)))
    pki.validate_days(crl_days, "CRL")
    with ws.locked():
        record, entry = _recorded_client(ws, name)
        if entry.get("status") != "REVOKED":
            own = api is None
            api = api or connect(ws, target)[0]
            try:
                _revoke_in_ccm(api, entry, reason, name)
            finally:
                if own:
                    api.close()
            entry.update(status="REVOKED", reason=reason, revoked_at=pki.utc_now().isoformat())
            settle_record(ws, record)
        return revoke(ws, name, reason, crl_days)  # the workspace's record; the CRL is CCM's (wizard.clients.revocation)


def _recorded_client(ws: Workspace, name: str) -> tuple[IssuerRecord, dict]:
    """The record, and its entry for the client's current certificate (which CCM issued)."""
    files = client_files(ws, name)
    if not files.cert.exists():
        raise WizardError(_("there is no client {name} in {folder}: see `client list` for the names").format(name=repr(name), folder=ws.root))
    cert = pki.load_cert_pem(read_bytes(files.cert), _("certificate of {name}").format(name=name))
    record = working_record(ws)  # what is still pending stays pending
    entry = record.certificates.get(leaf_label("client", name))
    if entry is None or entry.get("fingerprint") != pki.fingerprint(cert):
        raise WizardError(_("the certificate of {name} is not recorded as issued through CCM in ca/issuer.json, so CCM cannot revoke "
                            "it: revoke it in the CCM console by its serial {serial}").format(name=name, serial=format(cert.serial_number, "X")))
    return record, entry


def _revoke_in_ccm(api: CcmApi, entry: dict, reason: str, name: str) -> None:
    try:
        api.revoke_certificate(str(entry["id"]), profile.REVOCATION_REASONS[reason],
                               _("revoking {name} in CCM").format(name=name))
    except CcmRefusal as refusal:
        if refusal.kind != "revoked":  # revoked already (an earlier run's answer was lost): done
            raise


# -- the CRL --------------------------------------------------------------------------------


def enable_crl(ws: Workspace, bucket: str, valid_days: int, *, target: CcmTarget | None = None, api: CcmApi | None = None) -> str:
    """Turn on CCM's CRL for the workspace's CA, published to the OBS bucket; where backends fetch it."""
    if not _BUCKET.fullmatch(bucket):
        raise InputError(_("{bucket!r} is not an OBS bucket name: it has 3-63 lowercase letters, digits, '-' and '.'").format(bucket=bucket))
    own = api is None
    api, record = (api, working_record(ws)) if api is not None else connect(ws, target)
    try:
        if not api.obs_agency_granted():
            raise WizardError(_("CCM may not write to OBS yet: grant it the OBS agency in the CCM console (the CRL settings of a private "
                                "CA), then run this again; the revocation itself is done"))
        api.enable_crl(record.ca_id, {"obs_bucket_name": bucket, "valid_days": valid_days, "crl_name": record.ca_id})
        shown = api.show_ca(record.ca_id) or {}
    finally:
        if own:
            api.close()
    point = str((shown.get("crl_configuration") or {}).get("crl_dis_point") or "")
    with ws.locked():
        settled = working_record(ws)
        settled.ca["crl"] = {"obs_bucket_name": bucket, "valid_days": valid_days, "distribution_point": point}
        settle_record(ws, settled)
    return point
