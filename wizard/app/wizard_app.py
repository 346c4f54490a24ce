"""WizardApp: the screen flow, the bindings and the session wiring.

The App is the long-lived owner of everything that outlives a screen: the session (written
by a background writer after every answer), the work in threads (the `*_work` modules beside
this one) and the practice load balancer, serving on this machine on the practice route. Pages ask with messages (see wizard.app) and
redraw from the session when the App tells them something changed (`sync`).

Heavy modules (cryptography through the core, the step screens) are imported lazily so
the first screen paints about as fast as a bare Textual app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from wizard import assets_loader, i18n
from wizard.app.ca_unlock import CaUnlockWork
from wizard.app.certificate_work import CertificateWork
from wizard.app.clients_work import ClientsWork
from wizard.app.download_work import DownloadWork
from wizard.app.elb_work import ElbWork
from wizard.app.handshake_work import HandshakeWork
from wizard.app.practice_work import PracticeWork
from wizard.app.page_prefetch import SETTLE, PagePrefetch, nearest_first
from wizard.app.quiet_collection import CHECK_EVERY, QuietCollector
from wizard.i18n import N_, _

if TYPE_CHECKING:
    from textual.timer import Timer

    from screens.base import StepScreen
    from screens.summary import SummaryScreen
    from screens.welcome import WelcomeScreen
    from wizard.practice import PracticeLoadBalancer
    from wizard.progress import Survey
    from wizard.session import Session, SessionStore, SessionWriter
    from wizard.workspace import Workspace

__all__ = ["SUMMARY", "WizardApp", "run_app"]

SUMMARY = 8
CLIENTS_PAGE = SUMMARY + 1  # where the Clients page is among the pages (it opens from the summary's keys)
# Textual's own texts that the wizard shows (its system commands and the palette key), for the catalog.
TEXTUAL_TEXTS = (
    N_("Theme"), N_("Change the current theme"), N_("Quit"), N_("Quit the application as soon as possible"),
    N_("Hide the keys and widget help panel"), N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"), N_("Minimize the widget and restore to normal size"), N_("Maximize"), N_("Maximize the focused widget"),
    N_("Screenshot"), N_("Save an SVG 'screenshot' of the current screen"), N_("palette"), N_("Open the command palette"),
    N_("Dismiss menu"),  # an open choice list's key in the footer
)
# Textual's words that mean something else in our catalog ("Keys" is the summary's key files):
# a msgid of their own, used once it has a translation (the English stays Textual's word).
TEXTUAL_OWN_WORDS = {"Keys": N_("Keys (the key bindings panel)")}
SAVE_DELAY = 0.5  # seconds of quiet typing before the session is written

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
# The practice route's own pages for steps 4-6 (the practice load balancer instead of ELB's console).
PRACTICE_SCREENS = {
    4: ("screens.practice_handoff", "PracticeServerScreen"),
    5: ("screens.practice_handoff", "PracticeCaScreen"),
    6: ("screens.step6_practice", "PracticeListenerScreen"),
}


def textual_word(text: str) -> str:
    """One of Textual's own texts in the current language."""
    own = TEXTUAL_OWN_WORDS.get(text)
    if own is None:
        return _(text)
    shown = _(own)
    return text if shown == own else shown


class WizardApp(CertificateWork, ElbWork, HandshakeWork, PracticeWork, ClientsWork, CaUnlockWork, DownloadWork):
    TITLE = "mtls-wizard"
    CSS_PATH = assets_loader.stylesheet_path()
    BINDINGS = [
        Binding("f1", "help", N_("Help")),
        Binding("ctrl+q", "quit", N_("Quit"), priority=True),
    ]

    def __init__(self, workspace: str | None = None) -> None:
        super().__init__()
        self.requested_workspace = workspace
        self.store: SessionStore | None = None
        self.writer: SessionWriter | None = None
        self.session: Session | None = None
        self.ws: Workspace | None = None
        self.busy: dict[str, str] = {}  # kind of work -> what the user sees while it runs
        self.practice_lb: PracticeLoadBalancer | None = None
        self.practice_problem = ""  # why the practice load balancer could not serve ("" it serves, or has nothing to)
        self.practice_log: list[str] = []  # its last connections
        self.gone_listener = ""  # the recorded ELB listener the last upload found gone ("" none)
        self.live_attempts: list[Any] = []
        self.clients_progress = (0, 1)  # (done, total) of the batch of named clients being issued
        self.last_error = ""
        self._warned: set[tuple[str, str]] = set()
        self.warnings_shown: list[str] = []  # every warning notified, for whoever wants to read them again
        self.probe_thread: threading.Thread | None = None
        self._save_timer: Timer | None = None
        self._ca_passphrases: dict[Path, str] = {}  # this run's CA key passphrases, in memory only (wizard.app.ca_unlock)
        self._protecting: dict[Path, str | None] = {}
        self.quiet_collector = QuietCollector()  # Python's full collections, when the person pauses
        self.page_prefetch = PagePrefetch()  # the other pages' modules, imported while the person reads

    def get_default_screen(self) -> Screen[Any]:
        from screens.welcome import WelcomeScreen

        # The welcome page is the base of the stack; one step page at a time sits on top of it.
        return WelcomeScreen(self.requested_workspace, self.session)

    def make_screen(self, step: int) -> Screen[Any]:
        """The page of `step`, given what it reads: the session, the workspace, the work in progress."""
        from importlib import import_module

        assert self.session is not None and self.ws is not None
        module, name = (PRACTICE_SCREENS if self.session.practising else STEP_SCREENS).get(step) or STEP_SCREENS[step]
        self.quiet_collector.activity()  # (a page opened by the App, not by a key, is not quiet either)
        self.page_prefetch.hold()
        return getattr(import_module(module), name)(self.session, self.ws, self)

    # -- what the pages ask for (their work: the *_work modules) ----------------------------
    def on_welcome_screen_store_found(self, message: WelcomeScreen.StoreFound) -> None:
        self.use_store(message.store)

    def on_welcome_screen_start_requested(self, message: WelcomeScreen.StartRequested) -> None:
        self.open_workspace(message.folder, survey=message.survey, route=message.route)

    def on_step_screen_page_requested(self, message: StepScreen.PageRequested) -> None:
        self.goto(message.step)

    def on_step_screen_answers_changed(self, _message: StepScreen.AnswersChanged) -> None:
        self.save_soon()

    def on_step_screen_done_requested(self, message: StepScreen.DoneRequested) -> None:
        self.mark_done(message.step)

    def on_step_screen_clients_requested(self, _message: StepScreen.ClientsRequested) -> None:
        self.action_clients()

    async def on_summary_screen_quit_requested(self, _message: SummaryScreen.QuitRequested) -> None:
        await self.action_quit()

    # -- the session ------------------------------------------------------------------
    def use_store(self, store: SessionStore) -> None:
        """The session store (found off the event loop by the welcome screen)."""
        from wizard.session import SessionWriter

        if self.store is None:
            self.store = store
            self.writer = SessionWriter(store, lambda problem: self.notify(problem, severity="error", timeout=10))

    def open_workspace(self, path: str | Path, survey: Survey | None = None, route: str = "") -> None:
        """Start (or continue) the session of a workspace and go to its first step not done.

        `survey`: what the workspace's files prove (read by the welcome screen), added to the
        session so a workspace made elsewhere keeps its ticks. `route`: "elb" or "practice" (""
        keeps the session's).
        """
        from wizard.progress import next_step
        from wizard.record import choose_route, record_survey
        from wizard.session import Session, SessionFileError, SessionStore
        from wizard.workspace import Workspace

        if self.busy:
            # A result must land in the session it was started for: finish the work first.
            self.notify(_("wait until the wizard has finished {work}, then switch the workspace").format(
                work=next(iter(self.busy.values())).rstrip("…")), severity="warning", timeout=8)
            return
        root = Path(path).expanduser().absolute()
        self.use_store(self.store or SessionStore())
        assert self.store is not None
        self.store.notices.clear()  # what the welcome page's reading of other folders found
        try:
            session = self.store.open(root)
        except SessionFileError as error:
            self.notify(str(error), severity="warning", timeout=10)
            session = self.store.with_workspace(Session(workspace=str(root)))
        while self.store.notices:  # e.g. a progress file another user could have written
            self.notify(self.store.notices.pop(0), severity="warning", timeout=10)
        if route:
            choose_route(session, route)
        if survey is not None:
            for outcome in survey.certificates.values():
                if session.certificates.get(outcome.role, {}).get("fingerprint") != outcome.certificate["fingerprint"]:
                    for warning in outcome.warnings:  # e.g. a server certificate another CA issued
                        self.notify(warning, severity="warning", timeout=15)
            record_survey(session, survey)
        self.session = session
        self.ws = Workspace(root)
        self.serve_practice()  # the practice route's listener, serving again (or stopped: another workspace)
        self.save()
        self.goto(next_step(session))

    def take_route(self, route: str) -> None:
        """Switch between the ELB route and the practice route (steps 4-7 are to do on the new one,
        as far as its records do not prove them) and show the first step not done."""
        from wizard.progress import next_step
        from wizard.record import choose_route

        if self.session is None or not choose_route(self.session, route):
            return
        self.serve_practice()
        self.save()
        self.sync_screen()
        self.goto(next_step(self.session))

    def save(self) -> None:
        """Hand the session to the writer thread now; a failure is reported, never fatal."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if self.session is None or self.writer is None:
            return
        try:
            self.writer.submit(self.session)
        except ValueError as error:  # a secret-looking field: refused, reported
            self.notify(_("the session could not be saved: {error}").format(error=error), severity="error", timeout=10)

    def save_elsewhere(self, workspace: Path, change: Callable[[Session], None]) -> None:
        """Apply a late result to the session of a workspace that is no longer open."""
        from wizard.session import SessionFileError

        if self.store is None or self.writer is None:
            return
        try:
            session = self.store.open(workspace)
        except SessionFileError as error:
            self.notify(str(error), severity="warning", timeout=10)
            return
        change(session)
        self.writer.submit(session)
        self.notify(_("work for {workspace} finished after the workspace was switched: "
                      "its result went to that workspace's session").format(workspace=workspace), severity="warning", timeout=10)

    def remember(self, **answers: Any) -> None:
        """Store answers in the session at once; write them once typing pauses (a page does the
        same with `StepScreen.remember`)."""
        if self.session is None:
            return
        changed = False
        for name, value in answers.items():
            if getattr(self.session, name) != value:
                setattr(self.session, name, value)
                changed = True
        if changed:
            self.save_soon()

    def save_soon(self) -> None:
        """Write the session once typing pauses, not on every keystroke. Quitting, leaving the
        step and every result save right away."""
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.save, name="save-session")

    def mark_done(self, step: int) -> None:
        if self.session is not None and not self.session.is_done(step):
            self.session.mark_done(step)
            self.save()
        self.sync_screen()

    def sync_screen(self) -> None:
        """Redraw every page in the stack from the session (a step page under a dialog too,
        so its progress stops the moment an error arrives)."""
        for screen in self.screen_stack:
            sync: Callable[[], None] | None = getattr(screen, "sync", None)
            if sync is not None:
                sync()

    def showing(self, step: int) -> bool:
        return getattr(self.screen, "STEP", None) == step

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
            self.switch_screen(self.make_screen(step))
        else:
            self.push_screen(self.make_screen(step))

    def action_goto(self, step: int) -> None:
        if self.session is None:
            self.notify(_("start or resume a session first"), severity="warning")
        elif not self.reachable(step):
            self.notify(_("finish the steps before it first"), severity="warning")
        else:
            self.goto(step)

    def action_clients(self) -> None:
        """The Clients page: every named client, issuing more, revoking one."""
        from screens.clients import ClientsScreen

        if self.ws is None:
            self.notify(_("start or resume a session first"), severity="warning")
        elif not self.ws.cert("ca").exists():
            self.notify(_("create the CA first (step 1): clients are issued by it"), severity="warning")
        elif self.session is not None and not any(isinstance(screen, ClientsScreen) for screen in self.screen_stack):
            self.push_screen(ClientsScreen(self.session, self.ws, self))

    def action_help(self) -> None:
        from screens.base import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_show_workspace(self) -> None:
        if self.ws is None:
            self.notify(_("no workspace yet: start a session first"), severity="warning")
            return
        path = str(self.ws.root)
        self.copy_to_clipboard(path)
        self.notify(_("{path}\n(copied to the clipboard)").format(path=path), title=_("Workspace folder"), timeout=10)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    # -- language -------------------------------------------------------------------------
    def on_mount(self) -> None:
        from screens.language import translate_bindings

        translate_bindings(self)
        self.quiet_collector.start()
        self.set_interval(CHECK_EVERY, self._when_quiet)

    def _when_quiet(self) -> None:
        """A full collection, or the other pages' modules imported (on a thread) if the wizard is quiet."""
        page = self.screen_stack[-1] if self.screen_stack else None
        busy = any(worker.is_running for worker in self.workers)
        if not self.quiet_collector.tick(page, busy) and self._still_quiet():
            self.page_prefetch.start(nearest_first(self.page_modules(), self.page_number(page)), self._still_quiet)

    def _still_quiet(self) -> bool:
        return self.quiet_collector.quiet_for() >= SETTLE

    def page_modules(self) -> dict[int, str]:
        """Page number (1-7, SUMMARY, CLIENTS_PAGE) -> the module of its screen on this session's route."""
        practising = self.session is not None and self.session.practising
        pages = {step: module for step, (module, _name) in STEP_SCREENS.items()}
        pages.update({step: module for step, (module, _name) in PRACTICE_SCREENS.items() if practising})
        pages[CLIENTS_PAGE] = "screens.clients"
        return pages

    def page_number(self, page: object) -> int:
        """Where `page` is among the pages: its step, or (the welcome page, the Clients page, a
        dialog) the step the session is at."""
        return getattr(page, "STEP", 0) or (self.session.current_step if self.session is not None else 1)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.quiet_collector.activity()  # someone is at work: no full collection now, no other page module
            self.page_prefetch.hold()
        await super().on_event(event)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Textual's own widgets declare their keys' words too (an open choice list: "Dismiss
        # menu"); the footer shows those of the focused one, so they follow the language as well.
        from screens.language import translate_bindings

        translate_bindings(event.widget)

    async def switch_language(self, language: str) -> None:
        """Every open page in `language` at once, with what was typed kept (no restart)."""
        from screens.language import Translated, translate_bindings

        i18n.set_language(language)
        translate_bindings(self)
        if self.session is not None and self.session.last_verdict:
            from wizard.handshake.saved import say_again

            say_again(self.session.last_verdict)  # kept as data: told again in the new language
        for screen in list(self.screen_stack):
            if isinstance(screen, Translated):
                await screen.retranslate()
        self.refresh_bindings()

    def action_command_palette(self) -> None:
        from screens.palette import WizardPalette

        if self.use_command_palette and not WizardPalette.is_open(self):
            self.push_screen(WizardPalette(placeholder=_("Search for commands…"), id="--command-palette"))

    def _language_commands(self) -> Iterable[SystemCommand]:
        for code, name in i18n.LANGUAGES.items():
            if code != i18n.current_language():
                # Named in both languages: whoever reads the other one can still find it.
                yield SystemCommand(f"Language / 语言: {name}", _("Show the wizard in {language} (what you typed is kept)").format(
                                        language=_(i18n.LANGUAGE_WORDS[code])),
                                    lambda code=code: self.run_worker(self.switch_language(code), exclusive=True, group="language"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from wizard.progress import STEP_TITLES

        yield from self._language_commands()

        for step, title in STEP_TITLES.items():  # the titles are N_() constants of the core
            label = _(title) if step == SUMMARY else _("Step {step}: {title}").format(step=step, title=_(title))
            if self.session is not None and self.reachable(step):
                yield SystemCommand(label, _("Jump to this page"), lambda s=step: self.action_goto(s))
        if self.ws is not None:
            yield SystemCommand(_("Clients"), _("Every named client: issue more, revoke one"), self.action_clients)
        yield SystemCommand(_("Workspace folder"), _("Show the workspace path (and copy it)"), self.action_show_workspace)
        yield SystemCommand(_("Toggle theme"), _("Switch between the dark and the light theme"), self.action_toggle_theme)
        yield SystemCommand(_("Help"), _("How to use the wizard (F1)"), self.action_help)
        for command in super().get_system_commands(screen):  # Textual's own (Theme, Quit, Keys...), in our words
            yield command._replace(title=textual_word(command.title), help=_(command.help))

    # -- errors -----------------------------------------------------------------------
    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        # Messages carry paths, addresses like [::1]:443 and names: never read them as markup;
        # and the core's fixes name command-line options: here they name the wizard's fields.
        from screens.wording import for_tui
        from wizard.safe_text import printable

        message = for_tui(printable(message))
        if severity == "warning":
            self.warnings_shown.append(message)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def show_error(self, message: str, title: str = "") -> None:
        """Short errors as a notification, long ones in a modal; never a traceback. The core's
        fixes name command-line options: here they name the wizard's fields instead.
        `title`: already translated; "" is "That did not work"."""
        from screens.base import MessageModal
        from screens.wording import for_tui
        from wizard.safe_text import printable

        message = for_tui(printable(message))
        self.last_error = message
        if len(message) <= 110:
            self.notify(message, title=title or _("That did not work"), severity="error", timeout=12)
        else:  # the default title is said again in the new language if it is switched while the dialog is open
            self.push_screen(MessageModal(title or (lambda: _("That did not work")), message))

    # -- leaving ------------------------------------------------------------------------
    def _flush_session(self) -> None:
        if self._save_timer is not None or self.session is not None:
            self.save()
        if self.writer is not None:
            self.writer.flush()

    async def action_quit(self) -> None:
        self._flush_session()
        self.stop_practice()
        self.exit(0)

    def on_unmount(self) -> None:
        self._flush_session()  # answers typed just before the app went away
        self.stop_practice()
        self.quiet_collector.stop()
        self.page_prefetch.stop()


def run_app(workspace: str | None = None) -> int:
    """Run the wizard in the terminal; the exit code (0 on a normal quit)."""
    app = WizardApp(workspace=workspace)
    result = app.run()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)
