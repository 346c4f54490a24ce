"""Steps 4-6 through the API: upload both certificates and create (or update) the listener.

Every id is written to WORKSPACE/elb/uploaded.json the moment it exists, so a failure half-way
never causes a second upload of the same certificate. The session is only read here; the
`UploadResult` (also the partial one an `UploadFailed` carries) says what to record in it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.defaults import PROG
from wizard.elb.cloud import (
    LoadBalancer, check_policy_fits, content_fingerprint, find_certificate, listener_on_port, read_load_balancer,
)
from wizard.elb.listener import changed_fields, listener_changes, listener_state
from wizard.elb.material import Material, load_material
from wizard.elb.payloads import (
    CA_CERTIFICATE, LOADBALANCER_ID, PROJECT_ID, SERVER_CERTIFICATE, UPLOADED, ListenerChoices, ca_certificate_body,
    default_names, ensure_elb_dir, json_bytes, listener_body, listener_choices, no_pool_warning, required_id,
    server_certificate_body, sni_domain_of, validate_endpoint, validate_name,
)
from wizard.elb.policies import DEDICATED, DEFAULT_TLS_POLICY, SHARED, validate_lb_type
from wizard.elb.rotation import retire_replaced
from wizard.elb.sdk import DEFAULT_TIMEOUT, INSTALL_HINT, ApiTarget, ElbApi, credentials, sdk_available
from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _
from wizard.session import Session
from wizard.workspace import PUBLIC_MODE, Workspace, atomic_write, read_limited


@dataclass
class UploadResult:
    """What `upload` did; ids are the ELB ids, fingerprints our SHA-256 ones."""

    server_cert_id: str = ""
    ca_cert_id: str = ""
    server_expire_time: str = ""
    ca_expire_time: str = ""
    server_fingerprint: str = ""
    ca_fingerprint: str = ""
    server_reused: bool = False  # the certificate was already in ELB (recorded or found there)
    ca_reused: bool = False
    server_adopted: bool = False  # found in ELB by content, with no record of ours
    ca_adopted: bool = False
    listener_id: str = ""
    listener_reused: bool = False
    listener_updated: bool = False
    listener_adopted: bool = False  # an HTTPS listener on the port that trusts this CA, with no record of ours
    lb_type: str = ""  # what the pre-flight found: "shared" or "dedicated" ("" not read)
    choices: ListenerChoices | None = None  # the validated options this upload used
    uploaded_file: Path | None = None
    warnings: list[str] = field(default_factory=list)
    # Rotation: certificates this upload replaced, those deleted from ELB, those kept (id -> why).
    replaced: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    # For the session: role -> the record written to elb/uploaded.json, and the step marks.
    records: dict[str, dict[str, str]] = field(default_factory=dict)
    steps_done: list[int] = field(default_factory=list)
    steps_reopened: list[int] = field(default_factory=list)

    def done(self, step: int) -> None:
        self.steps_reopened = [s for s in self.steps_reopened if s != step]
        if step not in self.steps_done:
            self.steps_done.append(step)

    def reopen(self, step: int) -> None:
        self.steps_done = [s for s in self.steps_done if s != step]
        if step not in self.steps_reopened:
            self.steps_reopened.append(step)


class UploadFailed(WizardError):
    """An upload stopped with an error; `partial` holds what reached the API before it."""

    def __init__(self, cause: WizardError, partial: UploadResult) -> None:
        super().__init__(str(cause))
        self.partial = partial
        self.exit_code = cause.exit_code


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def read_uploaded_file(ws: Workspace) -> dict[str, Any]:
    try:
        data = json.loads(read_limited(ws.elb_dir / UPLOADED).decode("utf-8"))
    except (OSError, ValueError, WizardError):
        return {}
    return data if isinstance(data, dict) else {}


def _previous(session: Session, ws: Workspace, role: str, target: ApiTarget) -> dict[str, str]:
    """The record of an earlier upload to the same project and endpoint (session first, then the file)."""
    for source in (session.uploaded, read_uploaded_file(ws)):
        record = source.get(role) if isinstance(source, dict) else None
        if isinstance(record, dict) and record.get("id") and target.matches(record):
            return {str(k): str(v) for k, v in record.items()}
    return {}


def _keep(ws: Workspace, result: UploadResult, role: str, record: dict[str, str]) -> None:
    """Keep an id the moment it exists, so a later failure never causes a second upload."""
    result.records[role] = record
    # Merge with the file: a fresh session must not drop what an earlier run recorded there.
    records = {k: v for k, v in read_uploaded_file(ws).items() if isinstance(v, dict)}
    records[role] = record
    data = {"version": 1, "note": f"ids returned by the ELB API; written by {PROG} elb upload", **records}
    ensure_elb_dir(ws)
    atomic_write(ws.elb_dir / UPLOADED, json_bytes(data), PUBLIC_MODE)


def _text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class _Request:
    """The validated options of one upload."""

    target: ApiTarget
    lb_id: str
    server_name: str
    ca_name: str
    choices: ListenerChoices
    expected_lb_type: str  # what the caller (or the session) believed: "" unknown


def _validated(region: str, project_id: str, endpoint: str | None, loadbalancer_id: str | None, server_cert_name: str | None,
               ca_cert_name: str | None, choices: ListenerChoices, expected_lb_type: str) -> _Request:
    """Input, cheapest first; nothing touches the network before it is all valid."""
    region = region.strip()
    if not region:
        raise InputError(_("--region is empty: give the load balancer's region, e.g. cn-north-4"))
    project_id = required_id(project_id, *PROJECT_ID)
    return _Request(
        target=ApiTarget(region, project_id, validate_endpoint(endpoint) if endpoint else ""),
        lb_id=required_id(loadbalancer_id, *LOADBALANCER_ID) if loadbalancer_id else "",
        server_name=validate_name(server_cert_name, SERVER_CERTIFICATE) if server_cert_name else "",
        ca_name=validate_name(ca_cert_name, CA_CERTIFICATE) if ca_cert_name else "",
        choices=choices, expected_lb_type=expected_lb_type,
    )


def upload(
    ws: Workspace, session: Session, *, region: str, project_id: str, endpoint: str | None = None,
    loadbalancer_id: str | None = None, port: int = 443, tls_policy: str | None = DEFAULT_TLS_POLICY,
    log: Callable[[str], None] = lambda line: None, server_cert_name: str | None = None,
    ca_cert_name: str | None = None, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    pool_id: str | None = None, forward_client_cert: list[str] | tuple[str, ...] | None = None,
    lb_type: str | None = None, security_policy_id: str | None = None, sni_domain: str | None = None,
    delete_replaced: bool = False,
) -> UploadResult:
    """Upload both certificates (reusing earlier uploads of the same ones, also ones found in ELB
    by content) and, given a load balancer id, create or update the mutual-auth listener. Blocking.

    With a load balancer id, the load balancer is read first (type, layer-7 flavour, what holds
    the port) and a refusal comes before anything is uploaded. Options left at None come from
    the session. Steps done: 4 once the server certificate is uploaded or reused, 5 the same for
    the CA, 6 only once a listener refers to both (a newly uploaded certificate reopens an
    earlier 6 until the listener is updated to it). With `delete_replaced`, the certificates
    this upload replaced (a renewal) are deleted once no listener uses them. Raises UploadFailed
    (with the partial result) when the API refuses something after the first call.
    """
    # The load balancer's real type, read by the pre-flight, decides which policies fit; without
    # a load balancer no listener is made and the policy does not matter yet.
    choices = listener_choices(
        session, port=port, tls_policy=tls_policy, lb_type="", security_policy_id=security_policy_id, pool_id=pool_id,
        forward_client_cert=forward_client_cert, sni_domain=sni_domain)
    request = _validated(region, project_id, endpoint, loadbalancer_id, server_cert_name, ca_cert_name, choices,
                         validate_lb_type(session.lb_type if lb_type is None else lb_type))
    with ws.locked() as hold:  # one writer at a time, for the whole upload (elb/uploaded.json is read and written)
        # The material, read once, and the readiness checks: a blocking finding stops here, with its fix.
        material = load_material(ws)
        domain, domain_warnings = sni_domain_of(material, choices)
        result = UploadResult(warnings=[*hold.notices, *material.warnings, *domain_warnings], choices=choices)
        for warning in result.warnings:  # said before anything can stop the upload
            log(f"warning: {warning}")  # "warning: " marks the line for the caller (not shown as such)
        if not sdk_available():
            raise WizardError(_("the Huawei Cloud SDK is not installed: {install} (or use {prog} elb export and the console)").format(
                install=INSTALL_HINT, prog=PROG))
        ak, sk = credentials()  # before any client exists
        api = ElbApi(request.target, ak, sk, timeout)
        try:
            _run(api, ws, session, request, material, domain, result, log)
            if delete_replaced:
                retire_replaced(api, result.replaced, result, log)
        except UploadFailed:
            raise
        except WizardError as error:
            result.uploaded_file = ws.elb_dir / UPLOADED if result.records else None
            raise UploadFailed(error, result) from None
        finally:
            api.close()
        result.uploaded_file = ws.elb_dir / UPLOADED
        return result


def _run(api: ElbApi, ws: Workspace, session: Session, request: _Request, material: Material, domain: str,
         result: UploadResult, log: Callable[[str], None]) -> None:
    names = default_names(material.server_cn, request.choices.port)
    plan = _preflight(api, ws, session, request, material, result, log) if request.lb_id else None
    server = _certificate(api, ws, session, request.target, _Upload(
        "server", SERVER_CERTIFICATE, "server", material.server_cn, material.server_fingerprint,
        server_certificate_body(material, request.server_name or names["server"], domain)), result, log)
    result.server_cert_id, result.server_expire_time = server["id"], server.get("expire_time", "")
    result.server_fingerprint = material.server_fingerprint
    result.done(4)
    ca = _certificate(api, ws, session, request.target, _Upload(
        "ca", CA_CERTIFICATE, "client", material.ca_cn, material.ca_fingerprint,
        ca_certificate_body(material, request.ca_name or names["ca"])), result, log)
    result.ca_cert_id, result.ca_expire_time = ca["id"], ca.get("expire_time", "")
    result.ca_fingerprint = material.ca_fingerprint
    result.done(5)
    if plan is not None:
        _listener(api, ws, result, request, plan, names["listener"], log)
        result.done(6)


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
class _Plan:
    """What the pre-flight found: the load balancer and the listener already on the port."""

    lb: LoadBalancer
    existing: dict[str, Any] | None
    recorded_id: str


def _preflight(api: ElbApi, ws: Workspace, session: Session, request: _Request, material: Material,
               result: UploadResult, log: Callable[[str], None]) -> _Plan:
    """Read the load balancer and its port before anything is uploaded; refuse what cannot work."""
    choices = request.choices
    lb = read_load_balancer(api, request.lb_id, request.target.region)
    result.lb_type = lb.lb_type
    check_policy_fits(lb, choices.tls_policy, choices.security_policy_id)
    shown = _("{id} ({name})").format(id=lb.id, name=lb.name) if lb.name else lb.id
    log(_(_LB_IS[lb.lb_type]).format(lb=shown))
    if request.expected_lb_type and request.expected_lb_type != lb.lb_type:
        log(_(_TAKEN_AS[request.expected_lb_type]))
    previous = _previous(session, ws, "listener", request.target)
    same_place = previous.get("loadbalancer_id") == lb.id and previous.get("port") == str(choices.port)
    recorded_id = previous.get("id", "") if same_place else ""
    existing = listener_on_port(api, lb, choices.port, material.ca_fingerprint, recorded_id)
    if recorded_id and existing is None:
        log(_("listener: the earlier listener {listener_id} is gone from ELB; it will be created again").format(listener_id=recorded_id))
    return _Plan(lb, existing, recorded_id)


@dataclass(frozen=True)
class _Upload:
    """One certificate to upload: its role, words, ELB type and content."""

    role: str  # "server" or "ca"
    label: str  # English (a catalog text): shown translated
    kind: str  # ELB's type: "server" or "client"
    common_name: str
    fingerprint: str
    body: dict[str, Any]


def _record(created: dict[str, Any], item: _Upload, target: ApiTarget) -> dict[str, str]:
    return {
        "id": _text(created.get("id")), "name": _text(created.get("name")) or item.body["certificate"]["name"],
        "fingerprint": item.fingerprint, "elb_fingerprint": _text(created.get("fingerprint")),
        "expire_time": _text(created.get("expire_time")), "common_name": _text(created.get("common_name")),
        "project_id": target.project_id, "region": target.region, "endpoint": target.endpoint, "uploaded_at": _now(),
    }


def _certificate(api: ElbApi, ws: Workspace, session: Session, target: ApiTarget, item: _Upload, result: UploadResult,
                 log: Callable[[str], None]) -> dict[str, str]:
    """Reuse the recorded upload if ELB still holds this very certificate, else adopt one ELB
    holds with the same content, else upload it."""
    what = _(item.label)
    previous = _previous(session, ws, item.role, target)
    if previous.get("id") and previous.get("fingerprint") != item.fingerprint:
        result.replaced.append(previous["id"])  # a renewal: the old one may be retired later
    if previous.get("fingerprint") == item.fingerprint:
        held = api.show_certificate(previous["id"], _("checking the earlier {what} upload").format(what=what))
        if held is not None and content_fingerprint(held.get("certificate")) == item.fingerprint:
            log(_("{what}: already uploaded as {cert_id} (same content in ELB), reused").format(what=what, cert_id=previous["id"]))
            setattr(result, f"{item.role}_reused", True)
            _keep(ws, result, item.role, previous)
            return previous
        if held is None:
            text = _("{what}: the earlier upload {cert_id} is gone from ELB; looking for this one")
        else:
            text = _("{what}: the earlier upload {cert_id} now holds another certificate in ELB (changed in place); looking for this one")
        log(text.format(what=what, cert_id=previous["id"]))
    # From here on no recorded listener may refer to the certificate that will be current.
    result.reopen(6)
    found = find_certificate(api, item.kind, item.common_name, item.fingerprint, what)
    if found is not None:
        record = {**_record(found, item, target), "adopted_at": _now()}
        log(_("{what}: found in ELB as {cert_id} ({name}, same content), adopted instead of uploading it again").format(
            what=what, cert_id=record["id"], name=record["name"]))
        setattr(result, f"{item.role}_reused", True)
        setattr(result, f"{item.role}_adopted", True)
    else:
        created = api.create_certificate(item.body, _("uploading the {what}").format(what=what))
        if not created.get("id"):
            raise WizardError(_("uploading the {what} failed: the API answered without a certificate id; look for it in the "
                                "console").format(what=what))
        record = _record(created, item, target)
        log(_("{what}: uploaded as {cert_id} ({name}, expires {expires})").format(
            what=what, cert_id=record["id"], name=record["name"], expires=record["expire_time"] or _("unknown")))
    _keep(ws, result, item.role, record)
    return record


def _listener(api: ElbApi, ws: Workspace, result: UploadResult, request: _Request, plan: _Plan, name: str,
              log: Callable[[str], None]) -> None:
    """Create the listener, or bring the one on the port to these certificates and options."""
    choices, port = request.choices, request.choices.port
    if plan.existing is None:
        body = listener_body(
            loadbalancer_id=plan.lb.id, server_cert_id=result.server_cert_id, ca_cert_id=result.ca_cert_id, port=port,
            tls_policy=choices.tls_policy, name=name, pool_id=choices.pool_id, forward_client_cert=choices.forward_client_cert,
            security_policy_id=choices.security_policy_id)
        actual = api.create_listener(body, _("creating the listener"))
        listener_id, changes = _text(actual.get("id")), {}
        if not listener_id:
            raise WizardError(_("creating the listener failed: the API answered without a listener id; check it in the console"))
        log(_("listener: created {listener_id} on port {port} ({protocol}, client certificates required, {policy})").format(
            listener_id=listener_id, port=port, protocol=plan.lb.https_protocol, policy=choices.security_policy_id or choices.tls_policy))
    else:
        actual, listener_id = plan.existing, _text(plan.existing.get("id"))
        changes = _move_listener(api, result, plan, listener_id, choices, log)
    result.listener_id = listener_id
    if not (changes.get("default_pool_id") or actual.get("default_pool_id")):
        result.warnings.append(no_pool_warning())
        log(f"warning: {no_pool_warning()}")
    _keep(ws, result, "listener", {
        "id": listener_id, "loadbalancer_id": plan.lb.id, "port": str(port), "lb_type": plan.lb.lb_type,
        **listener_state(actual, changes, choices), "server_cert_id": result.server_cert_id, "ca_cert_id": result.ca_cert_id,
        "project_id": request.target.project_id, "region": request.target.region, "endpoint": request.target.endpoint,
        "created_at": _now(),
    })


def _move_listener(api: ElbApi, result: UploadResult, plan: _Plan, listener_id: str, choices: ListenerChoices,
                   log: Callable[[str], None]) -> dict[str, Any]:
    """Bring the listener already on the port to these certificates and options; the changes made."""
    actual, port = plan.existing or {}, choices.port
    changes, notes = listener_changes(actual, result.server_cert_id, result.ca_cert_id, choices)
    for note in notes:
        log(f"warning: {note}")
    if listener_id != plan.recorded_id:
        result.listener_adopted = True
        log(_("listener: {listener_id} on port {port} already requires client certificates from this CA, adopted").format(
            listener_id=listener_id, port=port))
    if changes:
        result.replaced += [_text(actual.get(ref)) for ref in ("default_tls_container_ref", "client_ca_tls_container_ref") if ref in changes]
        api.update_listener(listener_id, changes, _("updating the listener"))
        result.listener_updated = True
        log(_("listener: {listener_id} on port {port} updated: {fields}").format(
            listener_id=listener_id, port=port, fields=changed_fields(changes)))
    else:
        result.listener_reused = True
        log(_("listener: {listener_id} on port {port} already uses these certificates and options, reused").format(
            listener_id=listener_id, port=port))
    return changes
