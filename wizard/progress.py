"""How far a workspace has come, read from the workspace itself.

The session (kept per user under the data directory) is not the only witness: a workspace
made by `mtls-wizard generate` under another account, with sudo, or copied from another
machine has its files but no session here. `survey` reads what the files prove (steps 1-3:
complete, matching key and certificate sets signed by the workspace CA; steps 4-6: the ids
in elb/uploaded.json that belong to these very certificates); `wizard.record.record_survey`
adds it to a session. Step 7 can only come from a recorded verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wizard.errors import WizardError
from wizard.i18n import N_, _
from wizard.session import Session
from wizard.workspace import Workspace

if TYPE_CHECKING:
    from cryptography import x509

    from wizard.steps import StepOutcome

STEPS = (1, 2, 3, 4, 5, 6, 7)
SUMMARY = 8
# Marked for the catalog, translated where they are shown: _(STEP_TITLES[step]).
STEP_TITLES = {
    1: N_("Create a private CA"),
    2: N_("Issue the server certificate"),
    3: N_("Issue the client certificate"),
    4: N_("Hand the server certificate to the load balancer"),
    5: N_("Hand the CA certificate to the load balancer"),
    6: N_("Configure the mutual-authentication listener"),
    7: N_("Verify mutual authentication"),
    SUMMARY: N_("Summary"),
}


@dataclass
class Survey:
    """What the workspace's files prove, role by role."""

    certificates: dict[str, StepOutcome] = field(default_factory=dict)  # "ca", "server", "client"
    uploads: dict[str, dict[str, str]] = field(default_factory=dict)  # "server", "ca", "listener"
    practice: dict[str, dict[str, str]] = field(default_factory=dict)  # the same, on the practice load balancer
    problems: dict[str, str] = field(default_factory=dict)  # role -> why its files are not usable

    @property
    def steps_done(self) -> list[int]:
        done = [step for role, step in (("ca", 1), ("server", 2), ("client", 3)) if role in self.certificates]
        done += [step for role, step in (("server", 4), ("ca", 5), ("listener", 6)) if role in self.uploads]
        return sorted(done)

    @property
    def empty(self) -> bool:
        return not self.certificates and not self.problems


def survey(ws: Workspace) -> Survey:
    """Read the workspace (blocking: parses certificates and keys; run it in a thread)."""
    from wizard.lifecycle.bring import adopt_existing  # the crypto library, only when a survey runs
    from wizard.steps import load_ca_certificate

    found = Survey()
    if not ws.root.is_dir():
        return found
    try:
        ca_cert = load_ca_certificate(ws)  # a CA key here, or a CA held in CCM
    except WizardError as error:
        if any(path.exists() for path in ws.artifacts("ca")):
            found.problems["ca"] = str(error)
        return found
    found.certificates["ca"] = _ca_outcome(ws, ca_cert)
    for role in ("server", "client"):
        if not any(path.exists() for path in ws.artifacts(role)):
            continue
        try:
            found.certificates[role] = adopt_existing(ws, role)
        except WizardError as error:
            found.problems[role] = str(error)
    found.uploads = _uploads_for(ws, found.certificates)
    found.practice = _uploads_for(ws, found.certificates, practice=True)
    return found


def _ca_outcome(ws: Workspace, ca_cert: x509.Certificate) -> StepOutcome:
    from wizard.pki import cert_info
    from wizard.steps import StepOutcome

    return StepOutcome("ca", [p for p in ws.artifacts("ca") if p.exists()], cert_info(ca_cert), reused=True)


def _uploads_for(ws: Workspace, certificates: dict[str, StepOutcome], practice: bool = False) -> dict[str, dict[str, str]]:
    """The upload records of elb/uploaded.json that belong to the current certificates (with
    `practice`, the practice load balancer's records)."""
    from wizard.elb.uploader import read_uploaded_file

    records = read_uploaded_file(ws)
    if practice:
        section = records.get("practice")
        records = section if isinstance(section, dict) else {}
    uploads: dict[str, dict[str, str]] = {}
    for role in ("server", "ca"):
        record, outcome = records.get(role), certificates.get(role)
        if isinstance(record, dict) and outcome and record.get("id") and record.get("fingerprint") == outcome.certificate["fingerprint"]:
            uploads[role] = {str(k): str(v) for k, v in record.items()}
    listener = records.get("listener")
    # A practice listener may trust another CA or none (one-way): a configured listener all the same.
    if (isinstance(listener, dict) and listener.get("id") and {"server", "ca"} <= set(uploads)
            and listener.get("server_cert_id") == uploads["server"]["id"]
            and (practice or listener.get("ca_cert_id") == uploads["ca"]["id"])):
        uploads["listener"] = {str(k): str(v) for k, v in listener.items()}
    return uploads


def next_step(session: Session) -> int:
    """The first step not done yet (the summary once all seven are)."""
    return next((step for step in STEPS if not session.is_done(step)), SUMMARY)


def progress_line(session: Session) -> str:
    """"3 of 7 steps done · next: step 4, Hand the server certificate to the load balancer"."""
    done = sum(1 for step in STEPS if session.is_done(step))
    upcoming = next_step(session)
    if upcoming == SUMMARY:
        return _("all 7 steps done · the summary lists what was made")
    return _("{done} of 7 steps done · next: step {step}, {title}").format(done=done, step=upcoming, title=_(STEP_TITLES[upcoming]))
