"""The workspace decides who signs: its CA key here, or its private CA in CCM (ca/issuer.json).

The faces call these instead of choosing themselves, so the CLI and the TUI issue, renew,
revoke and sign the same way for both kinds of CA.
"""

from __future__ import annotations

from collections.abc import Callable

from wizard import clients
from wizard.ccm.api import CcmApi, CcmTarget
from wizard.ccm.issuer import CcmIssuer
from wizard.ca_key import Unlock
from wizard.ccm.record import ccm_ca_certificate, records_ccm, working_record
from wizard.issuers import Issuer, LocalIssuer
from wizard.session import Session
from wizard.steps import StepOutcome, issue_client, issue_server, load_ca
from wizard.workspace import Workspace


def issuer_for(ws: Workspace, *, api: CcmApi | None = None, keys: str = "auto", unlock: Unlock | None = None) -> Issuer:
    """The workspace's issuer. A CCM one uses `api` (the caller closes it), else the recorded target
    (seam for renewals: `issuer_for(ws).sign_leaf(LeafRequest(...))`, then `settle`). A local one
    opens ca/ca.key with `unlock`'s passphrase when it is under one; CCM has no key here to open."""
    if not records_ccm(ws):
        return LocalIssuer(*load_ca(ws, unlock))
    record = working_record(ws)
    if api is None:
        from wizard.ccm import clients as ccm_clients  # only for a CA in CCM: it loads the issuing code

        api = ccm_clients.connect(ws, None)[0]
    return CcmIssuer(ws, api, record, ccm_ca_certificate(ws), keys=keys)


def issue_clients(ws: Workspace, names: list[str], password: str | None, options: clients.ClientOptions,
                  progress: Callable[[int, int, str], None] | None = None, *, target: CcmTarget | None = None,
                  keys: str = "auto", unlock: Unlock | None = None) -> clients.BatchResult:
    if records_ccm(ws):
        from wizard.ccm import clients as ccm_clients  # only for a CA in CCM: it loads the issuing code

        return ccm_clients.issue_clients(ws, names, password, options, progress, target=target, keys=keys)
    return clients.issue_clients(ws, names, password, options, progress, unlock=unlock)


def revoke_client(ws: Workspace, name: str, reason: str, crl_days: int, *, target: CcmTarget | None = None,
                  unlock: Unlock | None = None) -> clients.Revocation:
    if records_ccm(ws):
        from wizard.ccm import clients as ccm_clients  # only for a CA in CCM: it loads the issuing code

        return ccm_clients.revoke_client(ws, name, reason, crl_days, target=target)
    return clients.revoke(ws, name, reason, crl_days, unlock=unlock)


def issue_leaf(ws: Workspace, session: Session, role: str, password: str = "", *, force: bool = False,
               unlock: Unlock | None = None) -> StepOutcome:
    """Step 2 (`role` "server") or step 3 ("client", its .p12 under `password`), signed by the workspace's CA."""
    if records_ccm(ws):
        from wizard.ccm import stepwise  # only for a CA in CCM: it loads the issuing code

        return stepwise.issue_leaf(ws, session, role, password, force=force)
    if role == "server":
        return issue_server(ws, session, force=force, unlock=unlock)
    return issue_client(ws, session, password, force=force, unlock=unlock)


def renew_server(ws: Workspace, *, days: int, keep_key: bool = False, unlock: Unlock | None = None) -> StepOutcome:
    """A new server certificate from the workspace's CA, here or in CCM."""
    if records_ccm(ws):
        from wizard.ccm import renewal  # only for a CA in CCM: it loads the issuing code

        return renewal.renew_server(ws, days=days, keep_key=keep_key)
    from wizard.lifecycle import renew

    return renew.renew_server(ws, days=days, keep_key=keep_key, unlock=unlock)


def renew_client(ws: Workspace, name: str, password: str, *, days: int, keep_key: bool = False, password_file: bool = False,
                 unlock: Unlock | None = None) -> StepOutcome:
    """A client's new certificate and .p12 from the workspace's CA, here or in CCM."""
    if records_ccm(ws):
        from wizard.ccm import renewal  # only for a CA in CCM: it loads the issuing code

        return renewal.renew_client(ws, name, password, days=days, keep_key=keep_key, password_file=password_file)
    from wizard.lifecycle import renew

    return renew.renew_client(ws, name, password, days=days, keep_key=keep_key, password_file=password_file, unlock=unlock)
