"""Steps 1-3 one at a time with the CA held in CCM, as the wizard's pages take them.

`generate` (wizard.ccm.generate) does the three steps in one go for the command line; the TUI's
step 1 makes or chooses the CA alone, and steps 2 and 3 issue their certificate later, each on
its own page. The same rules hold: every refusal before the first call, the calls next, the
workspace's files last (as one set, wizard.replacement), ca/issuer.json settled once they are in
place, and no CA key ever written here.
"""

from __future__ import annotations

from wizard import pki, steps
from wizard.ccm import authority, profile
from wizard.ccm.api import CcmApi, CcmTarget
from wizard.ccm.generate import leaf_requests
from wizard.ccm.issuer import CcmIssuer, ensure_quota
from wizard.ccm.record import IssuerRecord, ccm_ca_certificate, read_record, record_path, settle_record, working_record
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.issuers import IssuedLeaf
from wizard.session import Session
from wizard.steps import StepOutcome
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, Workspace, read_bytes

LEAVES_OF_STEPS = 2  # the server's and the client's certificate: a new CA is made only when both can be issued


def _checked_for_ca(ws: Workspace, choice: authority.CaChoice) -> IssuerRecord:
    """Under the lock, before anything is sent: a CA here, or another CA in CCM, is not replaced from step 1."""
    ws.ensure()
    if ws.key("ca").exists():
        raise WizardError(_("{workspace} has its CA on this machine (ca/ca.key): choose another workspace for a CA held in CCM").format(
            workspace=ws.root))
    settled = read_record(ws)
    if settled and choice.ca_id and choice.ca_id != settled.ca_id:
        raise WizardError(_("{workspace} was issued by the private CA {recorded}, not {asked}: choose another workspace to use "
                            "another private CA").format(workspace=ws.root, recorded=settled.ca_id, asked=choice.ca_id))
    return working_record(ws)


def create_ca(ws: Workspace, session: Session, target: CcmTarget | None, choice: authority.CaChoice, *,
              api: CcmApi | None = None) -> StepOutcome:
    """Step 1 through CCM: the private CA used, created (with `choice.accept_charges`) or the one
    recorded, its certificate exported into ca/ca.crt (with its chain) and recorded in ca/issuer.json.
    A workspace that already records its CA keeps it (a second one is never created)."""
    steps.validate_answers(session, ("ca",))
    cn = session.ca_cn or pki.default_ca_cn(session.org)
    if choice.create:  # what CCM would refuse in the new CA's request, refused before anything is sent
        profile.ca_body(session.org, cn, session.ca_key_type, session.ca_days, choice.place, choice.issuer_id)
    with ws.locked():
        record = _checked_for_ca(ws, choice)
    if record.ca_id and (choice.create or not choice.ca_id):
        choice = authority.CaChoice(ca_id=record.ca_id)  # the recorded CA: reused, not paid for twice
    target = target or CcmTarget.from_record(record.target)
    if target is None:
        raise WizardError(_("the workspace records no way to reach CCM: give the account ID and the region or endpoint"))
    own_api = api is None
    api = api or CcmApi.connect(target)
    notes: list[str] = []
    try:
        if choice.create:
            ensure_quota(api, LEAVES_OF_STEPS)
        ca_id = authority.resolve_ca(ws, api, record, choice, org=session.org, cn=cn, key_type=session.ca_key_type, days=session.ca_days, note=notes.append)
        ca_cert, chain = authority.exported_ca(api, ca_id)
    finally:
        if own_api:
            api.close()
    record.ca["fingerprint"] = pki.fingerprint(ca_cert)
    pem = b"".join(pki.cert_to_pem(cert) for cert in [ca_cert, *chain])
    with ws.locked() as hold:
        backup = None
        if not ws.cert("ca").is_file() or read_bytes(ws.cert("ca")) != pem:
            backup = ws.replace_files("step 1: the CA in CCM", {ws.cert("ca"): (pem, PUBLIC_MODE)}, remove=[ws.cert("ca")])
        settle_record(ws, record)
    outcome = StepOutcome("ca", [ws.cert("ca"), record_path(ws)], pki.cert_info(ca_cert), backup=backup, warnings=notes + list(hold.notices))
    outcome.reused = not choice.create
    return outcome


def issue_leaf(ws: Workspace, session: Session, role: str, password: str = "", *, force: bool = False,
               api: CcmApi | None = None) -> StepOutcome:
    """Step 2 (`role` "server") or 3 ("client", its .p12 under `password`) through the workspace's CA in CCM."""
    steps.validate_answers(session, (role,))
    warnings = pki.validate_p12_password(password) if role == "client" else []
    request = leaf_requests(session)[0 if role == "server" else 1]
    profile.check_request(request)  # what CCM would refuse, before anything is sent
    with ws.locked() as hold:
        ws.ensure()
        ca_cert = ccm_ca_certificate(ws)
        if not force:
            ws.refuse_existing(ws.artifacts(role), _(steps.LEAF_HINT))
        before, notices = steps.files_state(ws), list(hold.notices)
    own_api = api is None
    if api is None:
        from wizard.ccm import clients as ccm_clients  # the recorded target, and the workspace's record

        api = ccm_clients.connect(ws, None)[0]
    try:
        record = working_record(ws)
        authority.checked_active(api, record.ca_id)
        issuer = CcmIssuer(ws, api, record, ca_cert, note=notices.append)
        leaf = issuer.sign_leaf(request)
    finally:
        if own_api:
            api.close()
    p12 = pki.export_p12(leaf.key, leaf.cert, password, legacy=session.p12_legacy) if role == "client" else None
    with ws.locked() as hold:
        steps.refuse_if_changed(ws, before)
        backup = ws.replace_files(f"step {2 if role == 'server' else 3}: the {role} certificate from CCM", _leaf_files(ws, role, leaf, p12),
                                  remove=ws.artifacts(role))
        issuer.settle(request, leaf)
    days = session.server_days if role == "server" else session.client_days
    return StepOutcome(role, [p for p in ws.artifacts(role) if p.exists()], pki.cert_info(leaf.cert), backup=backup,
                       warnings=notices + list(hold.notices) + warnings + pki.leaf_validity_warnings(role, days, ca_cert))


def _leaf_files(ws: Workspace, role: str, leaf: IssuedLeaf, p12: bytes | None) -> dict:
    """The leaf's files (no CSR when CCM made the key), the client's .p12 with them."""
    files = {ws.key(role): (pki.key_to_pem(leaf.key), SECRET_MODE), ws.cert(role): (pki.cert_to_pem(leaf.cert), PUBLIC_MODE)}
    if leaf.csr is not None:
        files[ws.csr(role)] = (pki.csr_to_pem(leaf.csr), PUBLIC_MODE)
    if p12 is not None:
        files[ws.p12] = (p12, SECRET_MODE)
    return files
