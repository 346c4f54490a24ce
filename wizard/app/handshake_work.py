"""The App's work for step 7: the handshake test's three connections (against the load balancer,
or the practice load balancer on this machine: wizard.app.practice_work)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import on

from wizard.app.outcomes import AttemptDone, HandshakeFinished, WorkFailed
from wizard.app.work import WorkBase, attempt
from wizard.i18n import _

if TYPE_CHECKING:
    from screens.step7_verify import VerifyScreen
    from wizard.workspace import Workspace


class HandshakeWork(WorkBase):
    """Step 7, for WizardApp (see wizard.app)."""

    # -- what the page asks for -----------------------------------------------------------
    def on_verify_screen_test_requested(self, message: VerifyScreen.TestRequested) -> None:
        self.start_handshake(message.host, message.port, message.sni, trust=message.trust)

    def on_verify_screen_route_requested(self, message: VerifyScreen.RouteRequested) -> None:
        self.take_route(message.route)

    # -- the handshake test -------------------------------------------------------------------
    def start_handshake(self, host: str, port: int, sni: str | None, trust: str = "auto") -> None:
        if self.ws is None or not self._start("handshake", _("testing {host}:{port}: three connections…").format(host=host, port=port)):
            return
        self.live_attempts = []
        # A daemon thread, not a Textual worker: thread workers run in the event loop's pool,
        # which is joined at exit, so ctrl+q would wait for the probe's timeouts (up to 30 s).
        # Nothing is written by the probe, so leaving it behind on quit loses nothing.
        self.probe_thread = threading.Thread(target=self._run_probe, args=(self.ws, host, port, sni, trust),
                                             name="mtls-wizard-probe", daemon=True)
        self.probe_thread.start()

    def _run_probe(self, ws: Workspace, host: str, port: int, sni: str | None, trust: str) -> None:
        from wizard import handshake

        verdict, error = attempt(lambda: handshake.probe(host, port, ws, sni=sni or None, timeout=10.0, trust=trust,
                                                         progress=lambda one: self._post_from_thread(AttemptDone(one))))
        self._post_from_thread(HandshakeFinished(ws.root, verdict) if error is None else WorkFailed("handshake", ws.root, error))

    @on(AttemptDone)
    def _attempt_done(self, message: AttemptDone) -> None:
        self.live_attempts.append(message.attempt)
        self.sync_screen()

    @on(HandshakeFinished)
    def _handshake_finished(self, message: HandshakeFinished) -> None:
        from wizard.handshake.model import status_text

        self.busy.pop("handshake", None)
        verdict = message.verdict
        recorded = self._record(message.workspace, verdict)
        self.sync_screen()
        if not recorded or self.showing(7):
            return  # another workspace's; or the page shows the attempts and the verdict
        if verdict.passed:
            self.notify(verdict.summary, title=status_text("pass"), timeout=10)
        else:
            self.notify(verdict.summary, title=status_text(verdict.status), severity="error", timeout=12)
