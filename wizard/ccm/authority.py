"""Step 1 with CCM: use an existing private CA, or create one (a root, or a subordinate under a
CA of the account), then export its certificate for ca/ca.crt.

Creating a CA costs money from the moment it exists (a root CA bills from creation, whether it
issues or not): it is done only with the caller's explicit consent (`accept_charges`). Like a
certificate, the creation is announced in ca/issuer.json first, so a run whose answer was lost
finds the CA it made (same name, made since) instead of paying for a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from wizard import pki
from wizard.ccm import profile
from wizard.ccm.api import CcmApi
from wizard.ccm.errors import CcmRefusal
from wizard.ccm.issuer import CLOCK_SLACK_MS, now_ms
from wizard.ccm.record import IssuerRecord, write_record
from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _
from wizard.workspace import Workspace

COSTS = N_("a private CA in CCM is billed from the moment it exists (a root CA from its creation, whether it issues or not), "
           "and each certificate it issues may be billed too: see the CCM price list")
# CertificateAuthorities.status -> why it cannot issue, and what to do
_NOT_ACTIVE = {
    "DISABLED": N_("the private CA {ca_id} is disabled in CCM: enable it in the CCM console (Private CAs, Enable), then run this again"),
    "EXPIRED": N_("the private CA {ca_id} has expired in CCM: it can no longer issue; create a new private CA"),
    "PENDING": N_("the private CA {ca_id} is not activated yet: activate it in the CCM console, then run this again"),
    "DELETED": N_("the private CA {ca_id} is scheduled for deletion: restore it in the CCM console, or choose another CA"),
}


@dataclass(frozen=True)
class CaChoice:
    """What step 1 does in CCM: use `ca_id`, or create a CA (a subordinate of `issuer_id` when given)."""

    ca_id: str = ""
    create: bool = False
    issuer_id: str = ""
    accept_charges: bool = False
    place: dict[str, str] = field(default_factory=dict)  # C, ST, L, OU of a root CA's name (PLACE_FIELDS of wizard.ccm.profile)


def checked_active(api: CcmApi, ca_id: str) -> dict[str, Any]:
    """The CA as CCM shows it, when it can issue; else one line saying why not and what to do."""
    shown = api.show_ca(ca_id)
    if shown is None:
        raise WizardError(_("CCM has no private CA {ca_id} at {target} for account {account}: check the id, the region or endpoint "
                            "(each CA lives in one region) and the account ID").format(ca_id=ca_id, target=api.target.describe(), account=api.target.account))
    status = str(shown.get("status") or "")
    if status in _NOT_ACTIVE:
        raise WizardError(_(_NOT_ACTIVE[status]).format(ca_id=ca_id))
    not_after = int(shown.get("not_after") or 0)
    if status != "ACTIVED" or (not_after and not_after <= now_ms()):
        raise WizardError(_(_NOT_ACTIVE["EXPIRED" if not_after and not_after <= now_ms() else "PENDING"]).format(ca_id=ca_id))
    return shown


def exported_ca(api: CcmApi, ca_id: str) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The CA's certificate and its chain up to the root, checked to be a CA that can sign."""
    text, chain_text = api.export_ca(ca_id)
    certificates = profile.certificates_from_export(text)
    if not certificates:
        raise WizardError(_("CCM exported no certificate for the private CA {ca_id}: run this again").format(ca_id=ca_id))
    cert, chain = certificates[0], profile.certificates_from_export(chain_text)
    if not pki.is_ca(cert):
        raise WizardError(_("the certificate CCM exported for {ca_id} is not a CA certificate").format(ca_id=ca_id))
    problem = pki.ca_signing_problem(cert)
    if problem:
        raise WizardError(_("the private CA {ca_id} {problem}: choose another CA").format(ca_id=ca_id, problem=problem))
    for child, parent in zip([cert, *chain], chain):
        if not pki.verify_issued_by(child, parent):
            raise WizardError(_("the chain CCM exported for {ca_id} does not link up: run this again").format(ca_id=ca_id))
    return cert, chain


def resolve_ca(ws: Workspace, api: CcmApi, record: IssuerRecord, choice: CaChoice, *, org: str, cn: str, key_type: str, days: int,
               note: Callable[[str], None]) -> str:
    """The id of the CA to issue with: the one asked for, the recorded one, or a new one (adopted when an
    earlier run made it). The record is written as soon as the id is known."""
    if choice.ca_id:
        ca_id = choice.ca_id
    elif choice.create and record.ca.get("created_here") and record.ca_id:  # an interrupted run created it
        ca_id = record.ca_id
        note(_("reusing the private CA {ca_id} an earlier, interrupted run created (no second CA was created)").format(ca_id=ca_id))
    elif choice.create:
        ca_id = _created(ws, api, record, choice, org=org, cn=cn, key_type=key_type, days=days, note=note)
    else:
        ca_id = record.ca_id
    if not ca_id:
        raise InputError(_("choose where the CA lives in CCM: a private CA of the account to use, or one to create"))
    shown = checked_active(api, ca_id)
    record.ca.update(id=ca_id, type=str(shown.get("type") or ""), common_name=str((shown.get("distinguished_name") or {}).get("common_name") or ""))
    record.target = api.target.to_record()
    write_record(ws, record)
    return ca_id


def _created(ws: Workspace, api: CcmApi, record: IssuerRecord, choice: CaChoice, **wanted: Any) -> str:
    if not choice.accept_charges:
        raise InputError(_("creating a private CA costs money: {costs}; it is created only with your consent to the charges, "
                           "or use an existing private CA").format(costs=_(COSTS)))
    if not choice.place and not choice.issuer_id:
        raise InputError(_("CCM requires a root CA's country, state, locality and unit (C, ST, L, OU): give them"))
    body = profile.ca_body(wanted["org"], wanted["cn"], wanted["key_type"], wanted["days"], choice.place, choice.issuer_id)
    intent = record.pending.get("ca")
    if intent is not None and intent.get("common_name") == wanted["cn"]:
        found = _made_earlier(api, intent, body["type"])
        if found:
            wanted["note"](_("adopted the private CA {ca_id} an earlier run had created (no second CA was created)").format(ca_id=found))
            record.pending.pop("ca", None)
            record.ca.update(created_here=True)
            return found
    used, quota = api.ca_quota()
    if used >= quota:
        raise WizardError(_("the account's CCM quota allows {quota} private CAs and all are used: delete one you no longer need, "
                            "or ask for a higher quota; nothing was created").format(quota=quota))
    record.pending["ca"] = {"common_name": wanted["cn"], "type": body["type"], "started": now_ms()}
    write_record(ws, record)
    try:
        ca_id = api.create_ca(body)
    except CcmRefusal as refusal:
        if refusal.status < 500:  # refused: no CA was made (a 5xx may have made one: the intent stays, for a retry to find it)
            record.pending.pop("ca", None)
            write_record(ws, record)
        raise
    record.pending.pop("ca", None)
    record.ca.update(id=ca_id, created_here=True, created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    write_record(ws, record)
    return ca_id


def _made_earlier(api: CcmApi, intent: dict[str, Any], kind: str) -> str:
    """The CA an earlier run created for this intent (same name and type, made since), the oldest one."""
    since = int(intent.get("started", 0)) - CLOCK_SLACK_MS
    found = [str(ca["ca_id"]) for ca in api.list_cas(str(intent["common_name"]), kind)
             if int(ca.get("create_time") or 0) >= since and (ca.get("distinguished_name") or {}).get("common_name") == intent["common_name"]
             and ca.get("status") == "ACTIVED"]
    return found[-1] if found else ""
