"""The App's work for steps 1-3 and the summary's renewals: keys and certificates, taking over
files already in the workspace, checking and copying in a certificate the person brings.

Each runs in a thread on a copy of the answers and comes back as a CertificateReady, Renewed
or WorkFailed (wizard.app.outcomes), recorded into the session on the App's thread.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work

from wizard.app.outcomes import CertificateReady, Renewed, WorkFailed
from wizard.app.work import WorkBase, attempt
from wizard.defaults import DEFAULT_SERVER_CN
from wizard.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from screens.bring_modal import BringRequest
    from screens.certificate import CertificateStepScreen
    from screens.step1_ca import CaScreen
    from wizard.ccm.api import CcmTarget
    from wizard.ccm.authority import CaChoice
    from screens.summary import SummaryScreen
    from wizard.ca_key import Unlock
    from wizard.session import Session
    from wizard.workspace import Workspace

KEY_NAMES = {"rsa2048": "RSA 2048", "rsa3072": "RSA 3072", "rsa4096": "RSA 4096", "ec-p256": "EC P-256", "ec-p384": "EC P-384"}
# What is busy while a key and certificate are made, a whole sentence per role (the key type is a placeholder).
GENERATING = {
    "ca": N_("generating a {key} key and the CA…"),
    "server": N_("generating a {key} key and the server certificate…"),
    "client": N_("generating a {key} key and the client certificate and client.p12…"),
}
ADOPTING = {"server": N_("checking the existing server certificate and key…"), "client": N_("checking the existing client certificate and key…")}
ROLE_STEP = {"ca": 1, "server": 2, "client": 3}


class CertificateWork(WorkBase):
    """Steps 1-3 and renewals, for WizardApp (see wizard.app)."""

    _protecting: dict[Path, str | None]  # workspace -> the passphrase a CA being made is put under (until it is made)

    # -- what the pages ask for -----------------------------------------------------------
    def on_certificate_step_screen_issue_requested(self, message: CertificateStepScreen.IssueRequested) -> None:
        self.start_certificate(message.role, password=message.password, replace=message.replace, protect=message.ca_passphrase or None)

    def on_ca_screen_ccm_requested(self, message: CaScreen.CcmRequested) -> None:
        self.start_ccm_ca(message.target, message.choice)

    def on_certificate_step_screen_adopt_requested(self, message: CertificateStepScreen.AdoptRequested) -> None:
        self.adopt_existing(message.role)

    def on_certificate_step_screen_bring_requested(self, message: CertificateStepScreen.BringRequested) -> None:
        self.start_bring(message.request, protect=message.protect or None)

    def on_summary_screen_renewal_requested(self, message: SummaryScreen.RenewalRequested) -> None:
        self.start_renewal(message.what)

    # -- keys and certificates -------------------------------------------------------------
    def start_certificate(self, role: str, *, password: str = "", replace: bool = False, protect: str | None = None) -> None:
        """Create the CA (its key under `protect` when given) or issue a leaf in a thread, once
        the CA key is open; the answers are copied first."""
        if role == "ca":
            self._start_certificate(role, password, replace, protect, None)
        elif self.busy.get(role):
            self.notify(_("already working on it"), severity="warning")
        else:
            self.with_ca_unlocked(lambda unlock: self._start_certificate(role, password, replace, None, unlock))

    def _start_certificate(self, role: str, password: str, replace: bool, protect: str | None, unlock: Unlock | None) -> None:
        if self.ws is None or self.session is None:
            return
        key_type = getattr(self.session, f"{role}_key_type")
        from wizard.ccm.record import records_ccm

        reuse = role == "ca" and not replace and self.ws.cert("ca").exists() and (self.ws.key("ca").exists() or records_ccm(self.ws))
        label = _("checking the existing CA…") if reuse else _(GENERATING[role]).format(key=KEY_NAMES.get(key_type, key_type))
        if self._start(role, label):
            if role == "ca":
                self._protecting[self.ws.root] = protect  # kept for this run once the CA is made (_certificate_ready)
            # The secrets are held by closures, never passed as worker arguments: Textual
            # builds a worker's default description (shown in its log) from the arguments.
            self._certificate_worker(role, copy.deepcopy(self.session), self.ws, replace, lambda: password, lambda: protect, unlock)

    @work(thread=True, group="certificates", description="key and certificate generation")
    def _certificate_worker(self, role: str, answers: Session, ws: Workspace, replace: bool,
                            password: Callable[[], str], protect: Callable[[], str | None], unlock: Unlock | None) -> None:
        from wizard import steps
        from wizard.ccm.dispatch import issue_leaf
        from wizard.ccm.record import records_ccm

        def make() -> Any:
            if role == "ca" and records_ccm(ws):  # the CA recorded in CCM: checked and exported again, never a second one
                from wizard.ccm import authority, stepwise

                return stepwise.create_ca(ws, answers, None, authority.CaChoice())
            if role == "ca":
                return steps.create_ca(ws, answers, replace=replace, protect=protect())
            return issue_leaf(ws, answers, role, password(), force=replace, unlock=unlock)  # by the CA here or in CCM

        self._certificate_done(role, ws, *attempt(make))

    def start_ccm_ca(self, target: CcmTarget, choice: CaChoice) -> None:
        """Step 1 with the CA in CCM: the private CA used or created (its charges accepted on the page)."""
        label = _("creating the private CA in CCM…") if choice.create else _("checking the private CA in CCM…")
        if self.ws is not None and self.session is not None and self._start("ca", label):
            self._protecting[self.ws.root] = None  # no CA key here, so none under a passphrase
            self._ccm_ca_worker(copy.deepcopy(self.session), self.ws, target, choice)

    @work(thread=True, group="certificates", description="the CA in CCM")
    def _ccm_ca_worker(self, answers: Session, ws: Workspace, target: CcmTarget, choice: CaChoice) -> None:
        from wizard.ccm import stepwise

        self._certificate_done("ca", ws, *attempt(lambda: stepwise.create_ca(ws, answers, target, choice)))

    def _certificate_done(self, role: str, ws: Workspace, outcome: Any, error: str | None) -> None:
        self._post_from_thread(CertificateReady(ws.root, outcome) if error is None else WorkFailed(role, ws.root, error))

    def adopt_existing(self, role: str) -> None:
        """Take over the server or client files already in the workspace (checked in a thread:
        loading a large RSA key takes long enough to freeze the screen)."""
        if self.ws is not None and self._start(role, _(ADOPTING[role])):
            self._adopt_worker(role, self.ws)

    @work(thread=True, group="certificates", description="checking existing files")
    def _adopt_worker(self, role: str, ws: Workspace) -> None:
        from wizard.lifecycle.bring import adopt_existing

        self._certificate_done(role, ws, *attempt(lambda: adopt_existing(ws, role)))

    @on(CertificateReady)
    def _certificate_ready(self, message: CertificateReady) -> None:
        outcome = message.outcome
        self.busy.pop(outcome.role, None)
        if not self._record(message.workspace, outcome):
            self.sync_screen()
            return
        assert self.ws is not None
        if outcome.role == "ca" and not outcome.reused:  # a new CA key: under this passphrase, or none
            self.remember_ca_passphrase(message.workspace, self._protecting.pop(message.workspace, None))
        step = ROLE_STEP[outcome.role]
        if outcome.reused and outcome.role == "ca":
            self.notify(_("The existing CA is reused: certificates already uploaded stay valid."), title=_("Step {step}").format(step=1))
        elif not self.showing(step):  # the step's page shows the result itself
            self.notify(ngettext("{count} file written.", "{count} files written.", len(outcome.files)).format(count=len(outcome.files)),
                        title=_("Step {step} done").format(step=step))
        if outcome.backup is not None:
            self.notify(_("The old files were moved to {folder}/").format(folder=self.ws.relative(outcome.backup)), title=_("Backup"), timeout=12)
        for warning in outcome.warnings:
            self.warn_once(warning)
        self.sync_screen()

    # -- a certificate brought in -------------------------------------------------------------
    def start_bring(self, request: BringRequest, protect: str | None = None) -> None:
        """Check and copy in a CA or server certificate the user already has (steps 1 and 2); a
        CA's key is put under `protect` when given."""
        if self.ws is None or self.session is None:
            return
        if self._start(request.role, _("checking the CA you brought…") if request.role == "ca" else _("checking the certificate you brought…")):
            server_name = self.session.server_cn if self.session.server_cn != DEFAULT_SERVER_CN else ""
            if request.role == "ca":
                self._protecting[self.ws.root] = protect
            # The secrets stay in closures, never a worker argument (Textual logs arguments).
            self._bring_worker(request.role, self.ws, request.cert, request.key, request.chain, server_name,
                               lambda: request.password or None, lambda: protect)

    @work(thread=True, group="certificates", description="checking a certificate brought in")
    def _bring_worker(self, role: str, ws: Workspace, cert: str, key: str, chain: str, server_name: str,
                      password: Callable[[], str | None], protect: Callable[[], str | None]) -> None:
        from pathlib import Path

        from wizard.lifecycle import bring

        def check_and_copy() -> Any:
            if role == "ca":
                return bring.bring_ca(ws, Path(cert), Path(key), password=password(), replace=ws.cert("ca").exists(), protect=protect())
            return bring.bring_server(ws, Path(cert), Path(key), chain_file=Path(chain) if chain else None,
                                      server_name=server_name, password=password(), force=ws.cert("server").exists())

        self._certificate_done(role, ws, *attempt(check_and_copy))

    # -- renewals (from the summary) -------------------------------------------------------------
    def start_renewal(self, what: str) -> None:
        """Renew the server certificate or the CA (for its own key) in a thread, once the CA key is open."""
        if self.busy.get("renew"):
            self.notify(_("already working on it"), severity="warning")
        elif self.ws is not None:
            self.with_ca_unlocked(lambda unlock: self._start_renewal(what, unlock))

    def _start_renewal(self, what: str, unlock: Unlock) -> None:
        if self.ws is not None and self._start("renew", _("renewing the server certificate…") if what == "server" else _("renewing the CA…")):
            self._renewal_worker(what, self.ws, unlock)

    @work(thread=True, group="certificates", description="renewing a certificate")
    def _renewal_worker(self, what: str, ws: Workspace, unlock: Unlock) -> None:
        from wizard.ccm import dispatch
        from wizard.lifecycle import renew

        outcome, error = attempt(lambda: dispatch.renew_server(ws, days=renew.SERVER_DAYS, unlock=unlock) if what == "server"
                                 else renew.renew_ca(ws, unlock=unlock))
        self._post_from_thread(Renewed(ws.root, outcome) if error is None else WorkFailed("renew", ws.root, error))

    @on(Renewed)
    def _renewed(self, message: Renewed) -> None:
        from wizard.lifecycle.renew import CaRenewal  # loaded already: the outcome is one of its objects

        self.busy.pop("renew", None)
        if not self._record(message.workspace, message.outcome):
            self.sync_screen()
            return
        moving = self.move_after_renewal()
        if isinstance(message.outcome, CaRenewal):
            self.notify(_("Everything it signed stays valid; the listener is being moved to it.") if moving else
                        _("Everything it signed stays valid. Upload the new CA certificate (step 5) and set it on the listener (step 6)."),
                        title=_("CA renewed"), timeout=12)
        else:
            self.notify(_("The listener is being moved to it.") if moving else _("Upload it and move the listener to it (steps 4 and 6)."),
                        title=_("Server certificate renewed"), timeout=12)
        self.sync_screen()
