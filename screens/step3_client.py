"""Step 3: issue the client certificate and the password-protected client.p12.

The password lives only in the two hidden fields and the worker that writes the .p12:
it is never saved, and the fields are emptied once the file exists.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Select, Static

from screens.base import Busy, ConfirmModal, FieldRow, StepScreen
from screens.forms import KEY_CHOICES, CheckedBy, days_check, existing, first_failure, outcome_text
from wizard import pki, script

P12_CHOICES = [
    ("Modern: AES-256 (current browsers, Firefox, OpenSSL 3)", "modern"),
    ("Legacy: 3DES (macOS Keychain, old Windows, Java 8, IE 11)", "legacy"),
]


def password_hint(password: str, confirmation: str) -> tuple[str | None, str]:
    """(message, level) for the password fields: refused, weak, mismatch or fine."""
    if not password:
        return "a password is required: browsers ask for it when importing client.p12", "error"
    if confirmation != password:
        return ("type the same password again in Confirm" if not confirmation else "the two passwords differ"), "error"
    warnings = pki.validate_p12_password(password)
    if warnings:
        return f"weak: {warnings[0].split(': ', 1)[-1]}", "warning"
    kinds = sum(any(test(c) for c in password) for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum()))
    if len(password) >= 12 or kinds >= 3:
        return "strong enough", "ok"
    return "fair: longer, or mixing letters, digits and symbols, is stronger", "warning"


class ClientScreen(StepScreen):
    STEP = 3

    def compose_form(self) -> ComposeResult:
        yield FieldRow("Client name (CN)", Input(id="client-cn", compact=True, validators=[CheckedBy(lambda v: pki.validate_common_name(v.strip(), "client"))]), note_id="client-cn-note")
        yield FieldRow("Key type", Select(KEY_CHOICES, id="key-type", allow_blank=False, compact=True))
        yield FieldRow("Validity (days)", Input(id="days", compact=True, restrict=r"[0-9]*", validators=[CheckedBy(days_check("client certificate"))]), note_id="days-note")
        yield FieldRow(".p12 format", Select(P12_CHOICES, id="p12-format", allow_blank=False, compact=True))
        yield Static("Choose legacy only if macOS Keychain, older Windows, Java 8 or IE 11 must import it: "
                     "they misreport the modern format as a wrong password.", classes="hint")
        yield FieldRow(".p12 password", Input(id="password", password=True, compact=True))
        yield FieldRow("Confirm password", Input(id="confirm", password=True, compact=True), note_id="password-note")
        with Horizontal(classes="actions"):
            yield Button("Issue", id="issue", variant="primary", compact=True)
            yield Button("Use the existing one", id="adopt", compact=True)
            yield Button("Reissue…", id="reissue", variant="warning", compact=True)
        yield Busy(id="busy")
        yield Static("", id="result", classes="result", markup=False)
        yield from self.teaching()

    def load_form(self) -> None:
        s = self.session
        self.query_one("#client-cn", Input).value = s.client_cn
        self.query_one("#key-type", Select).value = s.client_key_type
        self.query_one("#days", Input).value = str(s.client_days)
        self.query_one("#p12-format", Select).value = "legacy" if s.p12_legacy else "modern"

    def form_problems(self) -> dict[str, str | None]:
        problems = {}
        for field_id in ("client-cn", "days"):
            widget = self.query_one(f"#{field_id}", Input)
            problems[f"{field_id}-note"] = first_failure(widget.validate(widget.value))
        return problems

    def password_problem(self) -> tuple[str | None, str]:
        return password_hint(self.query_one("#password", Input).value, self.query_one("#confirm", Input).value)

    def sync_form(self) -> None:
        ws, s = self.wizard.ws, self.session
        assert ws is not None
        problems = self.form_problems()
        for note_id, problem in problems.items():
            self.set_note(note_id, problem)
        message, level = self.password_problem()
        untouched = not self.query_one("#password", Input).value and not self.query_one("#confirm", Input).value
        self.set_note("password-note", None if untouched else message, level=level)
        files_exist = bool(existing(ws.artifacts("client")))
        done = s.is_done(3) and ws.cert("client").exists()
        busy = self.busy_with("client")
        blocked = bool(busy) or any(problems.values()) or level == "error"
        issue = self.query_one("#issue", Button)
        issue.display = not files_exist
        issue.disabled = blocked
        reissue = self.query_one("#reissue", Button)
        reissue.display = files_exist
        reissue.disabled = blocked
        adopt = self.query_one("#adopt", Button)
        adopt.display = files_exist and not s.is_done(3)
        adopt.disabled = bool(busy)
        self.query_one(Busy).show(busy)
        result = self.query_one("#result", Static)
        result.update(outcome_text(ws, s, "client") if done else "")
        result.display = done
        try:
            commands = script.client_commands(script.profile_from_session(s))
        except pki.InputError:
            commands = "(fix the answers above to see the commands)"
        self.query_one("#commands", Static).update(commands)

    def next_hint(self) -> str:
        ws = self.wizard.ws
        if ws is not None and existing(ws.artifacts("client")) and not self.session.is_done(3):
            return "Use the existing certificate or reissue it to continue"
        return "Issue the client certificate and client.p12 to continue"

    # -- answers -----------------------------------------------------------------------
    @on(Input.Changed, "#client-cn")
    def _cn(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.wizard.remember(client_cn=event.value.strip())
        self.sync()

    @on(Input.Changed, "#days")
    def _days(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.wizard.remember(client_days=int(event.value))
        self.sync()

    @on(Input.Changed, "#password, #confirm")
    def _password(self) -> None:
        self.sync()

    @on(Select.Changed, "#key-type")
    def _key_type(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.wizard.remember(client_key_type=event.value)
        self.sync()

    @on(Select.Changed, "#p12-format")
    def _p12(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.wizard.remember(p12_legacy=event.value == "legacy")
        self.sync()

    # -- actions -----------------------------------------------------------------------
    def _ready(self) -> bool:
        message, level = self.password_problem()
        if any(self.form_problems().values()):
            self.notify("fix the highlighted answers first", severity="error")
            return False
        if level == "error":
            self.notify(message or "check the password", severity="error")
            return False
        return True

    @on(Button.Pressed, "#issue")
    @on(Input.Submitted, "#confirm")
    def issue(self) -> None:
        ws = self.wizard.ws
        assert ws is not None
        if not self._ready():
            return
        if existing(ws.artifacts("client")):
            self.reissue()
            return
        self._start(replace=False)

    @on(Button.Pressed, "#adopt")
    def adopt(self) -> None:
        self.wizard.adopt_existing("client")

    @on(Button.Pressed, "#reissue")
    def reissue(self) -> None:
        ws = self.wizard.ws
        assert ws is not None
        if not self._ready():
            return
        listing = "\n".join(f"  {ws.relative(p)}" for p in existing(ws.artifacts("client")))
        body = (
            f"These files will be moved into a new backup-<date-time>/ folder first:\n{listing}\n\n"
            "Browsers that imported the old client.p12 keep working until it expires; import the "
            "new one where you want the new certificate."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(replace=True)

        self.app.push_screen(ConfirmModal("Issue a new client certificate?", body, yes="Back up and reissue", no="Keep it"), answered)

    def _start(self, replace: bool) -> None:
        password_field, confirm_field = self.query_one("#password", Input), self.query_one("#confirm", Input)
        password = password_field.value
        # The worker keeps the only copy; the fields are emptied at once.
        password_field.value = ""
        confirm_field.value = ""
        self.wizard.start_certificate("client", password=password, replace=replace)
