"""WizardApp: the screen flow, the bindings and the session wiring of the TUI.

The App is the long-lived owner of everything that outlives a screen: the session (saved
after every answer), the work in thread workers (key generation, the handshake test,
uploads) and the local rehearsal listener. Screens ask the App to do things and redraw
from the session when it tells them something changed (`sync`).

Heavy modules (cryptography through the core, the step screens) are imported lazily so
the first screen paints about as fast as a bare Textual app.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from wizard import assets_loader

if TYPE_CHECKING:
    from textual.timer import Timer

    from wizard.rehearsal import RehearsalServer
    from wizard.session import Session, SessionStore
    from wizard.workspace import Workspace

SUMMARY = 8
SAVE_DELAY = 0.5  # seconds of quiet typing before the session file is written
# What the worker's copy of the session hands back after a certificate step: the core may have
# reopened later steps (a new certificate makes uploads, the listener and the verdict stale).
CERTIFICATE_FIELDS = ("certificates", "steps_done", "last_verdict", "server_cert_id", "ca_cert_id", "listener_id")
# ... and after an upload, also when it stopped half-way (the core records ids as they come).
UPLOAD_FIELDS = ("uploaded", "steps_done", "server_cert_id", "ca_cert_id", "listener_id", "loadbalancer_id")

# step -> (module, class) in screens/; imported on first use so the welcome screen paints quickly.
STEP_SCREENS = {
    1: ("screens.step1_ca", "CaScreen"),
    2: ("screens.step2_server", "ServerScreen"),
    3: ("screens.step3_client", "ClientScreen"),
    4: ("screens.step4_server_elb", "ServerHandOffScreen"),
    5: ("screens.step5_ca_elb", "CaHandOffScreen"),
    6: ("screens.step6_listener", "ListenerScreen"),
    7: ("screens.step7_verify", "VerifyScreen"),
    SUMMARY: ("screens.summary", "SummaryScreen"),
}


def make_screen(step: int) -> Screen[Any]:
    from importlib import import_module

    module, name = STEP_SCREENS[step]
    return getattr(import_module(module), name)()


class WorkDone(Message):
    """A worker finished: `result` on success, `error` (one line, with the fix) otherwise."""

    def __init__(self, kind: str, workspace: Path, result: Any = None, error: str = "",
                 session: Session | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.workspace = workspace  # the workspace the work was started for
        self.result = result
        self.error = error
        self.session = session


class AttemptDone(Message):
    """One of the handshake test's three attempts finished (progress for step 7)."""

    def __init__(self, attempt: Any) -> None:
        super().__init__()
        self.attempt = attempt


class WizardApp(App[int]):
    TITLE = "mtls-wizard"
    SUB_TITLE = "HTTPS mutual authentication on Huawei Cloud ELB"
    CSS = assets_loader.read_text("wizard.tcss")
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, workspace: str | None = None) -> None:
        super().__init__()
        self.requested_workspace = workspace
        self.store: SessionStore | None = None
        self.session: Session | None = None
        self.ws: Workspace | None = None
        self.busy: dict[str, str] = {}  # kind of work -> what the user sees while it runs
        self.rehearsal: RehearsalServer | None = None
        self.live_attempts: list[Any] = []
        self.last_error = ""
        self.probe_thread: threading.Thread | None = None
        self._save_timer: Timer | None = None

    def get_default_screen(self) -> Screen[Any]:
        from screens.welcome import WelcomeScreen

        # The welcome page is the base of the stack; one step page at a time sits on top of it.
        return WelcomeScreen()

    # -- the session ------------------------------------------------------------------
    def open_workspace(self, path: str | Path) -> None:
        """Start (or continue) the session of a workspace and go to its current step."""
        from wizard.session import SessionFileError, SessionStore
        from wizard.workspace import Workspace

        if self.busy:
            # A result must land in the session it was started for: finish the work first.
            self.notify(f"wait until the wizard has finished {next(iter(self.busy.values())).rstrip('…')}, "
                        "then switch the workspace", severity="warning", timeout=8)
            return
        root = Path(path).expanduser().absolute()
        self.store = self.store or SessionStore()
        try:
            session = self.store.open(root)
        except SessionFileError as error:
            from wizard.session import Session

            self.notify(str(error), severity="warning", timeout=10)
            session = Session(workspace=str(root))
        self.session = session
        self.ws = Workspace(root)
        self.stop_rehearsal()
        self.save()
        self.goto(session.current_step if 1 <= session.current_step <= SUMMARY else 1)

    def save(self) -> None:
        """Write the session now; a failure is reported, never fatal."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if self.session is None or self.store is None:
            return
        from wizard.errors import WizardError

        try:
            self.store.save(self.session)
        except (WizardError, OSError, ValueError) as error:
            self.notify(f"the session could not be saved: {error}", severity="error", timeout=10)

    def remember(self, **answers: Any) -> None:
        """Store answers in the session at once; write the file once typing pauses (not on
        every keystroke). Quitting, leaving the step and every result save right away."""
        if self.session is None:
            return
        changed = False
        for name, value in answers.items():
            if getattr(self.session, name) != value:
                setattr(self.session, name, value)
                changed = True
        if changed:
            if self._save_timer is not None:
                self._save_timer.stop()
            self._save_timer = self.set_timer(SAVE_DELAY, self.save, name="save-session")

    def mark_done(self, step: int) -> None:
        if self.session is not None and not self.session.is_done(step):
            self.session.mark_done(step)
            self.save()
        self.sync_screen()

    def sync_screen(self) -> None:
        screen = self.screen
        sync: Callable[[], None] | None = getattr(screen, "sync", None)
        if sync is not None:
            sync()

    # -- navigation ---------------------------------------------------------------------
    def reachable(self, step: int) -> bool:
        """A step can be opened when it was reached before or the one before it is done."""
        session = self.session
        if session is None:
            return step == 0
        if step <= 1 or session.is_done(step) or step <= session.current_step:
            return True
        if step == SUMMARY:
            return session.is_done(7)  # a passed test; a stored verdict alone may be stale or failed
        return session.is_done(step - 1)

    def goto(self, step: int) -> None:
        """Show step `step` (0 = welcome, 1-7, 8 = summary) and remember it."""
        if step == 0 or self.session is None:
            while len(self.screen_stack) > 1:
                self.pop_screen()
            return
        self.session.current_step = step
        self.save()
        if len(self.screen_stack) > 1:
            self.switch_screen(make_screen(step))
        else:
            self.push_screen(make_screen(step))

    def action_goto(self, step: int) -> None:
        if self.session is None:
            self.notify("start or resume a session first", severity="warning")
        elif not self.reachable(step):
            self.notify("finish the steps before it first", severity="warning")
        else:
            self.goto(step)

    def action_help(self) -> None:
        from screens.base import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_show_workspace(self) -> None:
        if self.ws is None:
            self.notify("no workspace yet: start a session first", severity="warning")
            return
        path = str(self.ws.root)
        self.copy_to_clipboard(path)
        self.notify(f"{path}\n(copied to the clipboard)", title="Workspace folder", timeout=10)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from screens.base import STEP_TITLES

        for step, title in STEP_TITLES.items():
            label = "Summary" if step == SUMMARY else f"Step {step}: {title}"
            if self.session is not None and self.reachable(step):
                yield SystemCommand(label, "Jump to this page", lambda s=step: self.action_goto(s))
        yield SystemCommand("Workspace folder", "Show the workspace path (and copy it)", self.action_show_workspace)
        yield SystemCommand("Toggle theme", "Switch between the dark and the light theme", self.action_toggle_theme)
        yield SystemCommand("Help", "How to use the wizard (F1)", self.action_help)
        yield from super().get_system_commands(screen)

    # -- errors -----------------------------------------------------------------------
    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        # Messages carry paths, addresses like [::1]:443 and names: never read them as markup.
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def show_error(self, message: str, title: str = "That did not work") -> None:
        """Short errors as a notification, long ones in a modal; never a traceback."""
        from screens.base import MessageModal

        self.last_error = message
        if len(message) <= 110:
            self.notify(message, title=title, severity="error", timeout=12)
        else:
            self.push_screen(MessageModal(title, message))

    # -- steps 1-3: keys and certificates ----------------------------------------------------
    def start_certificate(self, role: str, *, password: str = "", replace: bool = False) -> None:
        """Create the CA or issue a leaf in a thread worker; the answers are copied first."""
        if self.session is None or self.ws is None:
            return
        if self.busy.get(role):
            self.notify("already working on it", severity="warning")
            return
        key_type = getattr(self.session, f"{role}_key_type")
        what = {"ca": "the CA", "server": "the server certificate", "client": "the client certificate and client.p12"}[role]
        bits = {"rsa2048": "RSA 2048", "rsa3072": "RSA 3072", "rsa4096": "RSA 4096", "ec-p256": "EC P-256", "ec-p384": "EC P-384"}
        reuse = role == "ca" and not replace and self.ws.cert("ca").exists() and self.ws.key("ca").exists()
        self.busy[role] = "checking the existing CA…" if reuse else f"generating a {bits.get(key_type, key_type)} key and {what}…"
        # The password is held by a closure, never passed as a worker argument: Textual builds a
        # worker's default description (shown in its log) from the arguments' reprs.
        self._certificate_worker(role, copy.deepcopy(self.session), self.ws, replace, lambda: password)
        self.sync_screen()

    @work(thread=True, group="certificates", description="key and certificate generation")
    def _certificate_worker(self, role: str, session: Session, ws: Workspace, replace: bool,
                            password: Callable[[], str]) -> None:
        from wizard import steps
        from wizard.errors import WizardError

        try:
            if role == "ca":
                outcome = steps.create_ca(ws, session, replace=replace)
            elif role == "server":
                outcome = steps.issue_server(ws, session, force=replace)
            else:
                outcome = steps.issue_client(ws, session, password(), force=replace)
        except WizardError as error:
            self.post_message(WorkDone(role, ws.root, error=str(error)))
        except Exception as error:  # noqa: BLE001 - shown as one line, never a traceback
            self.post_message(WorkDone(role, ws.root, error=f"unexpected {type(error).__name__}: {error}"))
        else:
            self.post_message(WorkDone(role, ws.root, result=outcome, session=session))

    def on_work_done(self, message: WorkDone) -> None:
        self.busy.pop(message.kind, None)
        if self.ws is None or message.workspace != self.ws.root:
            self._route_elsewhere(message)
        else:
            handler = getattr(self, f"_done_{message.kind}", None) or self._done_certificate
            handler(message)
        self.sync_screen()

    def _route_elsewhere(self, message: WorkDone) -> None:
        """A result for a workspace that is no longer open: save it into that workspace's own
        session (never into the current one); a handshake result there is simply dropped."""
        if message.session is not None and self.store is not None and message.kind != "handshake":
            try:
                self.store.save(message.session)
            except Exception as error:  # noqa: BLE001 - reported, never fatal
                self.notify(f"the session of {message.workspace} could not be saved: {error}", severity="error")
                return
        self.notify(f"work for {message.workspace} finished after the workspace was switched: "
                    "its result went to that workspace's session", severity="warning", timeout=10)

    def _take_over(self, worker_session: Session, fields: Iterable[str]) -> None:
        """Copy what the core recorded in the worker's copy of the session into the live one."""
        assert self.session is not None
        for name in fields:
            setattr(self.session, name, copy.deepcopy(getattr(worker_session, name)))

    def _done_certificate(self, message: WorkDone) -> None:
        if message.error:
            self.show_error(message.error)
            return
        assert self.session is not None and message.session is not None and self.ws is not None
        # The worker had its own copy of the session: take over what the step recorded,
        # including the later steps' results it cleared (stale after a new certificate).
        self._take_over(message.session, CERTIFICATE_FIELDS)
        self.save()
        outcome = message.result
        step = {"ca": 1, "server": 2, "client": 3}[message.kind]
        if outcome.reused:
            self.notify("The existing CA is reused: certificates already uploaded stay valid.", title="Step 1")
        elif not self._showing(step):  # the step's page shows the result itself
            self.notify(f"{len(outcome.files)} files written.", title=f"Step {step} done")
        if outcome.backup is not None:
            self.notify(f"The old files were moved to {self.ws.relative(outcome.backup)}/", title="Backup", timeout=12)
        for warning in outcome.warnings:
            self.notify(warning, severity="warning", timeout=12)

    def adopt_existing(self, role: str) -> bool:
        """Take over a server or client certificate already in the workspace (made earlier,
        e.g. by `mtls-wizard generate` with another data dir) instead of reissuing it.
        Only a complete set whose key matches and which our CA signed is adopted."""
        if self.session is None or self.ws is None:
            return False
        from wizard import pki, steps
        from wizard.errors import WizardError
        from wizard.workspace import read_bytes

        ws = self.ws
        missing = [p for p in ws.artifacts(role) if p.suffix != ".csr" and not p.exists()]
        try:
            if missing:
                raise WizardError(f"{ws.relative(missing[0])} is missing: issue a new {role} certificate")
            _, ca_cert = steps.load_ca(ws)
            cert = pki.load_cert_pem(read_bytes(ws.cert(role)), f"{role} certificate")
            key = pki.load_key_pem(read_bytes(ws.key(role)), f"{role} key")
            if not pki.keys_match(key, cert):
                raise WizardError(f"{ws.relative(ws.key(role))} does not belong to {ws.relative(ws.cert(role))}: issue a new {role} certificate")
            if not pki.verify_issued_by(cert, ca_cert):
                raise WizardError(f"{ws.relative(ws.cert(role))} was not signed by this workspace's CA: issue a new {role} certificate")
        except WizardError as error:
            self.show_error(str(error))
            return False
        self.session.certificates[role] = pki.cert_info(cert)
        self.session.mark_done(steps.ROLE_STEP[role])
        self.save()
        self.sync_screen()
        return True

    # -- step 4/5: the optional API upload --------------------------------------------------
    def start_upload(self, region: str, project_id: str, endpoint: str) -> None:
        if self.session is None or self.ws is None or self.busy.get("upload"):
            return
        self.busy["upload"] = "uploading both certificates through the ELB API…"
        self._upload_worker(copy.deepcopy(self.session), self.ws, region, project_id, endpoint)
        self.sync_screen()

    @work(thread=True, group="upload", description="certificate upload through the ELB API")
    def _upload_worker(self, session: Session, ws: Workspace, region: str, project_id: str, endpoint: str) -> None:
        from wizard import elb
        from wizard.errors import WizardError

        try:
            result = elb.upload(ws, session, region=region, project_id=project_id, endpoint=endpoint or None,
                                tls_policy=session.tls_policy, log=lambda line: None)
        except WizardError as error:
            # What was uploaded before the failure is recorded in `session`: hand it back too.
            self.post_message(WorkDone("upload", ws.root, error=str(error), session=session))
        except Exception as error:  # noqa: BLE001
            self.post_message(WorkDone("upload", ws.root, error=f"unexpected {type(error).__name__}: {error}", session=session))
        else:
            self.post_message(WorkDone("upload", ws.root, result=result, session=session))

    def _done_upload(self, message: WorkDone) -> None:
        assert self.session is not None
        if message.session is not None:
            # The core marks steps and records ids only for what really reached the API.
            self._take_over(message.session, UPLOAD_FIELDS)
            self.save()
        if message.error:
            self.show_error(message.error, "Upload failed")
            return
        result = message.result
        self.notify(f"server certificate {result.server_cert_id}, CA certificate {result.ca_cert_id}", title="Uploaded")

    # -- step 7: the handshake test and the rehearsal listener -----------------------------
    def start_handshake(self, host: str, port: int, sni: str | None) -> None:
        if self.ws is None or self.busy.get("handshake"):
            return
        self.live_attempts = []
        self.busy["handshake"] = f"testing {host}:{port}: three connections…"
        # A daemon thread, not a Textual worker: thread workers run in the event loop's pool,
        # which is joined at exit, so ctrl+q would wait for the probe's timeouts (up to 30 s).
        # Nothing is written by the probe, so leaving it behind on quit loses nothing.
        self.probe_thread = threading.Thread(target=self._run_probe, args=(self.ws, host, port, sni),
                                             name="mtls-wizard-probe", daemon=True)
        self.probe_thread.start()
        self.sync_screen()

    def _post_from_thread(self, message: Message) -> None:
        try:
            self.post_message(message)
        except RuntimeError:
            pass  # the App has exited (its loop is closed): nobody is waiting for the result

    def _run_probe(self, ws: Workspace, host: str, port: int, sni: str | None) -> None:
        from wizard import handshake
        from wizard.errors import WizardError

        try:
            verdict = handshake.probe(host, port, ws, sni=sni or None, timeout=10.0,
                                      progress=lambda attempt: self._post_from_thread(AttemptDone(attempt)))
        except WizardError as error:
            self._post_from_thread(WorkDone("handshake", ws.root, error=str(error)))
        except Exception as error:  # noqa: BLE001
            self._post_from_thread(WorkDone("handshake", ws.root, error=f"unexpected {type(error).__name__}: {error}"))
        else:
            self._post_from_thread(WorkDone("handshake", ws.root, result=verdict))

    def on_attempt_done(self, message: AttemptDone) -> None:
        self.live_attempts.append(message.attempt)
        self.sync_screen()

    def _done_handshake(self, message: WorkDone) -> None:
        if message.error:
            self.show_error(message.error, "The test could not run")
            return
        assert self.session is not None
        verdict = message.result
        self.session.last_verdict = verdict.to_dict()
        if verdict.passed:
            self.session.mark_done(7)
        else:
            self.session.steps_done = [s for s in self.session.steps_done if s != 7]
        self.save()
        if self._showing(7):
            return  # the page shows the attempts and the verdict
        if verdict.passed:
            self.notify(verdict.summary, title="PASS", timeout=10)
        else:
            self.notify(verdict.summary, title=verdict.status.upper(), severity="error", timeout=12)

    def _showing(self, step: int) -> bool:
        return getattr(self.screen, "STEP", None) == step

    def start_rehearsal(self) -> str | None:
        """Start the local mTLS listener (once); return its address, None when it cannot start."""
        if self.ws is None:
            return None
        if self.rehearsal is not None:
            return self.rehearsal.address
        from wizard.errors import WizardError
        from wizard.rehearsal import RehearsalServer

        server = RehearsalServer(self.ws)
        try:
            server.start()
        except (WizardError, OSError) as error:
            self.show_error(f"the practice listener cannot start: {error}")
            return None
        self.rehearsal = server
        return server.address

    def stop_rehearsal(self) -> None:
        if self.rehearsal is not None:
            server, self.rehearsal = self.rehearsal, None
            server.stop()

    async def action_quit(self) -> None:
        self.save()
        self.stop_rehearsal()
        self.exit(0)

    def on_unmount(self) -> None:
        if self._save_timer is not None:
            self.save()  # answers typed just before the app went away
        self.stop_rehearsal()


def run_app(workspace: str | None = None) -> int:
    """Run the wizard in the terminal; the exit code (0 on a normal quit)."""
    app = WizardApp(workspace=workspace)
    result = app.run()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)
