"""What every step screen shares: the step bar, the page layout, Back/Next, form rows,
the copy/save text panel, the result and checklist panels, and the modals.

A step screen only describes its own form and outcome. It is given what it reads when it
is made (the session, the workspace, the App's work in progress) and asks for everything
else with a message that bubbles up to the App (`StepScreen.PageRequested`, a step's own
`…Requested`): the App owns the session, saves it and runs the long work, so a screen can
be left at any time without losing anything. No screen imports the App.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, Union

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from screens.download import PASTE_TEXT, DownloadButton
from screens.footer import PageFooter
from screens.language import Translated
from screens.scrolling_page import ScrollingPage
from screens.text import display_path, markdown
from screens.wording import for_tui
from wizard import assets_loader
from wizard.i18n import N_, _

if TYPE_CHECKING:
    from screens.upload_modal import UploadRequest
    from wizard.session import Session
    from wizard.workspace import Workspace

# The step bar's names (translated where shown): short, all seven and "Summary" fit 80 columns.
STEP_NAMES = {1: N_("CA"), 2: N_("Server"), 3: N_("Client"), 4: N_("Cert→ELB"), 5: N_("CA→ELB"), 6: N_("Listener"),
              7: N_("Verify")}
# The fields a step opens on: its first input, choice or button (never the page itself).
FIRST_FIELD = "#body Input, #body Select, #body TextArea, #body Button"
SEVERITY_MARK = {"ok": ("✔", "green"), "warning": ("!", "yellow"), "error": ("✘", "red")}


class WorkInProgress(Protocol):
    """What a page reads of the App's work while it runs (the App is one; a page sees no more)."""

    @property
    def busy(self) -> Mapping[str, str]:
        """Kind of work ("ca", "upload", "handshake", ...) -> what the user sees while it runs."""

    @property
    def live_attempts(self) -> Sequence[Any]:
        """The handshake test's attempts finished so far (while it runs)."""

    @property
    def clients_progress(self) -> tuple[int, int]:
        """(done, total) of the batch of named clients being issued."""

    @property
    def practice_address(self) -> str | None:
        """Where the practice load balancer serves its listener, None while it does not."""

    @property
    def practice_problem(self) -> str:
        """Why the practice load balancer cannot serve its listener ("" when nothing stops it)."""

    @property
    def gone_listener(self) -> str:
        """The recorded ELB listener the last upload found gone from ELB ("" none)."""


def findings_text(findings: Iterable[Any]) -> Text:
    """The readiness checklist: one coloured line per check, the fix indented below."""
    text = Text()
    for finding in findings:
        mark, colour = SEVERITY_MARK.get(finding.severity, ("?", "white"))
        if text:
            text.append("\n")
        text.append(f" {mark} ", style=f"bold {colour}")
        text.append(for_tui(finding.message))  # the core names command-line options; here, the wizard's fields
        if finding.fix and finding.severity != "ok":
            text.append("\n     " + _("fix: {fix}").format(fix=for_tui(finding.fix)), style="dim")
    return text


# ---------------------------------------------------------------------------
# Widgets
# ---------------------------------------------------------------------------


class StepIndicator(Static):
    """1-7 with done (✔), current (▶) and to do (·); always at the top of a step screen."""

    def show(self, session: Session | None, current: int) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        for step, name in STEP_NAMES.items():
            done = session is not None and session.is_done(step)
            if step == current:
                style, mark = "bold reverse", "▶"
            elif done:
                style, mark = "green", "✔"
            else:
                style, mark = "dim", "·"
            if step > 1:
                text.append(" ", style="dim")
            text.append(f"{mark}{step} {_(name)}", style=style)
        if current == 8:
            text.append(" ")
            text.append("▶" + _("Summary"), style="bold reverse")
        self.update(text)


class Busy(Horizontal):
    """Visible progress while the App works for this step (indeterminate bar + what is going on)."""

    def compose(self) -> ComposeResult:
        from textual.widgets import ProgressBar  # the welcome page never shows one: its first paint comes sooner

        # Indeterminate only while shown: Textual redraws an indeterminate bar 15 times a second,
        # hidden or not (1% of a core on a page where nothing happens, five times the rest).
        yield ProgressBar(total=1, show_eta=False, show_percentage=False)
        yield Label("", classes="busy-label")

    def show(self, what: str | None) -> None:
        self.display = bool(what)
        self.query_one("ProgressBar").total = None if what else 1  # type: ignore[attr-defined]
        if what:
            self.query_one(".busy-label", Label).update(what)


class PastePanel(Vertical):
    """Text to paste into the console: read-only, with Copy (OSC 52) and Save to file beside it
    (and Download, in a browser)."""

    def __init__(self, title: str, part: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="paste-panel")
        self.title = title
        self.part = part

    def compose(self) -> ComposeResult:
        with Horizontal(classes="paste-head"):
            yield Label(self.title, classes="paste-title")
            yield Button(_("Copy"), id=f"copy-{self.part}", classes="copy", compact=True)
            yield Button(_("Save to file"), id=f"save-{self.part}", classes="save", compact=True)
            yield DownloadButton(_("Download"), PASTE_TEXT, self.part, id=f"download-{self.part}")  # in a browser only
        from textual.widgets import TextArea  # (as ProgressBar above: not needed for the first page)

        yield TextArea("", read_only=True, show_line_numbers=False, soft_wrap=False, classes="paste-text")

    def set_text(self, text: str) -> None:
        self.query_one(".paste-text").load_text(text)  # type: ignore[attr-defined]

    @property
    def text(self) -> str:
        return str(self.query_one(".paste-text").text)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# Modals
# ---------------------------------------------------------------------------

# A dialog's text: as it is, or how to say it (a function that builds it with `_`), so an open
# dialog says it again in the new language when the language is switched (it is composed again).
Words = Union[str, Callable[[], str]]


def said(words: Words) -> str:
    return words() if callable(words) else words


class ConfirmModal(ModalScreen[bool], Translated):
    """A yes/no question; the safe answer (No) has the focus."""

    BINDINGS = [Binding("escape", "dismiss(False)", N_("Cancel"))]

    def __init__(self, title: Words, body: Words, yes: Words | None = None, no: Words | None = None) -> None:
        super().__init__()
        self.title_text, self.body = title, body
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(said(self.title_text), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(said(self.body), markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(said(self.yes) if self.yes else _("Yes"), id="yes", variant="error", compact=True)
                yield Button(said(self.no) if self.no else _("Cancel"), id="no", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class MessageModal(ModalScreen[None], Translated):
    """A longer error (or any message) with its fix; Enter or Escape closes it."""

    BINDINGS = [Binding("escape", "dismiss", N_("Close"))]

    def __init__(self, title: Words, body: Words, *, error: bool = True) -> None:
        super().__init__()
        self.title_text, self.body, self.error = title, body, error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog" + (" -error" if self.error else "")):
            yield Label(said(self.title_text), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(said(self.body), markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed)
    def _close(self) -> None:
        self.dismiss()


class HelpScreen(ModalScreen[None], Translated):
    """F1: how to move around, copying over SSH, the safety rules."""

    BINDINGS = [Binding("escape,f1,q", "dismiss", N_("Close help"))]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            with VerticalScroll(classes="dialog-body", id="help-body"):
                yield Static(markdown(assets_loader.read_text("help.md")), classes="text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close"), id="close", variant="primary", compact=True)
            yield PageFooter()

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    @on(Button.Pressed)
    def _close(self) -> None:
        self.dismiss()


# ---------------------------------------------------------------------------
# The step page
# ---------------------------------------------------------------------------


class WorkspacePage(ScrollingPage):
    """A page of one workspace: made with the session and the workspace it shows, and what the
    App is working on (read at every redraw, `sync`)."""

    def __init__(self, session: Session, ws: Workspace, work: WorkInProgress) -> None:
        super().__init__()
        self.session = session
        self.ws = ws
        self.work = work

    def sync(self) -> None:
        """Redraw from the session and the work in progress."""

    _sync_wanted = False

    def sync_soon(self) -> None:
        """`sync` once the messages already waiting are handled: a form filled at once (a Changed
        message per field) or typed into fast redraws once, not once per message."""
        if not self._sync_wanted:
            self._sync_wanted = True
            self.call_later(self._wanted_sync)

    def _wanted_sync(self) -> None:
        self._sync_wanted = False
        self.sync()

    def busy_with(self, kind: str) -> str | None:
        return self.work.busy.get(kind)

    def set_note(self, note_id: str, message: str | None, *, level: str = "error") -> None:
        note = self.query_one(f"#{note_id}", Static)
        note.set_classes(f"note -{level}" if message else "note")
        note.update(message or "")
        note.display = bool(message)


class StepScreen(WorkspacePage):
    """Step bar, the step's text and form in a scrolling body, Back/Next, Footer.

    Subclasses set STEP, implement `compose_form`, `can_advance` and `sync_form`; the App
    calls `sync()` whenever the session or the work in progress changes. A step asks the
    App for work with the messages below or its own `…Requested` (the App's handlers are in
    wizard/app/).
    """

    class PageRequested(Message):
        """Show another page: a step (1-7), the summary (8) or the welcome page (0)."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    class AnswersChanged(Message):
        """New answers are in the session (`remember`): the App writes it once typing pauses."""

    class DoneRequested(Message):
        """Mark a step done that the person did elsewhere (the console: steps 4-6)."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    class ClientsRequested(Message):
        """Open the Clients page."""

    class MoveRequested(Message):
        """Upload what changed and move the recorded ELB listener to it (steps 4-6 after a renewal),
        with the region, project, load balancer and port of the record: nothing typed again."""

    class UploadRequested(Message):
        """Upload the certificates through the ELB API (steps 4-5), and with a load balancer id
        create or move the listener (step 6)."""

        def __init__(self, request: UploadRequest) -> None:
            super().__init__()
            self.request = request

    STEP = 0
    BINDINGS = [
        # priority: a focused Input would otherwise type the letter. Not alt+b: terminals
        # send it as ESC b, which Textual reads as ctrl+left (word movement).
        Binding("alt+p", "back", N_("Back"), priority=True),
        Binding("alt+n", "next", N_("Next"), priority=True),
    ]
    AUTO_FOCUS = ""  # the page opens at its title, focusing its first field only if in view (on_mount)
    _was_ready: bool | None = None
    _mounted_form = False

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StepIndicator(id="indicator")
        with VerticalScroll(id="body", can_focus=False):
            yield Static(markdown(self.intro_text()), classes="intro text")
            yield from self.compose_form()
        with Horizontal(id="nav"):
            yield Static("", id="nav-hint", markup=False)
            yield Button(_("◀ Back"), id="back", compact=True)
            yield Button(_("Next ▶"), id="next", compact=True, variant="primary")
        yield PageFooter()

    def intro_text(self) -> str:
        return assets_loader.step_text(self.STEP)

    def compose_form(self) -> ComposeResult:
        yield from ()

    def teaching(self, commands_id: str = "commands") -> ComposeResult:
        """The two collapsible teaching panels of a generating step."""
        from textual.widgets import Collapsible

        with Collapsible(title=_("Show the openssl commands"), id="commands-panel", classes="teach"):
            yield Static("", id=commands_id, classes="commands", markup=False)
        why = assets_loader.why_text(self.STEP)
        if why:
            with Collapsible(title=_("Why this differs from the tutorial"), classes="teach"):
                yield Static(markdown(why), classes="text")

    # -- state -------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.load_form()
        self._mounted_form = True
        self.fit_menus()
        self.sync()
        self.call_after_refresh(self.open_at_title, "#body", FIRST_FIELD)

    def after_retranslate(self) -> None:
        self.fit_menus()
        self.sync()

    def back_on_page(self) -> None:
        self.sync()  # what happened while a dialog was open (an error, a result) shows at once

    def load_form(self) -> None:
        """Put the session's answers into the form (once, when the screen opens)."""

    def sync(self) -> None:
        if not self._mounted_form:
            return
        self.query_one(StepIndicator).show(self.session, self.STEP)
        self.sync_form()
        ready = self.can_advance()
        next_button = self.query_one("#next", Button)
        next_button.disabled = not ready
        self.query_one("#nav-hint", Static).update("" if ready else self.next_hint())
        if ready and self._was_ready is False:
            # The step just got its outcome: show it, and offer Next.
            self.call_after_refresh(self._show_outcome)
        self._was_ready = ready

    def _show_outcome(self) -> None:
        results = self.query(".result")
        if results:
            self.query_one("#body", VerticalScroll).scroll_to_widget(results.first(), top=False)
        focused = self.focused
        if focused is None or not focused.display or not focused.focusable or isinstance(focused, Button):
            self.query_one("#next", Button).focus()

    def sync_form(self) -> None:
        """Show the step's outcome, progress and validation (every time something changes)."""

    def can_advance(self) -> bool:
        return self.session.is_done(self.STEP)

    def next_hint(self) -> str:
        return ""

    # -- navigation --------------------------------------------------------------------
    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.post_message(self.PageRequested(self.STEP - 1))

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        if self.can_advance():
            self.post_message(self.PageRequested(self.STEP + 1))
        else:
            self.notify(self.next_hint() or _("finish this step first"), severity="warning")

    # -- helpers for subclasses ----------------------------------------------------------
    def remember(self, **answers: Any) -> None:
        """Put answers into the session at once (the page reads them back as it redraws); the
        App writes the session once typing pauses, not on every keystroke."""
        changed = [name for name, value in answers.items() if getattr(self.session, name) != value]
        for name in changed:
            setattr(self.session, name, answers[name])
        if changed:
            self.post_message(self.AnswersChanged())


__all__ = ["display_path"]  # re-exported for the step screens
