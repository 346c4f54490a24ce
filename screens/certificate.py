"""What the three generating steps (CA, server, client) share: the key-type and validity
rows, the answers they store, form validation, the Issue / Use the existing one /
Reissue… buttons with the backup confirmation, progress, the result and the openssl panel.

A subclass names its ROLE and its own fields; its module keeps only what is particular
to the step (the CA's organisation, the server's extra names, the client's .p12). The work
itself (keys, certificates, checking files) is the App's: the page asks with
`IssueRequested`, `AdoptRequested` or `BringRequested`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Collapsible, Input, Select, Static

from screens.base import Busy, ConfirmModal, StepScreen
from screens.forms import CheckedBy, FieldRow, days_check, existing, first_failure, key_choices, outcome_text
from wizard import ca_key, pki, script
from wizard.errors import WizardError
from wizard.i18n import N_, _

if TYPE_CHECKING:
    from screens.bring_modal import BringRequest

COMMANDS: dict[str, Callable[[script.Profile], str]] = {
    "ca": script.ca_commands,
    "server": script.server_commands,
    "client": script.client_commands,
}


class CertificateStepScreen(StepScreen):
    ROLE: ClassVar[str] = ""
    WHAT: ClassVar[str] = ""  # N_("CA"), N_("server certificate"): for the validity check's message
    CN_FIELD: ClassVar[str] = ""  # session attribute of the common name; its Input has class "cn"
    CHECKED_INPUTS: ClassVar[tuple[str, ...]] = ()  # ids of the Inputs whose validators gate the step
    REISSUE_TITLE: ClassVar[str] = ""  # marked with N_ where set, translated when asked
    REISSUE_AFTER: ClassVar[str] = ""  # what the confirmation says after the list of files (N_ too)

    class IssueRequested(Message):
        """Make this step's key and certificate (the CA: reuse the one there unless `replace`);
        `replace` moves the existing files into a backup first. `password`: the client's .p12;
        `ca_passphrase`: what a new CA's key is put under, "" none (a Message shows no fields in
        Textual's log)."""

        def __init__(self, role: str, *, replace: bool, password: str = "", ca_passphrase: str = "") -> None:
            super().__init__()
            self.role, self.replace, self.password, self.ca_passphrase = role, replace, password, ca_passphrase

    class AdoptRequested(Message):
        """Take over the certificate and key already in the workspace, once checked."""

        def __init__(self, role: str) -> None:
            super().__init__()
            self.role = role

    class BringRequested(Message):
        """Check a CA or server certificate the person has and copy it in (steps 1 and 2);
        `protect`: the passphrase a brought CA's key is put under, "" none."""

        def __init__(self, request: BringRequest, protect: str = "") -> None:
            super().__init__()
            self.request, self.protect = request, protect

    # -- pieces of the form ------------------------------------------------------------
    def key_and_days_rows(self) -> ComposeResult:
        yield FieldRow(_("Key type"), Select(key_choices(), id="key-type", allow_blank=False, compact=True))
        yield FieldRow(_("Validity (days)"), Input(id="days", compact=True, validators=[CheckedBy(days_check(self.WHAT))]),
                       note_id="days-note")

    def leaf_buttons(self) -> ComposeResult:
        with Horizontal(classes="actions"):
            yield Button(_("Issue"), id="issue", variant="primary", compact=True)
            yield Button(_("Use the existing one"), id="adopt", compact=True)
            yield Button(_("Reissue…"), id="reissue", variant="warning", compact=True)
        yield Static("", id="actions-hint", classes="why-disabled", markup=False)

    def show_why_disabled(self, reason: str | None) -> None:
        """A disabled button always says why, right below it."""
        hint = self.query_one("#actions-hint", Static)
        hint.update(reason or "")
        hint.display = bool(reason)

    def progress_and_result(self) -> ComposeResult:
        yield Busy(id="busy")
        yield Static("", id="result", classes="result", markup=False)
        yield from self.teaching()

    def bring_teaching(self, role: str) -> ComposeResult:
        """The checks made on a certificate brought in, as openssl commands."""
        from wizard import teaching

        with Collapsible(title=_("Show the checks on a certificate you bring"), classes="teach"):
            yield Static(teaching.bring_checks_commands(role), classes="commands", markup=False)

    def load_key_and_days(self) -> None:
        s = self.session
        self.query_one("#key-type", Select).value = getattr(s, f"{self.ROLE}_key_type")
        self.query_one("#days", Input).value = str(getattr(s, f"{self.ROLE}_days"))

    # -- state -------------------------------------------------------------------------
    def form_problems(self) -> dict[str, str | None]:
        problems = {}
        for field_id in self.CHECKED_INPUTS:
            widget = self.query_one(f"#{field_id}", Input)
            problems[f"{field_id}-note"] = first_failure(widget.validate(widget.value))
        return problems

    def form_valid(self) -> bool:
        return not any(self.form_problems().values())

    def files_exist(self) -> bool:
        return bool(existing(self.ws.artifacts(self.ROLE)))

    def sync_certificate(self, *, blocked: str | None = None) -> dict[str, str | None]:
        """Notes, progress, result, teaching text and (for leaves) the three buttons; returns
        the problems so the step can add its own notices. `blocked`: the step's own reason
        (e.g. the password) not to issue yet."""
        ws, s = self.ws, self.session
        problems = self.form_problems()
        for note_id, problem in problems.items():
            self.set_note(note_id, problem)
        busy = self.busy_with(self.ROLE)
        self.query_one(Busy).show(busy)
        if self.query("#reissue"):
            files_exist = self.files_exist()
            reason = None if busy else self.why_not_ready(problems, blocked)
            for button_id, shown in (("#issue", not files_exist), ("#reissue", files_exist)):
                button = self.query_one(button_id, Button)
                button.display = shown
                button.disabled = bool(busy) or reason is not None
            why = _("Reissue: {reason}") if files_exist else _("Issue: {reason}")
            self.show_why_disabled(why.format(reason=reason) if reason else None)
            adopt = self.query_one("#adopt", Button)
            adopt.display = files_exist and not self.done()
            adopt.disabled = bool(busy)
        done = self.done()
        result = self.query_one("#result", Static)
        result.update(outcome_text(ws, s, self.ROLE) if done else "")
        result.display = done
        try:
            commands = self.ccm_commands() or COMMANDS[self.ROLE](self.teaching_profile())
        except pki.InputError:
            commands = _("(fix the answers above to see the commands)")
        self.query_one("#commands", Static).update(commands)
        return problems

    def ccm_commands(self) -> str | None:
        """With the workspace's CA in CCM, steps 2-3 teach the API calls that issue (None: openssl's signing)."""
        from wizard.ccm.record import ccm_ca_id, records_ccm

        if self.ROLE == "ca" or not records_ccm(self.ws):
            return None
        from wizard.ccm import teaching
        from wizard.ccm.generate import leaf_requests
        from wizard.ccm.issuer import ROUTES

        request = leaf_requests(self.session)[0 if self.ROLE == "server" else 1]
        base = self.ws.relative(self.ws.cert(self.ROLE)).removesuffix(".crt")
        try:
            return teaching.issue_calls(request, ccm_ca_id(self.ws), ROUTES["auto"][self.ROLE], base)
        except WizardError as error:  # e.g. ca/issuer.json unreadable: said here, and by the work itself
            return str(error)

    def teaching_profile(self) -> script.Profile:
        """What the openssl panel shows the commands for: the answers, and whether ca/ca.key has a passphrase."""
        profile = script.profile_from_session(self.session)
        profile.ca_protected = ca_key.is_encrypted(self.ws)
        return profile

    @staticmethod
    def why_not_ready(problems: dict[str, str | None], blocked: str | None) -> str | None:
        if any(problems.values()):
            return _("fix the answers marked above first")
        return blocked

    def done(self) -> bool:
        return self.session.is_done(self.STEP) and self.ws.cert(self.ROLE).exists()

    # -- answers -----------------------------------------------------------------------
    def remember_valid(self, event: Input.Changed, **answers: object) -> None:
        """Keep a typed answer once it is valid (the note says why otherwise)."""
        if event.validation_result is None or event.validation_result.is_valid:
            self.remember(**answers)
        self.sync_soon()

    @on(Input.Changed, ".cn")
    def _common_name(self, event: Input.Changed) -> None:
        self.remember_valid(event, **{self.CN_FIELD: event.value.strip()})

    @on(Input.Changed, "#days")
    def _validity(self, event: Input.Changed) -> None:
        days = int(event.value) if event.value.strip().isdigit() else 0
        self.remember_valid(event, **{f"{self.ROLE}_days": days})

    @on(Select.Changed, "#key-type")
    def _key_choice(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.remember(**{f"{self.ROLE}_key_type": event.value})
        self.sync_soon()

    # -- actions -----------------------------------------------------------------------
    def ready_to_issue(self) -> bool:
        if not self.form_valid():
            self.notify(_("fix the highlighted answers first"), severity="error")
            return False
        return True

    def start(self, replace: bool) -> None:
        self.post_message(self.IssueRequested(self.ROLE, replace=replace))

    def bring_in(self, request: BringRequest) -> None:
        self.post_message(self.BringRequested(request))

    @on(Button.Pressed, "#issue")
    def _issue_pressed(self) -> None:
        self.issue()

    @on(Button.Pressed, "#adopt")
    def _adopt_pressed(self) -> None:
        self.post_message(self.AdoptRequested(self.ROLE))

    @on(Button.Pressed, "#reissue")
    def _reissue_pressed(self) -> None:
        self.reissue()

    def issue(self) -> None:
        if not self.ready_to_issue():
            return
        if self.files_exist():
            self.reissue()
            return
        self.start(replace=False)

    def reissue(self) -> None:
        if not self.ready_to_issue():
            return
        self.confirm_backup(self.REISSUE_TITLE, (self.ROLE,), self.REISSUE_AFTER, N_("Back up and reissue"), N_("Keep it"))

    def confirm_backup(self, title: str, roles: tuple[str, ...], after: str, yes: str, no: str, *, before: str = "",
                       then: Callable[[], None] | None = None) -> None:
        """Ask before anything is replaced, naming every file that moves into the backup. The
        texts are given untranslated (marked with N_): the dialog says them in the language of
        the moment, also after a switch while it is open."""
        ws = self.ws
        lines = [", ".join(ws.relative(p) for p in existing(ws.artifacts(role))) for role in roles]
        listing = "\n".join(f"  {line}" for line in lines if line)

        def body() -> str:
            text = f"{_(before)}\n\n" if before else ""
            text += _("These files will be moved into a new backup-<date-time>/ folder first:\n{listing}").format(listing=listing)
            return text + f"\n\n{_(after)}"

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                (then or (lambda: self.start(replace=True)))()

        self.app.push_screen(ConfirmModal(lambda: _(title), body, yes=lambda: _(yes), no=lambda: _(no)), answered)

