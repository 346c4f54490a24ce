"""Step 1: create the private CA (or reuse the one the workspace already has)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Select, Static

from screens.base import Busy, ConfirmModal, FieldRow, StepScreen
from screens.forms import KEY_CHOICES, CheckedBy, days_check, existing, first_failure, outcome_text
from wizard import pki, script


class CaScreen(StepScreen):
    STEP = 1

    def compose_form(self) -> ComposeResult:
        yield FieldRow("Organisation (O)", Input(id="org", compact=True, validators=[CheckedBy(pki.validate_org)]), note_id="org-note")
        yield FieldRow("CA common name", Input(id="ca-cn", compact=True, validators=[CheckedBy(self._check_cn)]), note_id="ca-cn-note")
        yield FieldRow("Key type", Select(KEY_CHOICES, id="key-type", allow_blank=False, compact=True))
        yield FieldRow("Validity (days)", Input(id="days", compact=True, restrict=r"[0-9]*", validators=[CheckedBy(days_check("CA"))]), note_id="days-note")
        yield Static("", id="existing", classes="notice", markup=False)
        with Horizontal(classes="actions"):
            yield Button("Create CA", id="create", variant="primary", compact=True)
            yield Button("Replace the CA…", id="replace", variant="warning", compact=True)
        yield Busy(id="busy")
        yield Static("", id="result", classes="result", markup=False)
        yield from self.teaching()

    @staticmethod
    def _check_cn(value: str) -> None:
        if value.strip():
            pki.validate_common_name(value.strip(), "CA")

    # -- state -------------------------------------------------------------------------
    def load_form(self) -> None:
        s = self.session
        self.query_one("#org", Input).value = s.org
        self.query_one("#ca-cn", Input).value = s.ca_cn
        self.query_one("#ca-cn", Input).placeholder = pki.default_ca_cn(s.org or pki.DEFAULT_ORG)
        self.query_one("#key-type", Select).value = s.ca_key_type
        self.query_one("#days", Input).value = str(s.ca_days)

    def form_problems(self) -> dict[str, str | None]:
        return {
            "org-note": first_failure(self.query_one("#org", Input).validate(self.query_one("#org", Input).value)),
            "ca-cn-note": first_failure(self.query_one("#ca-cn", Input).validate(self.query_one("#ca-cn", Input).value)),
            "days-note": first_failure(self.query_one("#days", Input).validate(self.query_one("#days", Input).value)),
        }

    def sync_form(self) -> None:
        ws, s = self.wizard.ws, self.session
        assert ws is not None
        problems = self.form_problems()
        for note_id, problem in problems.items():
            self.set_note(note_id, problem)
        ca_exists = ws.cert("ca").exists() and ws.key("ca").exists()
        done = s.is_done(1) and ca_exists
        busy = self.busy_with("ca")
        if ca_exists and not done:
            message = ("This workspace already has a CA. It will be reused, so anything already "
                       "signed or uploaded stays valid. Replacing it needs your confirmation.")
        elif done:
            message = ("The CA is ready. Changing the answers above does not change it; "
                       "use Replace the CA… to make a new one.")
        else:
            message = ""
        notice = self.query_one("#existing", Static)
        notice.update(message)
        notice.display = bool(message)
        create = self.query_one("#create", Button)
        create.label = "Use the existing CA" if ca_exists else "Create CA"
        create.display = not done
        create.disabled = bool(busy) or any(problems.values())
        replace = self.query_one("#replace", Button)
        replace.display = ca_exists
        replace.disabled = bool(busy)
        self.query_one(Busy).show(busy)
        result = self.query_one("#result", Static)
        result.update(outcome_text(ws, s, "ca") if done else "")
        result.display = done
        try:
            commands = script.ca_commands(script.profile_from_session(s))
        except pki.InputError:
            commands = "(fix the answers above to see the commands)"
        self.query_one("#commands", Static).update(commands)

    def next_hint(self) -> str:
        return "Create the CA (or reuse the existing one) to continue"

    # -- answers -----------------------------------------------------------------------
    @on(Input.Changed, "#org")
    def _org(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.wizard.remember(org=event.value.strip())
        self.query_one("#ca-cn", Input).placeholder = pki.default_ca_cn(event.value.strip() or pki.DEFAULT_ORG)
        self.sync()

    @on(Input.Changed, "#ca-cn")
    def _cn(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.wizard.remember(ca_cn=event.value.strip())
        self.sync()

    @on(Input.Changed, "#days")
    def _days(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.wizard.remember(ca_days=int(event.value))
        self.sync()

    @on(Select.Changed, "#key-type")
    def _key_type(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.wizard.remember(ca_key_type=event.value)
        self.sync()

    # -- actions -----------------------------------------------------------------------
    @on(Button.Pressed, "#create")
    def create(self) -> None:
        if any(self.form_problems().values()):
            self.notify("fix the highlighted answers first", severity="error")
            return
        self.wizard.start_certificate("ca")

    @on(Button.Pressed, "#replace")
    def replace(self) -> None:
        ws = self.wizard.ws
        assert ws is not None
        by_role = {role: [ws.relative(p) for p in existing(ws.artifacts(role))] for role in ("ca", "server", "client")}
        listing = "\n".join(f"  {', '.join(names)}" for names in by_role.values() if names)
        body = (
            "A new CA makes every certificate it signed useless: the load balancer and your "
            "clients trust only the CA they know.\n\n"
            f"These files move into a new backup-<date-time>/ folder in the workspace:\n{listing}\n\n"
            "Then issue the server and client certificates again, and upload the new CA and "
            "server certificates."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.wizard.start_certificate("ca", replace=True)

        self.app.push_screen(ConfirmModal("Replace the CA?", body, yes="Back up and replace", no="Keep the CA"), answered)
