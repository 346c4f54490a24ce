"""Step 2: issue the server certificate (CN = the domain or IP clients use, plus extra SANs)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Select, Static

from screens.base import Busy, ConfirmModal, FieldRow, StepScreen
from screens.forms import KEY_CHOICES, CheckedBy, ExtraNames, ServerName, days_check, existing, first_failure, issued_cn, outcome_text, split_names
from wizard import pki, script


class ServerScreen(StepScreen):
    STEP = 2

    def compose_form(self) -> ComposeResult:
        yield FieldRow("Domain or IP (CN)", Input(id="server-cn", compact=True, placeholder="www.example.com or 192.0.2.10", validators=[ServerName()]), note_id="server-cn-note")
        yield FieldRow("Extra names (SAN)", Input(id="sans", compact=True, placeholder="optional: api.example.com 192.0.2.10", validators=[ExtraNames()]), note_id="sans-note")
        yield FieldRow("Key type", Select(KEY_CHOICES, id="key-type", allow_blank=False, compact=True))
        yield FieldRow("Validity (days)", Input(id="days", compact=True, restrict=r"[0-9]*", validators=[CheckedBy(days_check("server certificate"))]), note_id="days-note")
        yield Static("", id="changed", classes="notice", markup=False)
        with Horizontal(classes="actions"):
            yield Button("Issue", id="issue", variant="primary", compact=True)
            yield Button("Use the existing one", id="adopt", compact=True)
            yield Button("Reissue…", id="reissue", variant="warning", compact=True)
        yield Busy(id="busy")
        yield Static("", id="result", classes="result", markup=False)
        yield from self.teaching()

    def load_form(self) -> None:
        s = self.session
        self.query_one("#server-cn", Input).value = s.server_cn
        self.query_one("#sans", Input).value = " ".join(s.server_sans)
        self.query_one("#key-type", Select).value = s.server_key_type
        self.query_one("#days", Input).value = str(s.server_days)

    def form_problems(self) -> dict[str, str | None]:
        problems = {}
        for field_id in ("server-cn", "sans", "days"):
            widget = self.query_one(f"#{field_id}", Input)
            problems[f"{field_id}-note"] = first_failure(widget.validate(widget.value))
        return problems

    def form_valid(self) -> bool:
        return not any(self.form_problems().values())

    def sync_form(self) -> None:
        ws, s = self.wizard.ws, self.session
        assert ws is not None
        problems = self.form_problems()
        for note_id, problem in problems.items():
            self.set_note(note_id, problem)
        if not problems["days-note"] and s.server_days > pki.SERVER_DAYS_APPLE_LIMIT:
            self.set_note("days-note", f"over {pki.SERVER_DAYS_APPLE_LIMIT} days: Apple devices will refuse this certificate", level="warning")
        files_exist = bool(existing(ws.artifacts("server")))
        done = s.is_done(2) and ws.cert("server").exists()
        busy = self.busy_with("server")
        invalid = any(problems.values())
        issue = self.query_one("#issue", Button)
        issue.display = not files_exist
        issue.disabled = bool(busy) or invalid
        reissue = self.query_one("#reissue", Button)
        reissue.display = files_exist
        reissue.disabled = bool(busy) or invalid
        adopt = self.query_one("#adopt", Button)
        adopt.display = files_exist and not s.is_done(2)
        adopt.disabled = bool(busy)
        self.query_one(Busy).show(busy)
        issued = issued_cn(s, "server")
        changed = ""
        if done and issued and not invalid and pki.normalise_name(s.server_cn) != issued:
            changed = f"The issued certificate is for {issued}. Press Reissue… to make one for {s.server_cn}."
        elif files_exist and not done:
            changed = ("This workspace already has a server certificate. Use it as it is, or reissue "
                       "it (the old files are moved to a backup folder first).")
        notice = self.query_one("#changed", Static)
        notice.update(changed)
        notice.display = bool(changed)
        result = self.query_one("#result", Static)
        result.update(outcome_text(ws, s, "server") if done else "")
        result.display = done
        try:
            commands = script.server_commands(script.profile_from_session(s))
        except pki.InputError:
            commands = "(fix the answers above to see the commands)"
        self.query_one("#commands", Static).update(commands)

    def can_advance(self) -> bool:
        return self.session.is_done(2) and self.form_valid()

    def next_hint(self) -> str:
        if not self.form_valid():
            return "Fix the server name to continue"
        ws = self.wizard.ws
        if ws is not None and existing(ws.artifacts("server")):
            return "Use the existing certificate or reissue it to continue"
        return "Issue the server certificate to continue"

    # -- answers -----------------------------------------------------------------------
    @on(Input.Changed, "#server-cn")
    def _cn(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.wizard.remember(server_cn=event.value.strip())
        self.sync()

    @on(Input.Changed, "#sans")
    def _sans(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.wizard.remember(server_sans=split_names(event.value))
        self.sync()

    @on(Input.Changed, "#days")
    def _days(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.wizard.remember(server_days=int(event.value))
        self.sync()

    @on(Select.Changed, "#key-type")
    def _key_type(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.wizard.remember(server_key_type=event.value)
        self.sync()

    # -- actions -----------------------------------------------------------------------
    @on(Button.Pressed, "#issue")
    @on(Input.Submitted)
    def issue(self) -> None:
        if not self.form_valid():
            self.notify("fix the highlighted answers first", severity="error")
            return
        ws = self.wizard.ws
        assert ws is not None
        if existing(ws.artifacts("server")):
            self.reissue()
            return
        self.wizard.start_certificate("server")

    @on(Button.Pressed, "#adopt")
    def adopt(self) -> None:
        self.wizard.adopt_existing("server")

    @on(Button.Pressed, "#reissue")
    def reissue(self) -> None:
        ws = self.wizard.ws
        assert ws is not None
        listing = "\n".join(f"  {ws.relative(p)}" for p in existing(ws.artifacts("server")))
        body = (
            f"These files will be moved into a new backup-<date-time>/ folder first:\n{listing}\n\n"
            "The new certificate must then be uploaded to the load balancer again (step 4)."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.wizard.start_certificate("server", replace=True)

        self.app.push_screen(ConfirmModal("Issue a new server certificate?", body, yes="Back up and reissue", no="Keep it"), answered)
