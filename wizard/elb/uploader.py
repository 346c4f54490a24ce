"""Steps 4-6 through the API: upload both certificates and create (or move) the listener.

Every id is written to WORKSPACE/elb/uploaded.json the moment it exists, so a failure half-way
never causes a second upload of the same certificate. The session is only read here; the
`UploadResult` (also the partial one an `UploadFailed` carries) says what to record in it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.defaults import PROG
from wizard.elb.cloud import content_fingerprint, find_certificate
from wizard.elb.listener_step import Placement, make_listener, place, preflight
from wizard.elb.material import Material, load_material
from wizard.elb.payloads import (
    CA_CERTIFICATE, ENTERPRISE_PROJECT_ID, LOADBALANCER_ID, SERVER_CERTIFICATE, UPLOADED, ListenerChoices, ca_certificate_body,
    default_names, listener_choices, required_id, server_certificate_body, sni_domain_of, validate_listener_port, validate_name,
)
from wizard.elb.policies import validate_lb_type
from wizard.elb.records import keep, previous, read_uploaded_file, resolve_target
from wizard.elb.rotation import retire_replaced
from wizard.elb.sdk import DEFAULT_TIMEOUT, INSTALL_HINT, ElbApi, credentials, sdk_available
from wizard.elb.target import ApiTarget
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.session import Session
from wizard.workspace import Workspace

__all__ = ["UploadFailed", "UploadResult", "read_uploaded_file", "upload"]


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
    listener_recorded: str = ""  # the listener recorded for this target ("" none), moved or not
    listener_gone: str = ""  # ... found gone from ELB (with its load balancer, maybe): nothing was moved
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


def _text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class _Request:
    """The validated options of one upload."""

    target: ApiTarget
    lb_id: str  # given ("" not: the recorded listener's, if any)
    port: int | None  # given (None not: the recorded listener's, else 443)
    server_name: str
    ca_name: str
    choices: ListenerChoices
    expected_lb_type: str  # what the caller (or the session) believed: "" unknown
    no_listener: bool
    enterprise_project_id: str  # "" the recorded one, else ELB's default project


def upload(
    ws: Workspace, session: Session, *, region: str | None = None, project_id: str | None = None, endpoint: str | None = None,
    loadbalancer_id: str | None = None, port: int | None = None, tls_policy: str | None = None,
    log: Callable[[str], None] = lambda line: None, server_cert_name: str | None = None,
    ca_cert_name: str | None = None, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    pool_id: str | None = None, forward_client_cert: list[str] | tuple[str, ...] | None = None,
    lb_type: str | None = None, security_policy_id: str | None = None, sni_domain: str | None = None,
    delete_replaced: bool = False, no_listener: bool = False, enterprise_project_id: str | None = None,
) -> UploadResult:
    """Upload both certificates (reusing earlier uploads of the same ones, also ones found in ELB
    by content) and create or move the mutual-auth listener. Blocking.

    The region, project and endpoint default to the recorded ones (all three, when none is given).
    The listener: on the load balancer given, else the listener recorded for this target is moved
    (on its own port; only its certificates and the options given here change); `no_listener`
    uploads the certificates only. The load balancer and listener are read first, so a refusal
    comes before anything is uploaded. Options left at None come from the session. Steps done: 4
    once the server certificate is uploaded or reused, 5 the same for the CA, 6 only once a
    listener refers to both. With `delete_replaced`, the certificates this upload replaced (a
    renewal) are deleted after the listener moved, once nothing uses them. Raises UploadFailed
    (with the partial result) when something fails after the first call.
    """
    choices = listener_choices(
        session, port=validate_listener_port(port) if port is not None else 443, tls_policy=tls_policy, lb_type="",
        security_policy_id=security_policy_id, pool_id=pool_id, forward_client_cert=forward_client_cert, sni_domain=sni_domain,
        known_policies=False)  # the region's own list is asked for once a listener is to be made
    request = _Request(
        target=resolve_target(session, ws, region, project_id, endpoint),
        lb_id=required_id(loadbalancer_id, *LOADBALANCER_ID) if loadbalancer_id else "", port=port,
        server_name=validate_name(server_cert_name, SERVER_CERTIFICATE) if server_cert_name else "",
        ca_name=validate_name(ca_cert_name, CA_CERTIFICATE) if ca_cert_name else "",
        choices=choices, expected_lb_type=validate_lb_type(session.lb_type if lb_type is None else lb_type), no_listener=no_listener,
        enterprise_project_id=required_id(enterprise_project_id, *ENTERPRISE_PROJECT_ID) if enterprise_project_id else "",
    )
    return _upload(ws, session, request, log, timeout, delete_replaced)


def _upload(ws: Workspace, session: Session, request: _Request, log: Callable[[str], None], timeout: tuple[float, float],
            delete_replaced: bool) -> UploadResult:
    choices = request.choices
    with ws.locked() as hold:  # one writer at a time, for the whole upload (elb/uploaded.json is read and written)
        # The material, read once, and the readiness checks: a blocking finding stops here, with its fix.
        material = load_material(ws)
        domain, domain_warnings = sni_domain_of(material, choices)
        recorded = previous(session, ws, "listener", request.target)
        where = place(request.lb_id, request.port, recorded, request.no_listener)
        if where is not None:
            choices = dataclasses.replace(choices, port=where.port)
        result = UploadResult(warnings=[*hold.notices, *material.warnings, *domain_warnings], choices=choices,
                              listener_recorded=recorded.get("id", ""))
        for warning in result.warnings:  # said before anything can stop the upload
            log(f"warning: {warning}")  # "warning: " marks the line for the caller (not shown as such)
        if not sdk_available():
            raise WizardError(_("the Huawei Cloud SDK is not installed: {install} (or use {prog} elb export and the console)").format(
                install=INSTALL_HINT, prog=PROG))
        ak, sk = credentials()  # before any client exists
        api = ElbApi(request.target, ak, sk, timeout)
        try:
            _run(api, ws, session, dataclasses.replace(request, choices=choices), where, material, domain, result, log)
            if delete_replaced:
                retire_replaced(api, result.replaced, result, log)
        except WizardError as error:
            result.uploaded_file = ws.elb_dir / UPLOADED if result.records else None
            raise UploadFailed(error, result) from None
        finally:
            api.close()
        result.uploaded_file = ws.elb_dir / UPLOADED
        return result


def _run(api: ElbApi, ws: Workspace, session: Session, request: _Request, where: Placement | None, material: Material, domain: str,
         result: UploadResult, log: Callable[[str], None]) -> None:
    names = default_names(material.server_cn, request.choices.port)
    plan = None
    if where is not None:
        plan = preflight(api, where, request.target, request.choices, material.ca_fingerprint, request.expected_lb_type, result, log)
    server = _certificate(api, ws, session, request, _Upload(
        "server", SERVER_CERTIFICATE, "server", material.server_cn, material.server_fingerprint,
        server_certificate_body(material, request.server_name or names["server"], domain)), result, log)
    result.server_cert_id, result.server_expire_time = server["id"], server.get("expire_time", "")
    result.server_fingerprint = material.server_fingerprint
    result.done(4)
    ca = _certificate(api, ws, session, request, _Upload(
        "ca", CA_CERTIFICATE, "client", material.ca_cn, material.ca_fingerprint,
        ca_certificate_body(material, request.ca_name or names["ca"])), result, log)
    result.ca_cert_id, result.ca_expire_time = ca["id"], ca.get("expire_time", "")
    result.ca_fingerprint = material.ca_fingerprint
    result.done(5)
    if plan is not None:
        make_listener(api, ws, result, request.target, plan, request.choices, names["listener"], log)
        result.done(6)


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
    record = {
        "id": _text(created.get("id")), "name": _text(created.get("name")) or item.body["certificate"]["name"],
        "fingerprint": item.fingerprint, "elb_fingerprint": _text(created.get("fingerprint")),
        "expire_time": _text(created.get("expire_time")), "common_name": _text(created.get("common_name")),
        "project_id": target.project_id, "region": target.region, "endpoint": target.endpoint, "uploaded_at": _now(),
    }
    if created.get("enterprise_project_id"):
        record["enterprise_project_id"] = _text(created.get("enterprise_project_id"))
    return record


def _certificate(api: ElbApi, ws: Workspace, session: Session, request: _Request, item: _Upload, result: UploadResult,
                 log: Callable[[str], None]) -> dict[str, str]:
    """Reuse the recorded upload if ELB still holds this very certificate, else adopt one ELB
    holds with the same content, else upload it."""
    what, target = _(item.label), request.target
    earlier = previous(session, ws, item.role, target)
    if earlier.get("id") and earlier.get("fingerprint") != item.fingerprint:
        result.replaced.append(earlier["id"])  # a renewal: the old one may be retired later
    if earlier.get("fingerprint") == item.fingerprint:
        held = api.show_certificate(earlier["id"], _("checking the earlier {what} upload").format(what=what))
        if held is not None and content_fingerprint(held.get("certificate")) == item.fingerprint:
            log(_("{what}: already uploaded as {cert_id} (same content in ELB), reused").format(what=what, cert_id=earlier["id"]))
            setattr(result, f"{item.role}_reused", True)
            keep(ws, result, item.role, earlier)
            return earlier
        if held is None:
            text = _("{what}: the earlier upload {cert_id} is gone from ELB; looking for this one")
        else:
            text = _("{what}: the earlier upload {cert_id} now holds another certificate in ELB (changed in place); looking for this one")
        log(text.format(what=what, cert_id=earlier["id"]))
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
        record = _record(_create(api, item, request.enterprise_project_id or earlier.get("enterprise_project_id", ""), what), item, target)
        log(_("{what}: uploaded as {cert_id} ({name}, expires {expires})").format(
            what=what, cert_id=record["id"], name=record["name"], expires=record["expire_time"] or _("unknown")))
    keep(ws, result, item.role, record)
    return record


def _create(api: ElbApi, item: _Upload, enterprise_project_id: str, what: str) -> dict[str, Any]:
    body = item.body
    if enterprise_project_id:  # left out, ELB puts the certificate into the default project ("0")
        body = {"certificate": {**body["certificate"], "enterprise_project_id": enterprise_project_id}}
    created = api.create_certificate(body, _("uploading the {what}").format(what=what))
    if not created.get("id"):
        raise WizardError(_("uploading the {what} failed: the API answered without a certificate id; look for it in the "
                            "console").format(what=what))
    return created


def move_recorded_listener(ws: Workspace, session: Session, *, log: Callable[[str], None] = lambda line: None,
                           delete_replaced: bool = True, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> UploadResult:
    """After a renewal, with nothing typed again: upload what changed, move the recorded
    listener to it, then (with `delete_replaced`) delete what it replaced. The region, project,
    endpoint, load balancer and port come from the record; the listener's options stay as ELB
    holds them. What the TUI's steps 4-6 and the summary's renew call (`recorded_listener`
    tells whether there is a listener to move). Raises like `upload`."""
    return upload(ws, session, log=log, delete_replaced=delete_replaced, timeout=timeout)
