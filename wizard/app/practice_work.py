"""The App's work for the practice route: steps 4-6 on the practice load balancer, and the load
balancer itself, serving its listener on this machine from the moment step 6 makes it until the
wizard stops (across every page, and started again when a workspace on this route is opened).

The records are written by the core (wizard.practice.records) in the App's threads, under the
workspace lock; the outcome is recorded into the session like an upload's.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from textual import on, work

from wizard.app.outcomes import PracticeFinished, WorkFailed
from wizard.app.work import WorkBase, attempt
from wizard.i18n import _

if TYPE_CHECKING:
    from screens.practice_handoff import PracticeHandOffScreen
    from screens.step6_practice import PracticeListenerScreen
    from wizard.practice.records import PracticeResult
    from wizard.session import Session
    from wizard.workspace import Workspace

LOG_LINES = 20  # the practice load balancer's last connections, for step 7 to show


class PracticeWork(WorkBase):
    """The practice route, for WizardApp (see wizard.app)."""

    # -- what the pages ask for ------------------------------------------------------------
    def on_practice_hand_off_screen_add_requested(self, message: PracticeHandOffScreen.AddRequested) -> None:
        label = (_("adding the server certificate to the practice load balancer…") if message.purpose == "server"
                 else _("adding the CA certificate to the practice load balancer…"))
        if self.ws is not None and self._start("practice", label):
            self._practice_worker(self.ws, copy.deepcopy(self.session), message.purpose)

    def on_practice_listener_screen_listener_requested(self, _message: PracticeListenerScreen.ListenerRequested) -> None:
        if self.ws is not None and self._start("practice", _("setting up the practice listener…")):
            self._practice_worker(self.ws, copy.deepcopy(self.session), "listener")

    def refresh_practice(self) -> None:
        """After a renewal on the practice route: add what changed and move the listener to it,
        as the summary's renew does on ELB."""
        if self.ws is not None and self._start("practice", _("moving the practice listener to the new certificates…")):
            self._practice_worker(self.ws, copy.deepcopy(self.session), "all")

    @work(thread=True, group="practice", description="steps 4-6 on the practice load balancer")
    def _practice_worker(self, ws: Workspace, answers: Session | None, what: str) -> None:
        from wizard.practice import records

        def run() -> PracticeResult:
            assert answers is not None
            if what in ("server", "ca"):
                return records.add_certificates(ws, (what,))
            choices = records.choices_from(answers, ws)
            return records.practise(ws, choices) if what == "all" else records.configure_listener(ws, choices)

        result, error = attempt(run)
        self._post_from_thread(PracticeFinished(ws.root, result) if error is None else WorkFailed("practice", ws.root, error))

    @on(PracticeFinished)
    def _practice_finished(self, message: PracticeFinished) -> None:
        self.busy.pop("practice", None)
        result = message.result
        if self._record(message.workspace, result):
            for warning in result.warnings:
                self.warn_once(warning)
            if "listener" in result.records:
                self.serve_practice()
        self.sync_screen()

    # -- the load balancer itself -------------------------------------------------------------
    @property
    def practice_address(self) -> str | None:
        """Where the practice load balancer serves its listener; None while it does not."""
        return self.practice_lb.address if self.practice_lb is not None else None

    def serve_practice(self) -> None:
        """Serve the recorded practice listener (again, as it is recorded now); say why not if it cannot."""
        from wizard.errors import WizardError
        from wizard.practice import records

        self.stop_practice()
        if self.ws is None or self.session is None or not self.session.practising:
            return
        listener = records.listener_record(self.ws)
        if not listener:
            return
        try:
            server = records.balancer_for(self.ws, listener, log=self._practice_logged)
            server.start()
        except (WizardError, OSError) as error:
            self.practice_problem = str(error)
            self.show_error(_("the practice load balancer cannot serve its listener: {error}").format(error=error))
            return
        self.practice_problem = ""
        self.practice_lb = server

    def stop_practice(self) -> None:
        if self.practice_lb is not None:
            server, self.practice_lb = self.practice_lb, None
            server.stop()

    def _practice_logged(self, line: str) -> None:
        """One connection's outcome (from the load balancer's thread): kept for step 7."""
        self.practice_log.append(line)
        del self.practice_log[:-LOG_LINES]
