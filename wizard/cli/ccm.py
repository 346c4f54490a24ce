"""The CLI's part of a CA held in CCM: the options of `generate`, `client issue` and `client revoke`
read into the core's terms, and what is printed about CCM."""

from __future__ import annotations

import argparse
import re

from wizard.ccm.api import CcmTarget, check_endpoint
from wizard.ccm.authority import COSTS, CaChoice
from wizard.ccm.profile import PLACE_FIELDS, check_name
from wizard.ccm.record import read_record, records_ccm
from wizard.clients import Revocation, serials_path
from wizard.errors import InputError
from wizard.i18n import _
from wizard.workspace import Workspace

_BROUGHT = ("ca_cert", "ca_key", "server_cert", "server_key", "server_chain")
_ACCOUNT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def checked_target(region: str | None, account: str | None, endpoint: str | None) -> CcmTarget:
    """The target from the command line, or InputError naming what to fix."""
    if not account or not _ACCOUNT.fullmatch(account):
        raise InputError(_("CCM needs the account (domain) ID: give --account ID (My Credentials in the console shows it); "
                           "CCM is a global service and takes no project ID"))
    if not region and not endpoint:
        raise InputError(_("give --region (e.g. cn-north-4) or --endpoint URL for CCM"))
    return CcmTarget(region or "", account, check_endpoint(endpoint or ""))


def parse_place(text: str) -> dict[str, str]:
    """--ccm-ca-subject 'C=CN,ST=Beijing,L=Beijing,OU=Operations': the parts of a root CA's name
    CCM requires besides O and CN."""
    found: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        key, _sep, value = part.partition("=")
        field = PLACE_FIELDS.get(key.strip().upper())
        if field is None or not value.strip():
            raise InputError(_("--ccm-ca-subject {part!r}: give C=, ST=, L= and OU=, e.g. 'C=CN,ST=Beijing,L=Beijing,OU=Operations'").format(part=part))
        found[field] = value.strip()
    missing = [key for key, field in PLACE_FIELDS.items() if field not in found]
    if missing:
        raise InputError(_("--ccm-ca-subject lacks {missing}: CCM requires a root CA's country, state, locality and unit, e.g. "
                           "'C=CN,ST=Beijing,L=Beijing,OU=Operations'").format(missing=", ".join(f"{key}=" for key in missing)))
    if len(found["country"]) != 2 or not found["country"].isascii() or not found["country"].isalpha():
        raise InputError(_("--ccm-ca-subject C={country}: give the two-letter country code").format(country=found["country"]))
    for field in ("state", "locality", "organizational_unit"):
        check_name(found[field], field.replace("_", " "), limit=128 if field != "organizational_unit" else 64)
    return found




def target_from(args: argparse.Namespace) -> CcmTarget | None:
    """--region/--account/--endpoint, when given (else the workspace's recorded target is used)."""
    region, account, endpoint = getattr(args, "region", None), getattr(args, "account", None), getattr(args, "endpoint", None)
    if not (region or account or endpoint):
        return None
    return checked_target(region, account, endpoint)


def choice_from(args: argparse.Namespace) -> CaChoice:
    """Step 1's choice in CCM, checked before any prompt or call."""
    if args.ccm_ca and args.ccm_create_ca:
        raise InputError(_("give --ccm-ca ID (use a CA of the account) or --ccm-create-ca (create one), not both"))
    for option, value in (("--ccm-issuer", args.ccm_issuer), ("--ccm-ca-subject", args.ccm_ca_subject), ("--i-accept-ccm-charges", args.i_accept_ccm_charges)):
        if value and not args.ccm_create_ca:
            raise InputError(_("{option} goes with --ccm-create-ca").format(option=option))
    if any(getattr(args, name, None) for name in _BROUGHT):
        raise InputError(_("a CA in CCM issues the certificates itself: --ca-cert, --ca-key and --server-cert do not go with it"))
    place = parse_place(args.ccm_ca_subject) if args.ccm_ca_subject else {}
    if args.ccm_create_ca and not args.i_accept_ccm_charges:
        raise InputError(_("creating a private CA costs money: {costs}. Add --i-accept-ccm-charges to create it, or use an existing "
                           "one with --ccm-ca ID").format(costs=_(COSTS)))
    if args.ccm_create_ca and not place and not args.ccm_issuer:
        raise InputError(_("CCM requires a root CA's country, state, locality and unit: give --ccm-ca-subject "
                           "'C=CN,ST=Beijing,L=Beijing,OU=Operations'"))
    return CaChoice(ca_id=args.ccm_ca or "", create=args.ccm_create_ca, issuer_id=args.ccm_issuer or "",
                    accept_charges=args.i_accept_ccm_charges, place=place)


def wants_ccm(args: argparse.Namespace, ws: Workspace) -> bool:
    """`generate` goes through CCM when asked to, or when the workspace's CA is there (unless --new-ca
    without a CCM option: a new CA on this machine)."""
    asked = bool(args.ccm_ca or args.ccm_create_ca or args.ccm_issuer or args.ccm_ca_subject or args.i_accept_ccm_charges)
    return asked or (records_ccm(ws) and not args.new_ca)


def charges_notice(choice: CaChoice) -> str | None:
    return _(COSTS) if choice.create else None


def print_held_in_ccm(ws: Workspace) -> None:
    record = read_record(ws)
    if record is None:
        return
    where = record.target.get("endpoint") or record.target.get("region") or "?"
    print(_("The CA is held in CCM: private CA {ca_id} ({where}, account {account}); no CA key is on this machine.").format(
        ca_id=record.ca_id, where=where, account=record.target.get("account", "?")))


def print_ccm_revocation(ws: Workspace, done: Revocation, crl_point: str | None) -> None:
    """What enforces a revocation made in CCM."""
    record = read_record(ws)
    entry = (record.certificates.get(f"client/{done.name}") if record else None) or {}
    print(_("  revoked in CCM (certificate {id}); recorded in {record} and {serials}").format(
        id=entry.get("id", "?"), record=ws.relative(ws.folder("ca") / "revoked.json"), serials=ws.relative(serials_path(ws))))
    print(_("  ELB itself checks no CRL: the load balancer still lets this client in."))
    if crl_point:
        print(_("  CCM publishes the CRL to OBS; backends that load a CRL fetch it from: {point}").format(point=crl_point))
    elif record and isinstance(record.ca.get("crl"), dict):
        print(_("  CCM publishes the CRL to OBS; backends that load a CRL fetch it from: {point}").format(point=record.ca["crl"].get("distribution_point")))
    else:
        print(_("  CCM's CRL is off: turn it on with --crl-bucket BUCKET for backends that load a CRL."))
    print(_("  Behind ELB, forward the client certificate's serial number (X-Forwarded-Clientcert-serialnumber)\n"
            "  and refuse those in {serials}, or move every other client to a new CA.").format(serials=ws.relative(serials_path(ws))))


def enable_crl(args: argparse.Namespace, ws: Workspace) -> str | None:
    if not args.crl_bucket:
        return None
    if not records_ccm(ws):
        raise InputError(_("--crl-bucket is for a CA held in CCM; this workspace's CRL is ca/crl.pem, signed here"))
    from wizard.ccm import clients as ccm_clients  # loaded only here: it brings the issuing code

    return ccm_clients.enable_crl(ws, args.crl_bucket, args.crl_days, target=target_from(args))
