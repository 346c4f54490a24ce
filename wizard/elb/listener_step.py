"""Step 6 through the API: where the listener goes, the pre-flight, and creating or moving it.

Where: a load balancer given (`--loadbalancer-id`), else the listener recorded for this project,
region and endpoint, which a renewal moves without any id typed again (on its own port). The
pre-flight reads the load balancer, the region's TLS policies and the listener before the first
upload, so a refusal leaves nothing behind. Creating or moving, ELB's answer is what is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wizard.elb.cloud import LoadBalancer, check_policy_fits, listener_on_port, read_load_balancer, region_policies
from wizard.elb.listener import (
    CERTIFICATE_REFS, FIELD_WORDS, RECORD_KEYS, changed_fields, differences, ignored_in, kept_notes, listener_changes,
    listener_state,
)
from wizard.elb.payloads import ListenerChoices, listener_body, no_pool_warning
from wizard.elb.policies import DEDICATED, SHARED
from wizard.elb.records import keep
from wizard.elb.sdk import ElbApi
from wizard.elb.target import ApiTarget
from wizard.errors import WizardError
from wizard.i18n import N_, _
from wizard.workspace import Workspace

if TYPE_CHECKING:
    from wizard.elb.uploader import UploadResult

Log = Callable[[str], None]


@dataclass(frozen=True)
class Placement:
    """Where the listener goes, decided from the options and the record before any call."""

    lb_id: str
    port: int
    recorded: dict[str, str]  # the record of the listener that stands there ({} none)
    from_record: bool  # the recorded listener itself, found by its id (no load balancer given)


def place(lb_id: str, port: int | None, record: dict[str, str], no_listener: bool) -> Placement | None:
    """The listener's place: `lb_id` ("" not given) on `port` (None not given), else the
    recorded listener on its own port; None: certificates only."""
    recorded_lb = record.get("loadbalancer_id", "") if record.get("id") else ""
    lb = lb_id or recorded_lb
    if no_listener or not lb:
        return None
    recorded_port = int(record["port"]) if recorded_lb == lb and str(record.get("port", "")).isdigit() else None
    chosen = port or recorded_port or 443
    here = record if recorded_port is not None and chosen == recorded_port else {}
    return Placement(lb, chosen, here, from_record=not lb_id and bool(here))


# What the pre-flight says about the load balancer's type (messages whole, for the translators).
_LB_IS = {
    SHARED: N_("load balancer: {lb} is a shared one: ELB shows its HTTPS listeners as TERMINATED_HTTPS, and only the "
               "shared TLS policies apply"),
    DEDICATED: N_("load balancer: {lb} is a dedicated one"),
}
_TAKEN_AS = {
    SHARED: N_("load balancer: taken as shared so far; what it really is counts from now on"),
    DEDICATED: N_("load balancer: taken as dedicated so far; what it really is counts from now on"),
}


@dataclass(frozen=True)
class Plan:
    """What the pre-flight found: the load balancer, the listener standing there, what to enforce."""

    lb: LoadBalancer
    existing: dict[str, Any] | None
    recorded: dict[str, str]
    owned: frozenset[str]  # the options (record keys) to enforce on an existing listener


def preflight(api: ElbApi, where: Placement, target: ApiTarget, choices: ListenerChoices, ca_fingerprint: str,
              expected_lb_type: str, result: UploadResult, log: Log) -> Plan | None:
    """Read the load balancer and its listener before anything is uploaded; refuse what cannot
    work. None: the recorded listener (or its load balancer) is gone, certificates only."""
    lb = read_load_balancer(api, where.lb_id, target.region, missing_ok=where.from_record)
    if lb is None:
        return _gone(where, result, log)
    result.lb_type = lb.lb_type
    shown = _("{id} ({name})").format(id=lb.id, name=lb.name) if lb.name else lb.id
    log(_(_LB_IS[lb.lb_type]).format(lb=shown))
    if expected_lb_type and expected_lb_type != lb.lb_type:
        log(_(_TAKEN_AS[expected_lb_type]))
    recorded_id = where.recorded.get("id", "")
    owned = choices.given if where.from_record else frozenset(RECORD_KEYS.values())
    if not where.from_record or owned & {"tls_policy", "security_policy_id"}:  # refused by the type: before anything else
        check_policy_fits(lb, choices.tls_policy, choices.security_policy_id, type_only=True)
    if where.from_record:
        existing = api.show_listener(recorded_id, _("reading the recorded listener"))
        if existing is None or lb.id not in _load_balancers_of(existing):
            return _gone(where, result, log)
        log(_("listener: moving the recorded listener {listener_id} (load balancer {lb_id}, port {port})").format(listener_id=recorded_id, lb_id=lb.id, port=existing.get("protocol_port", where.port)))
    else:
        existing = listener_on_port(api, lb, where.port, ca_fingerprint, recorded_id)
        if recorded_id and existing is None:
            log(_("listener: the earlier listener {listener_id} is gone from ELB; it will be created again").format(listener_id=recorded_id))
    # A rotation changes the certificates and only the options given now; a policy to be sent
    # must be one the region offers.
    if existing is None or owned & {"tls_policy", "security_policy_id"}:
        check_policy_fits(lb, choices.tls_policy, choices.security_policy_id, region_policies(api, log))
    return Plan(lb, existing, where.recorded, owned)


def _load_balancers_of(listener: dict[str, Any]) -> list[str]:
    return [str(item.get("id")) for item in listener.get("loadbalancers") or [] if isinstance(item, dict)]


def _gone(where: Placement, result: UploadResult, log: Log) -> None:
    result.listener_gone = where.recorded.get("id", "")
    log(_("listener: the recorded listener {listener_id} (load balancer {lb_id}) is gone from ELB; the certificates are "
          "uploaded only: give --loadbalancer-id ID to create a listener again").format(
        listener_id=result.listener_gone, lb_id=where.lb_id))


def make_listener(api: ElbApi, ws: Workspace, result: UploadResult, target: ApiTarget, plan: Plan, choices: ListenerChoices,
                  name: str, log: Log) -> None:
    """Create the listener, or bring the one standing there to these certificates and options;
    then record it as ELB answered."""
    if plan.existing is None:
        asked, answer = _create(api, result, plan, choices, name, log)
    else:
        asked, answer = _move(api, result, plan, choices, log)
    listener_id = str(answer.get("id") or "")
    result.listener_id = listener_id
    found = differences(asked, answer)
    for ref in CERTIFICATE_REFS:
        if ref in found:
            raise WizardError(_("listener {listener_id}: ELB answered with {held} as its {what}, not {asked}: look at the "
                                "listener in the console, then run the command again").format(
                listener_id=listener_id, held=found[ref][1] or _("none"), what=_(FIELD_WORDS[ref]), asked=found[ref][0]))
    kept = {field: values for field, values in found.items() if field in RECORD_KEYS}
    for note in kept_notes(listener_id, kept, plan.lb.lb_type):
        log(f"warning: {note}")
        result.warnings.append(note)
    state = listener_state(answer)
    ignored = {key: value for key, value in ignored_in(plan.recorded).items() if state.get(key) != value}
    ignored.update({RECORD_KEYS[field]: values[0] for field, values in kept.items()})
    if not state["pool_id"]:
        result.warnings.append(no_pool_warning())
        log(f"warning: {no_pool_warning()}")
    keep(ws, result, "listener", {
        "id": listener_id, "loadbalancer_id": plan.lb.id, "port": str(answer.get("protocol_port") or choices.port), "lb_type": plan.lb.lb_type,
        **listener_state(answer, ignored), "server_cert_id": str(answer.get("default_tls_container_ref") or ""),
        "ca_cert_id": str(answer.get("client_ca_tls_container_ref") or ""),
        "project_id": target.project_id, "region": target.region, "endpoint": target.endpoint,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    })


def _create(api: ElbApi, result: UploadResult, plan: Plan, choices: ListenerChoices, name: str, log: Log) -> tuple[dict[str, Any], dict[str, Any]]:
    body = listener_body(
        loadbalancer_id=plan.lb.id, server_cert_id=result.server_cert_id, ca_cert_id=result.ca_cert_id, port=choices.port,
        tls_policy=choices.tls_policy, name=name, pool_id=choices.pool_id, forward_client_cert=choices.forward_client_cert,
        security_policy_id=choices.security_policy_id)
    answer = api.create_listener(body, _("creating the listener"))
    listener_id = str(answer.get("id") or "")
    if not listener_id:
        raise WizardError(_("creating the listener failed: the API answered without a listener id; check it in the console"))
    if not answer.get("default_tls_container_ref"):  # an answer without the listener's fields: read it
        answer = api.show_listener(listener_id, _("reading the listener")) or answer
    log(_("listener: created {listener_id} on port {port} ({protocol}, client certificates required, {policy})").format(
        listener_id=listener_id, port=choices.port, protocol=plan.lb.https_protocol, policy=choices.security_policy_id or choices.tls_policy))
    return body["listener"], answer


def _move(api: ElbApi, result: UploadResult, plan: Plan, choices: ListenerChoices, log: Log) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read-modify-write: the listener is read again right before it is changed."""
    assert plan.existing is not None
    listener_id, port = str(plan.existing.get("id") or ""), plan.existing.get("protocol_port", choices.port)
    fresh = api.show_listener(listener_id, _("reading the listener"))
    if fresh is None:
        raise WizardError(_("listener {listener_id} was deleted while this ran: run the command again").format(listener_id=listener_id))
    old_server = str(fresh.get("default_tls_container_ref") or "")
    replaced = tuple(ref for ref in (*result.replaced, old_server) if ref and ref != result.server_cert_id)
    changes, notes = listener_changes(fresh, result.server_cert_id, result.ca_cert_id, choices, owned=plan.owned, replaced=replaced,
                                      ignored=ignored_in(plan.recorded))
    for note in notes:
        log(f"warning: {note}")
    if listener_id != plan.recorded.get("id"):
        result.listener_adopted = True
        log(_("listener: {listener_id} on port {port} already requires client certificates from this CA, adopted").format(
            listener_id=listener_id, port=port))
    if not changes:
        result.listener_reused = True
        log(_("listener: {listener_id} on port {port} already uses these certificates and options, reused").format(
            listener_id=listener_id, port=port))
        return {}, fresh
    result.replaced += [str(fresh.get(ref)) for ref in CERTIFICATE_REFS if ref in changes and fresh.get(ref)]
    answer = api.update_listener(listener_id, changes, _("updating the listener")) or api.show_listener(listener_id, _("reading the listener"))
    if answer is None:
        raise WizardError(_("listener {listener_id} was deleted while this ran: run the command again").format(listener_id=listener_id))
    result.listener_updated = True
    log(_("listener: {listener_id} on port {port} updated: {fields}").format(listener_id=listener_id, port=port, fields=changed_fields(changes)))
    return changes, answer
