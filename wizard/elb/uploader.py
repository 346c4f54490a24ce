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
from wizard.elb.material import load_material
from wizard.elb.payloads import (
    DEFAULT_TLS_POLICY, UPLOADED, ca_certificate_body, default_names, ensure_elb_dir, json_bytes, listener_body,
    required_id, server_certificate_body, tls_policy_warnings, validate_endpoint, validate_listener_port, validate_name,
    validate_tls_policy,
)
from wizard.elb.sdk import DEFAULT_TIMEOUT, INSTALL_HINT, ApiTarget, ElbApi, credentials, sdk_available
from wizard.errors import InputError, WizardError
from wizard.session import Session
from wizard.workspace import PUBLIC_MODE, Workspace, atomic_write


@dataclass
class UploadResult:
    """What `upload` did; ids are the ELB ids, fingerprints our SHA-256 ones."""

    server_cert_id: str = ""
    ca_cert_id: str = ""
    server_expire_time: str = ""
    ca_expire_time: str = ""
    server_fingerprint: str = ""
    ca_fingerprint: str = ""
    server_reused: bool = False
    ca_reused: bool = False
    listener_id: str = ""
    listener_reused: bool = False
    listener_updated: bool = False
    uploaded_file: Path | None = None
    warnings: list[str] = field(default_factory=list)
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
        data = json.loads((ws.elb_dir / UPLOADED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
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
    policy: str
    port: int
    lb_id: str
    server_name: str
    ca_name: str


def _validated(region: str, project_id: str, endpoint: str | None, loadbalancer_id: str | None, port: int,
               tls_policy: str, server_cert_name: str | None, ca_cert_name: str | None) -> _Request:
    """Input, cheapest first; nothing touches the network before it is all valid."""
    region = region.strip()
    if not region:
        raise InputError("--region is empty: give the load balancer's region, e.g. cn-north-4")
    project_id = required_id(project_id, "project id", "--project-id")
    return _Request(
        target=ApiTarget(region, project_id, validate_endpoint(endpoint) if endpoint else ""),
        policy=validate_tls_policy(tls_policy),
        port=validate_listener_port(port),
        lb_id=required_id(loadbalancer_id, "load balancer id", "--loadbalancer-id") if loadbalancer_id else "",
        server_name=validate_name(server_cert_name, "server certificate") if server_cert_name else "",
        ca_name=validate_name(ca_cert_name, "CA certificate") if ca_cert_name else "",
    )


def upload(
    ws: Workspace, session: Session, *, region: str, project_id: str, endpoint: str | None = None,
    loadbalancer_id: str | None = None, port: int = 443, tls_policy: str = DEFAULT_TLS_POLICY,
    log: Callable[[str], None] = lambda line: None, server_cert_name: str | None = None,
    ca_cert_name: str | None = None, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> UploadResult:
    """Upload both certificates (reusing earlier uploads of the same ones) and, given a load
    balancer id, create or update the mutual-auth listener. Blocking.

    Steps done: 4 once the server certificate is uploaded or reused, 5 the same for the CA,
    6 only once a listener refers to both (a newly uploaded certificate reopens an earlier 6
    until the listener is updated to it). Raises UploadFailed (with the partial result) when
    the API refuses something after the first call.
    """
    request = _validated(region, project_id, endpoint, loadbalancer_id, port, tls_policy, server_cert_name, ca_cert_name)
    with ws.locked() as hold:  # one writer at a time, for the whole upload (elb/uploaded.json is read and written)
        result = UploadResult(warnings=list(hold.notices))  # e.g. stale temp files removed: logged below, kept for the TUI
        if request.lb_id:
            result.warnings += tls_policy_warnings(request.policy)
        # The material, read once, and the readiness checks: a blocking finding stops here, with its fix.
        material = load_material(ws)
        result.warnings += material.warnings
        for warning in result.warnings:
            log(f"warning: {warning}")
        if not sdk_available():
            raise WizardError(f"the Huawei Cloud SDK is not installed: {INSTALL_HINT} (or use {PROG} elb export and the console)")
        ak, sk = credentials()  # before any client exists
        names = default_names(material.server_cn, request.port)
        api = ElbApi(request.target, ak, sk, timeout)
        try:
            server = _certificate(api, ws, session, request.target, "server",
                                  server_certificate_body(material, request.server_name or names["server"]),
                                  material.server_fingerprint, "server certificate", result, log)
            result.server_cert_id, result.server_expire_time = server["id"], server.get("expire_time", "")
            result.server_fingerprint = material.server_fingerprint
            result.done(4)
            ca = _certificate(api, ws, session, request.target, "ca",
                              ca_certificate_body(material, request.ca_name or names["ca"]),
                              material.ca_fingerprint, "CA certificate", result, log)
            result.ca_cert_id, result.ca_expire_time = ca["id"], ca.get("expire_time", "")
            result.ca_fingerprint = material.ca_fingerprint
            result.done(5)
            if request.lb_id:
                _listener(api, ws, session, result, request, names["listener"], log)
                result.done(6)
        except UploadFailed:
            raise
        except WizardError as error:
            result.uploaded_file = ws.elb_dir / UPLOADED if result.records else None
            raise UploadFailed(error, result) from None
        finally:
            api.close()
        result.uploaded_file = ws.elb_dir / UPLOADED
        return result


def _certificate(
    api: ElbApi, ws: Workspace, session: Session, target: ApiTarget, role: str, body: dict[str, Any],
    fingerprint: str, label: str, result: UploadResult, log: Callable[[str], None],
) -> dict[str, str]:
    """Upload one certificate unless the same one (by fingerprint) is already there."""
    previous = _previous(session, ws, role, target)
    if previous.get("fingerprint") == fingerprint:
        if api.certificate_exists(previous["id"], f"checking the earlier {label} upload"):
            log(f"{label}: already uploaded as {previous['id']} (same SHA-256 fingerprint), reused")
            setattr(result, f"{role}_reused", True)
            _keep(ws, result, role, previous)
            return previous
        log(f"{label}: the earlier upload {previous['id']} is gone from ELB; uploading again")
    # From here on no listener refers to the certificate that will be current: step 6 is open again.
    result.reopen(6)
    created = api.create_certificate(body, f"uploading the {label}")
    if created is None or not created.id:
        raise WizardError(f"uploading the {label} failed: the API answered without a certificate id; look for it in the console")
    record = {
        "id": _text(created.id), "name": _text(created.name) or body["certificate"]["name"],
        "fingerprint": fingerprint, "elb_fingerprint": _text(created.fingerprint),
        "expire_time": _text(created.expire_time), "common_name": _text(created.common_name),
        "project_id": target.project_id, "region": target.region, "endpoint": target.endpoint, "uploaded_at": _now(),
    }
    _keep(ws, result, role, record)
    log(f"{label}: uploaded as {record['id']} ({record['name']}, expires {record['expire_time'] or 'unknown'})")
    return record


def _listener(
    api: ElbApi, ws: Workspace, session: Session, result: UploadResult, request: _Request, name: str,
    log: Callable[[str], None],
) -> None:
    """Create the listener, update an earlier one to these certificates, or reuse it as it is."""
    target, lb_id, port, policy = request.target, request.lb_id, request.port, request.policy
    previous = _previous(session, ws, "listener", target)
    same_place = previous.get("loadbalancer_id") == lb_id and previous.get("port") == str(port)
    if same_place and not api.listener_exists(previous["id"], "checking the earlier listener"):
        log(f"listener: the earlier listener {previous['id']} is gone from ELB; creating it again")
        same_place = False
    wanted = (result.server_cert_id, result.ca_cert_id, policy)
    if same_place and (previous.get("server_cert_id"), previous.get("ca_cert_id"), previous.get("tls_policy")) == wanted:
        result.listener_id, result.listener_reused = previous["id"], True
        log(f"listener: {previous['id']} on port {port} already uses these certificates, reused")
        _keep(ws, result, "listener", previous)
        return
    if same_place:
        api.update_listener_certificates(previous["id"], *wanted, "updating the listener")
        listener_id = previous["id"]
        result.listener_updated = True
        log(f"listener: {listener_id} on port {port} updated to these certificates and {policy}")
    else:
        body = listener_body(loadbalancer_id=lb_id, server_cert_id=result.server_cert_id, ca_cert_id=result.ca_cert_id,
                             port=port, tls_policy=policy, name=name)
        created = api.create_listener(body, "creating the listener")
        listener_id = _text(created.id) if created is not None else ""
        if not listener_id:
            raise WizardError("creating the listener failed: the API answered without a listener id; check it in the console")
        log(f"listener: created {listener_id} on port {port} (HTTPS, client certificates required, {policy})")
    result.listener_id = listener_id
    _keep(ws, result, "listener", {
        "id": listener_id, "loadbalancer_id": lb_id, "port": str(port), "tls_policy": policy,
        "server_cert_id": result.server_cert_id, "ca_cert_id": result.ca_cert_id,
        "project_id": target.project_id, "region": target.region, "endpoint": target.endpoint, "created_at": _now(),
    })
