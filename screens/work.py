"""The App's background work: keys and certificates, adopting files, the API upload, the
handshake test and the practice listener.

Everything blocking runs in a thread on a copy of the answers; the outcome comes back as
one typed message (`screens.messages`) and is recorded into the session on the App's
thread. The App, not a step screen, owns this work: a screen may be left at any time, and
a thread cannot be interrupted, so a result must have somewhere to land. Part of the TUI
face beside the screens: WizardApp (wizard/app.py) mixes it in.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual import on, work
from textual.app import App
from textual.message import Message

from screens.messages import (
    AttemptDone, CertificateReady, FileSaved, HandshakeFinished, Renewed, UploadFinished, UploadStopped, WorkFailed,
)
from wizard.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from wizard.rehearsal import RehearsalServer
    from wizard.session import Session, SessionStore
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
# The handshake verdict's status as a notification title (the status itself stays a machine value).


Result = TypeVar("Result")


def _unexpected(error: Exception) -> str:
    return _("unexpected {error_type}: {error}").format(error_type=type(error).__name__, error=error)


def attempt(produce: Callable[[], Result]) -> tuple[Result | None, str | None]:
    """Run the core's work in a worker: its result, or instead the one line a person is shown
    (an unexpected exception included: a worker's traceback would reach nobody)."""
    from wizard.errors import WizardError

    try:
        return produce(), None
    except WizardError as error:
        return None, str(error)
    except Exception as error:  # noqa: BLE001
        return None, _unexpected(error)


class WorkMixin(App[int]):
    """The work part of WizardApp (see wizard.app)."""

    session: Session | None
    store: SessionStore | None
    ws: Workspace | None
    busy: dict[str, str]
    rehearsal: RehearsalServer | None
    live_attempts: list[Any]
    probe_thread: threading.Thread | None
    _warned: set[tuple[str, str]]

    # Provided by WizardApp.
    def save(self) -> None: ...
    def sync_screen(self) -> None: ...
    def show_error(self, message: str, title: str = "") -> None: ...
    def showing(self, step: int) -> bool: ...
    def save_elsewhere(self, workspace: Path, change: Callable[[Session], None]) -> None: ...

    def _post_from_thread(self, message: Message) -> None:
        try:
            self.post_message(message)
        except RuntimeError:
            pass  # the App has exited (its loop is closed): nobody is waiting for the result

    def warn_once(self, warning: str) -> None:
        """A warning about this workspace, once per run (e.g. a folder others can read comes
        with every step's result)."""
        key = (str(self.ws.root) if self.ws else "", warning)
        if key not in self._warned:
            self._warned.add(key)
            self.notify(warning, severity="warning", timeout=12)

    def _start(self, kind: str, label: str) -> bool:
        if self.session is None or self.ws is None:
            return False
        if self.busy.get(kind):
            self.notify(_("already working on it"), severity="warning")
            return False
        self.busy[kind] = label
        self.sync_screen()
        return True

    # -- steps 1-3: keys and certificates -------------------------------------------------
    def start_certificate(self, role: str, *, password: str = "", replace: bool = False) -> None:
        """Create the CA or issue a leaf in a thread; the answers are copied first."""
        if self.ws is None or self.session is None:
            return
        key_type = getattr(self.session, f"{role}_key_type")
        reuse = role == "ca" and not replace and self.ws.cert("ca").exists() and self.ws.key("ca").exists()
        label = _("checking the existing CA…") if reuse else _(GENERATING[role]).format(key=KEY_NAMES.get(key_type, key_type))
        if self._start(role, label):
            # The password is held by a closure, never passed as a worker argument: Textual
            # builds a worker's default description (shown in its log) from the arguments.
            self._certificate_worker(role, copy.deepcopy(self.session), self.ws, replace, lambda: password)

    @work(thread=True, group="certificates", description="key and certificate generation")
    def _certificate_worker(self, role: str, answers: Session, ws: Workspace, replace: bool,
                            password: Callable[[], str]) -> None:
        from wizard import steps

        def make() -> Any:
            if role == "ca":
                return steps.create_ca(ws, answers, replace=replace)
            if role == "server":
                return steps.issue_server(ws, answers, force=replace)
            return steps.issue_client(ws, answers, password(), force=replace)

        self._certificate_done(role, ws, *attempt(make))

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
        from wizard.record import record

        outcome = message.outcome
        self.busy.pop(outcome.role, None)
        if not self._is_open(message.workspace):
            self.save_elsewhere(message.workspace, lambda session: record(session, outcome))
            self.sync_screen()
            return
        assert self.session is not None and self.ws is not None
        record(self.session, outcome)
        self.save()
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

    @on(WorkFailed)
    def _work_failed(self, message: WorkFailed) -> None:
        self.busy.pop(message.kind, None)
        if self._is_open(message.workspace):
            title = _("The test could not run") if message.kind == "handshake" else _("That did not work")
            self.show_error(message.error, title)
        self.sync_screen()

    def _is_open(self, workspace: Path) -> bool:
        return self.ws is not None and self.ws.root == workspace

    def start_bring(self, request: Any) -> None:
        """Check and copy in a CA or server certificate the user already has (steps 1 and 2)."""
        if self.ws is None or self.session is None:
            return
        if self._start(request.role, _("checking the CA you brought…") if request.role == "ca" else _("checking the certificate you brought…")):
            server_name = self.session.server_cn if self.session.server_cn != "www.test.com" else ""
            # The password stays in a closure, never a worker argument (Textual logs arguments).
            self._bring_worker(request.role, self.ws, request.cert, request.key, request.chain, server_name,
                               lambda: request.password or None)

    @work(thread=True, group="certificates", description="checking a certificate brought in")
    def _bring_worker(self, role: str, ws: Workspace, cert: str, key: str, chain: str, server_name: str,
                      password: Callable[[], str | None]) -> None:
        from pathlib import Path

        from wizard.lifecycle import bring

        def check_and_copy() -> Any:
            if role == "ca":
                return bring.bring_ca(ws, Path(cert), Path(key), password=password(), replace=ws.cert("ca").exists())
            return bring.bring_server(ws, Path(cert), Path(key), chain_file=Path(chain) if chain else None,
                                      server_name=server_name, password=password(), force=ws.cert("server").exists())

        self._certificate_done(role, ws, *attempt(check_and_copy))

    # -- files written on request (the save buttons, step 6's listener body) -------------------
    def save_in_workspace(self, write: Callable[[], Result], saved: Callable[[Result], None],
                          failed: Callable[[str], None] | None = None) -> None:
        """Write in a thread: the core's writer takes the workspace lock, which another run of
        the wizard may hold for seconds. `saved` or `failed` (default: the error shown) then run
        on the App's thread."""
        self._save_worker(write, saved, failed or (lambda error: self.show_error(error, _("Not saved"))))

    @work(thread=True, group="saves", description="writing into the workspace")
    def _save_worker(self, write: Callable[[], Any], saved: Callable[[Any], None], failed: Callable[[str], None]) -> None:
        self._post_from_thread(FileSaved(*attempt(write), saved, failed))

    @on(FileSaved)
    def _file_saved(self, message: FileSaved) -> None:
        if message.error is None:
            message.saved(message.result)
        else:
            message.failed(message.error)

    # -- renewals (from the summary) -------------------------------------------------------------
    def start_renewal(self, what: str) -> None:
        """Renew the server certificate or the CA (for its own key) in a thread."""
        if self.ws is not None and self._start("renew", _("renewing the server certificate…") if what == "server" else _("renewing the CA…")):
            self._renewal_worker(what, self.ws)

    @work(thread=True, group="certificates", description="renewing a certificate")
    def _renewal_worker(self, what: str, ws: Workspace) -> None:
        from wizard.lifecycle import renew

        outcome, error = attempt(lambda: renew.renew_server(ws) if what == "server" else renew.renew_ca(ws))
        self._post_from_thread(Renewed(ws.root, outcome) if error is None else WorkFailed("renew", ws.root, error))

    @on(Renewed)
    def _renewed(self, message: Renewed) -> None:
        from wizard.lifecycle.renew import CaRenewal  # loaded already: the outcome is one of its objects
        from wizard.record import record

        self.busy.pop("renew", None)
        if not self._is_open(message.workspace):
            self.save_elsewhere(message.workspace, lambda session: record(session, message.outcome))
            self.sync_screen()
            return
        assert self.session is not None
        record(self.session, message.outcome)
        self.save()
        if isinstance(message.outcome, CaRenewal):
            self.notify(_("Everything it signed stays valid. Upload the new CA certificate (step 5) and set it on the listener (step 6)."),
                        title=_("CA renewed"), timeout=12)
        else:
            self.notify(_("Upload it and move the listener to it (steps 4 and 6)."), title=_("Server certificate renewed"), timeout=12)
        self.sync_screen()

    # -- steps 4-5: the optional API upload ---------------------------------------------------
    def start_upload(self, request: Any) -> None:
        """Upload both certificates (steps 4-5) and, with a load balancer id, create or move the
        listener (step 6, a rotation after a renewal); the listener options are the session's."""
        label = (_("creating or moving the listener through the ELB API…") if request.loadbalancer_id
                 else _("uploading both certificates through the ELB API…"))
        if self.session is not None and self.ws is not None and self._start("upload", label):
            self._upload_worker(copy.deepcopy(self.session), self.ws, request)

    @work(thread=True, group="upload", description="certificate upload through the ELB API")
    def _upload_worker(self, answers: Session, ws: Workspace, request: Any) -> None:
        from wizard import elb
        from wizard.errors import WizardError

        try:
            result = elb.upload(ws, answers, region=request.region, project_id=request.project_id,
                                endpoint=request.endpoint or None, loadbalancer_id=request.loadbalancer_id or None,
                                port=answers.lb_port, tls_policy=answers.tls_policy, delete_replaced=request.delete_replaced,
                                forward_client_cert=list(answers.forward_client_cert) or None)
        except elb.UploadFailed as failure:
            self._post_from_thread(UploadStopped(ws.root, str(failure), failure.partial))
        except WizardError as error:
            self._post_from_thread(UploadStopped(ws.root, str(error), None))
        except Exception as error:  # noqa: BLE001
            self._post_from_thread(UploadStopped(ws.root, _unexpected(error), None))
        else:
            self._post_from_thread(UploadFinished(ws.root, result))

    def _record_upload(self, workspace: Path, result: Any) -> None:
        from wizard.record import record

        if result is None or not result.records:
            return
        if self._is_open(workspace):
            assert self.session is not None
            record(self.session, result)
            self.save()
        else:
            self.save_elsewhere(workspace, lambda session: record(session, result))

    @on(UploadFinished)
    def _upload_finished(self, message: UploadFinished) -> None:
        self.busy.pop("upload", None)
        self._record_upload(message.workspace, message.result)
        if self._is_open(message.workspace):
            result = message.result
            self.notify(_("server certificate {server_id}, CA certificate {ca_id}").format(server_id=result.server_cert_id, ca_id=result.ca_cert_id),
                        title=_("Uploaded"))
            for warning in result.warnings:
                self.warn_once(warning)
        self.sync_screen()

    @on(UploadStopped)
    def _upload_stopped(self, message: UploadStopped) -> None:
        self.busy.pop("upload", None)
        # The core records ids only for what really reached the API: keep them.
        self._record_upload(message.workspace, message.partial)
        if self._is_open(message.workspace):
            self.show_error(message.error, _("Upload failed"))
        self.sync_screen()

    # -- step 7: the handshake test and the rehearsal listener -------------------------------
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
        from wizard.record import record

        self.busy.pop("handshake", None)
        verdict = message.verdict
        if not self._is_open(message.workspace):
            self.save_elsewhere(message.workspace, lambda session: record(session, verdict))
            self.sync_screen()
            return
        assert self.session is not None
        record(self.session, verdict)
        self.save()
        self.sync_screen()
        if self.showing(7):
            return  # the page shows the attempts and the verdict
        if verdict.passed:
            self.notify(verdict.summary, title=status_text("pass"), timeout=10)
        else:
            title = status_text(verdict.status)
            self.notify(verdict.summary, title=title, severity="error", timeout=12)

    def start_rehearsal(self) -> str | None:
        """Start the local mTLS listener (once); return its address, None when it cannot start."""
        if self.ws is None:
            return None
        if self.rehearsal is not None:
            return self.rehearsal.address
        from wizard.errors import WizardError
        from wizard.rehearsal import RehearsalServer

        forwarded = tuple(self.session.forward_client_cert) if self.session is not None else ()
        server = RehearsalServer(self.ws, forward_client_cert=forwarded)
        try:
            server.start()
        except (WizardError, OSError) as error:
            self.show_error(_("the practice listener cannot start: {error}").format(error=error))
            return None
        self.rehearsal = server
        return server.address

    def stop_rehearsal(self) -> None:
        if self.rehearsal is not None:
            server, self.rehearsal = self.rehearsal, None
            server.stop()
