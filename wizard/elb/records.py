"""The upload record: WORKSPACE/elb/uploaded.json and the session's copy of it.

Each role ("server", "ca", "listener") keeps what ELB answered: the ids, the expiry, the
listener's load balancer, port and options, and the project, region and endpoint they belong
to. A later upload starts from it: the certificates are reused, the recorded listener is the
one a renewal moves, and the region, project and endpoint need not be typed again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.elb.payloads import PROJECT_ID, required_id
from wizard.elb.target import ApiTarget, validate_endpoint
from wizard.errors import InputError
from wizard.i18n import _
from wizard.session import Session
from wizard.workspace import Workspace
from wizard.workspace_progress import keep_uploads
from wizard.workspace_progress import read_uploads as read_uploaded_file

if TYPE_CHECKING:
    from wizard.elb.uploader import UploadResult

ROLES = ("listener", "server", "ca")  # the order a recorded target is looked for in


def _records(session: Session, ws: Workspace, role: str) -> list[dict[str, str]]:
    """The role's records, the session's first, then the file's."""
    found = []
    for source in (session.uploaded, read_uploaded_file(ws)):
        record = source.get(role) if isinstance(source, dict) else None
        if isinstance(record, dict) and record.get("id"):
            found.append({str(k): str(v) for k, v in record.items()})
    return found


def previous(session: Session, ws: Workspace, role: str, target: ApiTarget) -> dict[str, str]:
    """The record of an earlier upload to the same project and endpoint (session first, then the file)."""
    return next((record for record in _records(session, ws, role) if target.matches(record)), {})


def recorded_target(session: Session, ws: Workspace) -> ApiTarget | None:
    """Where the last upload went: the recorded listener's target, else a certificate's."""
    for role in ROLES:
        for record in _records(session, ws, role):
            if record.get("region") and record.get("project_id"):
                return ApiTarget(record["region"], record["project_id"], record.get("endpoint", ""))
    return None


def resolve_target(session: Session, ws: Workspace, region: str | None, project_id: str | None, endpoint: str | None) -> ApiTarget:
    """The target given, or (nothing given) the recorded one; InputError names what is missing."""
    if not (region or project_id or endpoint):
        recorded = recorded_target(session, ws)
        if recorded is None:
            raise InputError(_("no upload is recorded for this workspace yet: give --region and --project-id (and --endpoint "
                               "for a private cloud)"))
        return ApiTarget(recorded.region, recorded.project_id, validate_endpoint(recorded.endpoint) if recorded.endpoint else "")
    region = (region or "").strip()
    if not region:
        raise InputError(_("--region is empty: give the load balancer's region, e.g. cn-north-4"))
    return ApiTarget(region, required_id(project_id or "", *PROJECT_ID), validate_endpoint(endpoint) if endpoint else "")


def keep(ws: Workspace, result: UploadResult, role: str, record: dict[str, str]) -> None:
    """Keep an id the moment it exists, so a later failure never causes a second upload."""
    result.records[role] = record
    keep_uploads(ws, {role: record})  # merged with the file: a fresh session must not drop what an earlier run recorded there


def recorded_listener(session: Session, ws: Workspace) -> dict[str, str]:
    """The listener recorded for the last upload's target ({} none): what a renewal moves."""
    target = recorded_target(session, ws)
    return previous(session, ws, "listener", target) if target is not None else {}
