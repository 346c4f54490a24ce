"""Apply what a piece of work produced to the session: one function, one place.

The work itself (issuing, uploading, the handshake test) only reads the session, so the
TUI can run it in a thread on a copy; the outcome comes back and `record` changes the live
session on the UI thread. The CLI records the same outcomes the same way, so both faces
leave identical sessions behind.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Union

from wizard.i18n import _
from wizard.session import Session

if TYPE_CHECKING:  # pragma: no cover - the outcome types, without loading their modules
    from wizard.elb.uploader import UploadResult
    from wizard.lifecycle.renew import CaRenewal
    from wizard.handshake import Verdict
    from wizard.practice.records import PracticeResult
    from wizard.progress import Survey
    from wizard.steps import StepOutcome

    Outcome = Union[StepOutcome, UploadResult, Verdict, CaRenewal, PracticeResult]

ROLE_STEP = {"ca": 1, "server": 2, "client": 3}
# A new certificate undoes the steps that used the old one (uploads, listener, the verdict).
DEPENDENT_STEPS = {"ca": (2, 3, 4, 5, 6, 7), "server": (4, 6, 7), "client": (7,)}


ROUTES = ("elb", "practice")
LOAD_BALANCER_STEPS = (4, 5, 6, 7)  # what a route's load balancer does; the certificates (1-3) serve both


def record(session: Session, outcome: Outcome) -> None:
    """Change `session` to reflect `outcome` (a StepOutcome, an UploadResult, a Verdict, a
    CaRenewal or a PracticeResult)."""
    for module, name, apply in _RECORDERS:
        loaded = sys.modules.get(module)  # an outcome's module is loaded: none is loaded for the check
        if loaded is not None and isinstance(outcome, getattr(loaded, name)):
            apply(session, outcome)
            return
    raise TypeError(_("no way to record a {kind} in the session").format(kind=type(outcome).__name__))


def record_all(session: Session, outcomes: Iterable[Outcome]) -> None:
    for outcome in outcomes:
        record(session, outcome)


def record_certificate(session: Session, outcome: StepOutcome) -> None:
    """A CA or leaf certificate was created, reused or adopted."""
    role = outcome.role
    previous = session.certificates.get(role, {}).get("fingerprint")
    if previous and previous != outcome.certificate["fingerprint"]:
        session.undo_steps(DEPENDENT_STEPS[role])
        if role == "ca":
            session.certificates.clear()
    session.certificates[role] = dict(outcome.certificate)
    session.mark_done(ROLE_STEP[role])


def record_upload(session: Session, result: UploadResult) -> None:
    """The ids an upload got (also a partial one), what it learnt about the load balancer and
    the listener's options, and the step marks they earn."""
    if result.lb_type:
        session.lb_type = result.lb_type
    for role, entry in result.records.items():
        session.uploaded = {**session.uploaded, role: dict(entry)}
        if role == "server":
            session.server_cert_id = entry["id"]
        elif role == "ca":
            session.ca_cert_id = entry["id"]
        elif role == "listener":
            _record_listener(session, entry)
    session.steps_done = [step for step in session.steps_done if step not in result.steps_reopened]
    for step in result.steps_done:
        session.mark_done(step)


def record_practice(session: Session, result: PracticeResult) -> None:
    """What the practice load balancer now holds and serves (steps 4-6 on the practice route). A
    listener that changed makes the last handshake test stale."""
    session.practice = {**session.practice, **{role: dict(entry) for role, entry in result.records.items()}}
    session.steps_done = [step for step in session.steps_done if step not in result.steps_reopened]
    for step in result.steps_done:
        session.mark_done(step)
    if result.listener_changed:
        session.undo_steps((7,))


def choose_route(session: Session, route: str) -> bool:
    """Take the ELB route or the practice route; True when that is a change. Steps 4-7 are about
    one load balancer, so a change leaves them to do (the other route's records stay, and
    `record_survey` marks what they prove again); the certificates of steps 1-3 serve both."""
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}: use one of {', '.join(ROUTES)}")
    if (session.route or "elb") == route:
        session.route = route
        return False
    session.route = route
    session.steps_done = [step for step in session.steps_done if step not in LOAD_BALANCER_STEPS]
    session.last_verdict = {}
    return True


def record_ca_renewal(session: Session, renewal: CaRenewal) -> None:
    """A new CA certificate for the same key: what it signed stays valid (steps 2, 3, 7 stand),
    but the load balancer holds the old one: steps 5 and 6 are to do again."""
    session.certificates["ca"] = dict(renewal.certificate)
    session.steps_done = [step for step in session.steps_done if step not in (5, 6)]


def _record_listener(session: Session, entry: dict[str, str]) -> None:
    """The listener as ELB now holds it (options set in the console included)."""
    session.listener_id = entry["id"]
    session.loadbalancer_id = entry.get("loadbalancer_id", session.loadbalancer_id)
    session.tls_policy = entry.get("tls_policy", session.tls_policy)
    session.lb_type = entry.get("lb_type") or session.lb_type
    if "pool_id" in entry:  # records written before these fields existed leave the session as it is
        session.pool_id = entry["pool_id"]
        session.security_policy_id = entry.get("security_policy_id", "")
        session.forward_client_cert = [item for item in entry.get("forward_client_cert", "").split(",") if item]


def record_verdict(session: Session, verdict: Verdict) -> None:
    """The handshake test's result: step 7 is done only by a pass. The address tested is not
    taken as the load balancer's: it may be the practice listener on this machine. The verdict
    is kept as data too (`saved`: what the workspace keeps), to be shown in any language."""
    from wizard.handshake.saved import saved_verdict  # loaded already: the verdict is one of its module's objects

    shown = verdict.to_dict()
    if verdict.evidence is not None:
        shown["saved"] = saved_verdict(verdict)
    session.last_verdict = shown
    if verdict.passed:
        session.mark_done(7)
    else:
        session.steps_done = [step for step in session.steps_done if step != 7]


def record_survey(session: Session, survey: Survey) -> None:
    """What the workspace's files prove (see wizard.progress): certificates the session does not
    know yet, or that changed under it, and the uploads that belong to them. Never removes."""
    for role in ("ca", "server", "client"):
        outcome = survey.certificates.get(role)
        known = session.certificates.get(role, {}).get("fingerprint")
        if outcome is not None and (known != outcome.certificate["fingerprint"] or not session.is_done(ROLE_STEP[role])):
            record_certificate(session, outcome)
    if session.practising:
        _record_practice_survey(session, survey)
        return
    for role, step in (("server", 4), ("ca", 5), ("listener", 6)):
        entry = survey.uploads.get(role)
        if entry is None or session.is_done(step) and session.uploaded.get(role, {}).get("id") == entry["id"]:
            continue
        session.uploaded = {**session.uploaded, role: dict(entry)}
        if role == "listener":
            _record_listener(session, entry)
        else:
            setattr(session, f"{role}_cert_id", entry["id"])
        session.mark_done(step)


def _record_practice_survey(session: Session, survey: Survey) -> None:
    """The practice load balancer's records that belong to the current certificates (the practice route)."""
    for role, step in (("server", 4), ("ca", 5), ("listener", 6)):
        entry = survey.practice.get(role)
        if entry is not None:
            session.practice = {**session.practice, role: dict(entry)}
            session.mark_done(step)


_RECORDERS: tuple[tuple[str, str, Callable[[Session, Any], None]], ...] = (
    ("wizard.steps", "StepOutcome", record_certificate),
    ("wizard.elb.uploader", "UploadResult", record_upload),
    ("wizard.handshake.model", "Verdict", record_verdict),
    ("wizard.lifecycle.renew", "CaRenewal", record_ca_renewal),
    ("wizard.practice.records", "PracticeResult", record_practice),
)
