"""Welcome: what the wizard does, the workspace folder, the route (Huawei Cloud ELB, or the
practice load balancer on this machine), and one button to start or continue.

The folder is checked as it is typed (a newcomer must not meet a bad path only in step 1),
and what the folder already holds is read from its files, not only from a saved session: a
workspace made by `mtls-wizard generate` under another account shows its progress too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from screens.footer import PageFooter
from screens.scrolling_page import ScrollingPage
from screens.text import display_path, markdown
from wizard import assets_loader
from wizard.i18n import _

if TYPE_CHECKING:
    from wizard.progress import Survey
    from wizard.session import Session, SessionStore

SURVEY_DELAY = 0.3  # seconds of quiet typing before the folder is read
ROUTES = ("elb", "practice")


def folder_problem(text: str) -> str | None:
    """Why `text` cannot be the workspace folder, or None (cheap: a few stat calls)."""
    if not text.strip():
        return _("give a folder for the workspace, e.g. {example}").format(example="~/mtls-workspace")
    path = Path(os.path.abspath(os.path.expanduser(text.strip())))
    if path.exists():
        if not path.is_dir():
            return _("{path} is a file: choose a folder").format(path=display_path(path))
        if not os.access(path, os.W_OK | os.X_OK):
            return _("you cannot write to {path}: choose a folder you can write to").format(path=display_path(path))
        return None
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return _("{path} is a file, so no folder can be made under it: choose another place").format(path=display_path(parent))
    if not os.access(parent, os.W_OK | os.X_OK):
        return _("no folder can be made in {path} (no write permission): choose a folder you can write to").format(
            path=display_path(parent))
    return None


def expiry_warning(row: Any) -> str:
    """"the server certificate expires in 12 days", "the client alice on ELB expired 3 days ago"
    (a row of wizard.lifecycle.status)."""
    days_left = row.days_left
    described = {"ca": _("the CA"), "server": _("the server certificate")}
    what = described.get(row.role) or _("the client {name}").format(name=row.name)
    if row.location == "elb":
        sentence = _("{what} on ELB expired {days} days ago") if days_left < 0 else _("{what} on ELB expires in {days} days")
    else:
        sentence = _("{what} expired {days} days ago") if days_left < 0 else _("{what} expires in {days} days")
    return sentence.format(what=what, days=abs(days_left))


class WorkspaceFolder(Validator):
    def validate(self, value: str) -> ValidationResult:
        problem = folder_problem(value)
        return self.failure(problem) if problem else self.success()


class WelcomeScreen(ScrollingPage):
    """Made with the folder given on the command line (None: none) and the open session, if any."""

    SCROLLER = "#welcome-body"
    AUTO_FOCUS = "#workspace"
    MAIN_ACTION, WHY_NOT = "#start", "#start-hint"  # Enter in the folder field

    class FolderSurveyed(Message):
        """What a folder holds (read by the page's own worker): its saved session (if any) with
        what its files prove added."""

        def __init__(self, folder: str, session: Session | None, survey: Survey | None, last_workspace: str | None,
                     expiring: list[Any] | None = None, refusal: str = "") -> None:
            super().__init__()
            self.folder = folder
            self.session = session
            self.survey = survey
            self.last_workspace = last_workspace
            self.expiring = expiring or []  # status rows, shown by expiry_warning (in the language of the moment)
            self.refusal = refusal  # why the folder is not used (another user could have prepared it), else ""

    class StoreFound(Message):
        """The session store, found off the event loop: the App keeps it."""

        def __init__(self, store: SessionStore) -> None:
            super().__init__()
            self.store = store

    class StartRequested(Message):
        """Start or continue the session of `folder` (an absolute path) on `route` ("elb" or
        "practice") and show its first step not done; `survey`: what its files prove, added to the session."""

        def __init__(self, folder: str, survey: Survey | None, route: str = "elb") -> None:
            super().__init__()
            self.folder, self.survey, self.route = folder, survey, route

    def __init__(self, requested_workspace: str | None = None, session: Session | None = None) -> None:
        super().__init__()
        self.requested_workspace = requested_workspace
        self.session = session
        self.surveyed: WelcomeScreen.FolderSurveyed | None = None
        self._initial = ""
        self._survey_timer: Timer | None = None
        self.entered_for: str | None = None  # the folder Enter was pressed for while it was being read
        self.route = session.route if session is not None and session.route in ROUTES else ""  # "" not chosen here yet

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="welcome-body", can_focus=False):
            yield Static(markdown(assets_loader.read_text("welcome.md")), id="welcome-text", classes="text")
        with Horizontal(id="workspace-row"):
            yield Label(_("Workspace folder"), classes="field-label")
            if not self._initial:  # composed again on a language switch: the folder typed is kept anyway
                self._initial = self._initial_folder()
            yield Input(self._initial, id="workspace", compact=True, validators=[WorkspaceFolder()])
        with Horizontal(id="route-row"):
            yield Label(_("Load balancer"), classes="field-label")
            chosen = self.chosen_route()
            yield RadioSet(RadioButton(_("Huawei Cloud ELB (a cloud account and a load balancer)"), value=chosen == "elb", id="route-elb"),
                           RadioButton(_("practice on this machine (no cloud account needed)"), value=chosen == "practice",
                                       id="route-practice"), id="route", compact=True)
        yield Static("", id="workspace-note", markup=False)
        with Horizontal(id="welcome-actions"):
            yield Button(_("Start"), id="start", variant="primary", compact=True, disabled=True)
            yield Static("", id="start-hint", markup=False)
        yield PageFooter()

    def _initial_folder(self) -> str:
        if self.session is not None:
            return display_path(self.session.workspace)
        if self.requested_workspace:
            return self.requested_workspace
        return display_path(os.path.join(os.getcwd(), "mtls-workspace"))

    def on_mount(self) -> None:
        # Reading sessions and files loads the crypto core: off the event loop, after the first paint.
        use_last = self.session is None and not self.requested_workspace
        self.call_after_refresh(self._survey, self.folder_text(), use_last)
        self.show_folder_state()

    def after_retranslate(self) -> None:
        self.show_folder_state()  # the note, the button and the hint in the new language

    def folder_text(self) -> str:
        return self.query_one("#workspace", Input).value

    def chosen_route(self) -> str:
        """The route chosen here, else the folder's session's, else ELB."""
        if self.route:
            return self.route
        session = self.surveyed.session if self.surveyed is not None else self.session
        return session.route if session is not None and session.route in ROUTES else "elb"

    @on(RadioSet.Changed, "#route")
    def _route_changed(self, event: RadioSet.Changed) -> None:
        self.route = "practice" if event.pressed.id == "route-practice" else "elb"
        self.show_folder_state()

    # -- reading the folder -----------------------------------------------------------------
    @work(thread=True, exclusive=True, group="survey", exit_on_error=False)
    def _survey(self, folder: str, use_last: bool) -> None:
        from wizard.session import SessionFileError, SessionStore

        store = SessionStore()
        last_workspace = None
        if use_last:
            try:
                last = store.last()
            except SessionFileError:
                last = None
            if last is not None:
                last_workspace = folder = display_path(last.workspace)
        self.post_message(self.StoreFound(store))
        session, found, refusal = self._read(store, folder)
        self.post_message(self.FolderSurveyed(folder, session, found, last_workspace, self._expiring(folder, found), refusal))

    @staticmethod
    def _expiring(folder: str, found: Survey | None) -> list[Any]:
        """What in the workspace expires within 30 days (or has): the first page says so."""
        from wizard.lifecycle.status import workspace_status
        from wizard.workspace import Workspace

        if found is None or found.empty:
            return []
        try:
            rows = workspace_status(Workspace(Path(os.path.abspath(os.path.expanduser(folder.strip()))))).warnings
        except Exception:  # noqa: BLE001 - an unreadable certificate only means no warning here
            return []
        return list(rows)

    @staticmethod
    def _read(store: object, folder: str) -> tuple[Session | None, Survey | None, str]:
        """The folder's session and survey, or why it is refused ("" when it is not)."""
        from screens.wording import for_tui
        from wizard.errors import WizardError
        from wizard.progress import survey
        from wizard.record import record_survey
        from wizard.session import SessionFileError
        from wizard.workspace import Workspace

        if folder_problem(folder):
            return None, None, ""
        root = Path(os.path.abspath(os.path.expanduser(folder.strip())))
        try:
            Workspace(root).refuse_untrusted()  # nothing another user could have planted is read, not even its progress
        except WizardError as refused:
            return None, None, for_tui(str(refused))
        try:
            session = store.open(root)  # type: ignore[attr-defined]
        except SessionFileError:
            from wizard.session import Session

            session = Session(workspace=str(root))
        try:
            found = survey(Workspace(root))
        except Exception:  # noqa: BLE001 - an unreadable folder only means no progress to show
            found = None
        if found is not None:
            record_survey(session, found)
        return session, found, ""

    @on(FolderSurveyed)
    def _surveyed(self, message: FolderSurveyed) -> None:
        field = self.query_one("#workspace", Input)
        if message.last_workspace and field.value == self._initial != message.last_workspace:
            # Nothing typed yet: the last session's workspace, as --help promises.
            self._initial = field.value = message.last_workspace
        if message.folder == field.value:
            self.surveyed = message
            self._show_route()
        self.show_folder_state()
        entered_for, self.entered_for = self.entered_for, None
        if entered_for == field.value == message.folder and not self.query_one("#start", Button).disabled:
            self.start()

    def surveyed_here(self) -> WelcomeScreen.FolderSurveyed | None:
        """What was read of the folder now in the field (None: it is not read yet)."""
        return self.surveyed if self.surveyed is not None and self.surveyed.folder == self.folder_text() else None

    def _show_route(self) -> None:
        """The folder's session's route, until one is chosen here."""
        wanted = self.query_one("#route-practice" if self.chosen_route() == "practice" else "#route-elb", RadioButton)
        if not wanted.value:
            with self.prevent(RadioSet.Changed):
                wanted.value = True

    # -- what the page shows ------------------------------------------------------------------
    def show_folder_state(self) -> None:
        note = self.query_one("#workspace-note", Static)
        start = self.query_one("#start", Button)
        hint = self.query_one("#start-hint", Static)
        surveyed = self.surveyed_here()
        session = surveyed.session if surveyed else None
        problem = folder_problem(self.folder_text()) or (surveyed.refusal if surveyed else "")
        note.set_classes("-error" if problem else "")
        if problem:
            note.update(problem)
            start.label, start.disabled = _("Start"), True
            hint.update(_("fix the folder to start"))
        elif surveyed is None:
            note.update("")
            start.disabled = True
            hint.update(_("starting once the folder is read…") if self.entered_for else _("reading the folder…"))
        elif session is None or not session.steps_done:
            note.update(_("a new workspace: the seven steps start with the CA"))
            start.label, start.disabled = _("Start"), False
            hint.update("")
        else:
            # Imported once the folder is read (it loads the session code): not before the first paint.
            from wizard.progress import SUMMARY, next_step, progress_line

            upcoming = next_step(session)
            expiring = surveyed.expiring
            if expiring:
                note.set_classes("-warning")
                warning = (_("! {expiring} (and {more} more): renew from the summary") if len(expiring) > 1
                           else _("! {expiring}: renew from the summary")).format(
                    expiring=expiry_warning(expiring[0]), more=len(expiring) - 1)
                note.update(f"{progress_line(session)}\n{warning}")
            else:
                note.update(progress_line(session))
            start.label = _("Open the summary") if upcoming == SUMMARY else _("Continue at step {step}").format(step=upcoming)
            start.disabled = False
            switching = (session.route or "elb") != self.chosen_route()
            if switching:
                start.label = _("Continue on this route")
            hint.update(_("steps 4-7 start again on this route (steps 1-3 are kept)") if switching else "")

    @on(Input.Changed, "#workspace")
    def _folder_changed(self, event: Input.Changed) -> None:
        if event.value != self.entered_for:
            self.entered_for = None  # another folder typed: Enter meant the one before
        self.show_folder_state()
        if self._survey_timer is not None:
            self._survey_timer.stop()
        if not folder_problem(event.value):
            self._survey_timer = self.set_timer(SURVEY_DELAY, lambda: self._survey(event.value, False))

    def main_action(self) -> None:
        # Enter pressed before the folder is read (the first moment after the page shows): the
        # wizard starts once it is, instead of dropping the key.
        folder = self.folder_text()
        if self.surveyed_here() is None and not folder_problem(folder):
            self.entered_for = folder
            self.show_folder_state()
            return
        super().main_action()

    @on(Button.Pressed, "#start")
    def start(self) -> None:
        folder = self.folder_text()
        problem = folder_problem(folder)
        if problem:
            self.notify(problem, severity="error")
            return
        surveyed = self.surveyed_here()
        if surveyed is None:
            self.notify(_("still reading the folder: press again in a moment"), severity="warning")
            return
        self.post_message(self.StartRequested(os.path.abspath(os.path.expanduser(folder.strip())), surveyed.survey, self.chosen_route()))
