"""Welcome: what the wizard does, the seven steps, a new session or resuming the last one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from screens.text import display_path, markdown
from wizard import assets_loader

if TYPE_CHECKING:
    from wizard.app import WizardApp
    from wizard.session import Session, SessionStore


class WelcomeScreen(Screen[None]):
    AUTO_FOCUS = "#workspace"

    def __init__(self) -> None:
        super().__init__()
        self.resumable: Session | None = None

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="welcome-body"):
            yield Static(markdown(assets_loader.read_text("welcome.md")), id="welcome-text", classes="text")
        with Horizontal(id="workspace-row"):
            yield Label("Workspace folder", classes="field-label")
            yield Input(self._initial_folder(), id="workspace", compact=True)
        with Horizontal(id="welcome-actions"):
            yield Button("Start", id="start", variant="primary", compact=True)
            yield Button("Resume", id="resume", compact=True)
            yield Static("", id="resume-info", markup=False)
        yield Footer()

    def _initial_folder(self) -> str:
        requested = self.wizard.requested_workspace
        if self.wizard.session is not None:
            return display_path(self.wizard.session.workspace)
        if requested:
            return requested
        import os

        return display_path(os.path.join(os.getcwd(), "mtls-workspace"))

    def on_mount(self) -> None:
        self.query_one("#resume", Button).display = False
        # Reading sessions loads the crypto core: do it off the event loop, after the first paint.
        self.call_after_refresh(self._find_resumable)

    @work(thread=True, exit_on_error=False)
    def _find_resumable(self) -> None:
        from wizard.session import SessionFileError, SessionStore

        store = SessionStore()
        requested = self.wizard.requested_workspace
        try:
            session = store.load(requested) if requested else store.last()
        except SessionFileError as error:
            self.app.call_from_thread(self.notify, str(error), severity="warning", timeout=10)
            session = None
        except Exception:  # noqa: BLE001 - an unreadable data dir only means nothing to resume
            session = None
        self.app.call_from_thread(self._offer_resume, store, session)

    def _offer_resume(self, store: SessionStore, session: Session | None) -> None:
        self.wizard.use_store(store)
        self.resumable = session
        if session is None or not self.is_mounted:
            return
        step = session.current_step
        stage = f"step {step} of 7" if 1 <= step <= 7 else ("summary" if step == 8 else "step 1 of 7")
        self.query_one("#resume-info", Static).update(f"{display_path(session.workspace)} ({stage})")
        resume = self.query_one("#resume", Button)
        resume.display = True
        resume.focus()

    @on(Button.Pressed, "#resume")
    def resume(self) -> None:
        if self.resumable is not None:
            self.wizard.open_workspace(self.resumable.workspace)

    @on(Button.Pressed, "#start")
    @on(Input.Submitted, "#workspace")
    def start(self) -> None:
        folder = self.query_one("#workspace", Input).value.strip()
        if not folder:
            self.notify("give a folder for the workspace, e.g. ~/mtls-workspace", severity="error")
            return
        import os

        path = os.path.abspath(os.path.expanduser(folder))
        if os.path.exists(path) and not os.path.isdir(path):
            self.notify(f"{folder} is a file: choose a folder", severity="error")
            return
        self.wizard.open_workspace(path)
