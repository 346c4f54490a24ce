"""Steps 1-3 with the CA held in CCM (`mtls-wizard generate --ccm-ca ID` or `--ccm-create-ca`).

The same answers, the same files and the same refusals as wizard.steps.generate, with no CA key
on this machine: ca/ca.crt is the CA's certificate exported from CCM (with its chain, for a
subordinate CA), the server and client certificates come from CCM, and ca/issuer.json records
which CA issued what. Every refusal comes before the first call that creates something; the
calls to CCM come next; the workspace's files are written last, all under one lock hold, so a
call that fails half-way leaves no certificate or key file behind (only the staging folder a
retry adopts from).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography import x509

from wizard import pki, steps
from wizard.ccm import authority, profile
from wizard.ccm.api import CcmApi, CcmTarget
from wizard.ccm.issuer import CcmIssuer, ensure_quota
from wizard.ccm.record import IssuerRecord, read_record, record_path, settle_record, working_record
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.issuers import IssuedLeaf, LeafRequest
from wizard.session import Session
from wizard.steps import StepOutcome
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, Workspace, read_bytes


def leaf_requests(session: Session) -> tuple[LeafRequest, LeafRequest]:
    """The server and client certificates of steps 2-3, from the session's answers."""
    server = LeafRequest("server", pki.normalise_name(session.server_cn), session.org, session.server_days, session.server_key_type,
                         sans=tuple(session.server_sans))
    client = LeafRequest("client", session.client_cn, session.org, session.client_days, session.client_key_type, name="client")
    return server, client


def _checked_workspace(ws: Workspace, choice: authority.CaChoice, force: bool, new_ca: bool) -> IssuerRecord:
    """Every refusal about the workspace, under the lock, before anything is sent; the record to work on."""
    ws.ensure()
    settled = read_record(ws)
    if ws.key("ca").exists() and not new_ca:
        raise WizardError(_("{workspace} has its CA on this machine (ca/ca.key): add --new-ca to move it (and everything it signed) to a "
                            "backup folder and use the CA in CCM instead, or use another --workspace").format(workspace=ws.root))
    if settled and choice.ca_id and choice.ca_id != settled.ca_id and not new_ca:
        raise WizardError(_("{workspace} was issued by the private CA {recorded}, not {asked}: add --new-ca to change CA (the old files "
                            "are moved to a backup folder first), or use another --workspace").format(
                                workspace=ws.root, recorded=settled.ca_id, asked=choice.ca_id))
    if settled and choice.create and not new_ca:
        raise WizardError(_("{workspace} already has its private CA {recorded} in CCM, which is reused; to create another, add "
                            "--new-ca").format(workspace=ws.root, recorded=settled.ca_id))
    if not force and not new_ca:
        ws.refuse_existing([*ws.artifacts("server"), *ws.artifacts("client")], _(
            "re-run with --force to replace the server and client files (they are moved to a backup folder first), or use another --workspace"))
    record = working_record(ws)
    if new_ca and settled:  # a new CA: what the old one issued stays in its backup, not in the new record
        record = IssuerRecord(pending=record.pending, target=record.target, ca=record.ca if record.ca.get("id") != settled.ca_id else {})
    return record


def generate(
    ws: Workspace, session: Session, password: str, target: CcmTarget | None, choice: authority.CaChoice, *, keys: str = "auto",
    force: bool = False, new_ca: bool = False, on_warning: Callable[[str], None] | None = None, api: CcmApi | None = None,
) -> list[StepOutcome]:
    """Steps 1-3 through CCM. `target`: None for the one the workspace recorded."""
    steps.validate_answers(session)
    warnings = pki.validate_p12_password(password)
    requests = leaf_requests(session)
    for request in requests:
        profile.check_request(request)
    with ws.locked() as hold:
        record = _checked_workspace(ws, choice, force, new_ca)
        before, notices = steps.files_state(ws), list(hold.notices)
    target = target or CcmTarget.from_record(record.target)
    if target is None:
        raise InputError(_("the workspace records no way to reach CCM: give the account ID and the region or endpoint"))
    own_api = api is None
    api = api or CcmApi.connect(target)
    try:
        ca_cert, chain, leaves, issuer = _through_ccm(ws, api, record, choice, session, requests, keys, notices)
    finally:
        if own_api:
            api.close()
    p12 = pki.export_p12(leaves[1].key, leaves[1].cert, password, legacy=session.p12_legacy)
    with ws.locked() as hold:
        steps.refuse_if_changed(ws, before)
        backup = _write(ws, ca_cert, chain, leaves, p12, force=force, new_ca=new_ca)
        for request, leaf in zip(requests, leaves):
            issuer.settle(request, leaf)
        settle_record(ws, record)
    outcomes = _outcomes(ws, ca_cert, leaves, backup, notices + list(hold.notices) + warnings, session)
    outcomes[0].reused = not choice.create
    for warning in (w for outcome in outcomes for w in outcome.warnings):
        if on_warning:
            on_warning(warning)
    return outcomes


def _through_ccm(ws: Workspace, api: CcmApi, record: IssuerRecord, choice: authority.CaChoice, session: Session,
                 requests: tuple[LeafRequest, LeafRequest], keys: str,
                 notices: list[str]) -> tuple[x509.Certificate, list[x509.Certificate], list[IssuedLeaf], CcmIssuer]:
    """The CCM part: the CA (used, created or adopted) and its certificate, then both leaves. The
    certificate quota is read first: no CA is created for certificates that could not be issued."""
    ensure_quota(api, sum(1 for request in requests if not record.pending.get(request.label, {}).get("id")))
    ca_id = authority.resolve_ca(ws, api, record, choice, org=session.org, cn=session.ca_cn or pki.default_ca_cn(session.org),
                                 key_type=session.ca_key_type, days=session.ca_days, note=notices.append)
    ca_cert, chain = authority.exported_ca(api, ca_id)
    record.ca["fingerprint"] = pki.fingerprint(ca_cert)
    issuer = CcmIssuer(ws, api, record, ca_cert, keys=keys, note=notices.append)
    leaves = [issuer.sign_leaf(request) for request in requests]
    return ca_cert, chain, leaves, issuer


def _write(ws: Workspace, ca_cert: x509.Certificate, chain: list[x509.Certificate], leaves: list[IssuedLeaf], p12: bytes, *,
           force: bool, new_ca: bool) -> Path | None:
    """ca/ca.crt (with the chain of a subordinate CA), the server's and the client's files, as one set
    (wizard.replacement); the old ones go to a backup folder (with a new CA, everything the old one had)."""
    server, client = leaves
    files = {
        ws.cert("ca"): (b"".join(pki.cert_to_pem(cert) for cert in [ca_cert, *chain]), PUBLIC_MODE),
        ws.key("server"): (pki.key_to_pem(server.key), SECRET_MODE), ws.cert("server"): (pki.cert_to_pem(server.cert), PUBLIC_MODE),
        ws.key("client"): (pki.key_to_pem(client.key), SECRET_MODE), ws.cert("client"): (pki.cert_to_pem(client.cert), PUBLIC_MODE),
        ws.p12: (p12, SECRET_MODE),
    }
    for role, leaf in (("server", server), ("client", client)):
        if leaf.csr is not None:
            files[ws.csr(role)] = (pki.csr_to_pem(leaf.csr), PUBLIC_MODE)
    if not new_ca and ws.cert("ca").is_file() and read_bytes(ws.cert("ca")) == files[ws.cert("ca")][0]:
        del files[ws.cert("ca")]  # the same CA certificate: nothing to replace (or to back up)
    leaf_files = [*ws.artifacts("server"), *ws.artifacts("client")]
    remove = [*ws.all_artifacts(), *ws.ca_records()] if new_ca else leaf_files
    label = "generate --new-ca" if new_ca else "generate --force" if force else "generate"
    return ws.replace_files(label, files, remove=remove)


def _outcomes(ws: Workspace, ca_cert: x509.Certificate, leaves: list[IssuedLeaf], backup: Path | None, warnings: list[str],
              session: Session) -> list[StepOutcome]:
    server, client = leaves
    outcomes = [StepOutcome("ca", [ws.cert("ca"), record_path(ws)], pki.cert_info(ca_cert), backup=backup, warnings=warnings)]
    for role, leaf, days in (("server", server, session.server_days), ("client", client, session.client_days)):
        outcomes.append(StepOutcome(role, [p for p in ws.artifacts(role) if p.exists()], pki.cert_info(leaf.cert), backup=backup,
                                    warnings=pki.leaf_validity_warnings(role, days, ca_cert)))
    return outcomes
