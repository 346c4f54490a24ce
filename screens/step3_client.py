"""Step 3: issue the client certificate and the password-protected client.p12.

The password lives only in the two hidden fields and the worker that writes the .p12:
it is never saved, and the fields are emptied once the work starts.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Select, Static

from screens.certificate import CertificateStepScreen
from screens.download import P12, DownloadButton
from screens.forms import CheckedBy, FieldRow, password_hint
from wizard import pki
from wizard.i18n import N_, _

# (label, value): the labels are translated where the choice is shown
P12_CHOICES = [
    (N_("Modern: AES-256 (current browsers, Firefox, OpenSSL 3)"), "modern"),
    (N_("Legacy: 3DES (macOS, old Windows, Java 8, IE 11)"), "legacy"),
]


class ClientScreen(CertificateStepScreen):
    STEP = 3
    ROLE = "client"
    WHAT = N_("client certificate")
    CN_FIELD = "client_cn"
    CHECKED_INPUTS = ("client-cn", "days")
    REISSUE_TITLE = N_("Issue a new client certificate?")
    REISSUE_AFTER = N_("Browsers that imported the old client.p12 keep working until it expires; import the "
                       "new one where you want the new certificate.")

    def compose_form(self) -> ComposeResult:
        yield FieldRow(_("Client name (CN)"), Input(id="client-cn", classes="cn", compact=True, validators=[CheckedBy(self._check_cn)]),
                       note_id="client-cn-note")
        yield from self.key_and_days_rows()
        yield FieldRow(_(".p12 format"), Select([(_(label), value) for label, value in P12_CHOICES], id="p12-format",
                                                allow_blank=False, compact=True))
        yield Static(_("Choose legacy only if macOS Keychain, older Windows, Java 8 or IE 11 must import it: "
                       "they misreport the modern format as a wrong password."), classes="hint")
        yield FieldRow(_(".p12 password"), Input(id="password", password=True, compact=True))
        yield FieldRow(_("Confirm password"), Input(id="confirm", password=True, compact=True), note_id="password-note")
        yield from self.leaf_buttons()
        yield from self.progress_and_result()
        with Horizontal(classes="actions"):
            yield Button(_("Issue another client…"), id="clients", compact=True)
            yield DownloadButton(_("Download client.p12…"), P12, id="download-p12")  # in a browser only
        yield Static(_("One certificate per person, partner or device, each with its own .p12 and password; "
                       "the list also revokes one."), classes="hint")

    @staticmethod
    def _check_cn(value: str) -> None:
        pki.validate_common_name(value.strip(), _("client"))

    def load_form(self) -> None:
        s = self.session
        self.query_one("#client-cn", Input).value = s.client_cn
        self.load_key_and_days()
        self.query_one("#p12-format", Select).value = "legacy" if s.p12_legacy else "modern"

    def password_problem(self) -> tuple[str | None, str]:
        return password_hint(self.query_one("#password", Input).value, self.query_one("#confirm", Input).value)

    def sync_form(self) -> None:
        message, level = self.password_problem()
        untouched = not self.query_one("#password", Input).value and not self.query_one("#confirm", Input).value
        self.set_note("password-note", None if untouched else message, level=level)
        blocked = None
        if level == "error" and not (untouched and self.done()):  # just issued: nothing to fix, Reissue… asks itself
            blocked = _("type the .p12 password, twice") if untouched else (message or _("check the password"))
        self.sync_certificate(blocked=blocked)

    def next_hint(self) -> str:
        if self.files_exist() and not self.session.is_done(3):
            return _("Use the existing certificate or reissue it to continue")
        return _("Issue the client certificate and client.p12 to continue")

    # -- answers -----------------------------------------------------------------------
    @on(Input.Changed, "#password, #confirm")
    def _password(self) -> None:
        self.sync_soon()

    @on(Select.Changed, "#p12-format")
    def _p12(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.remember(p12_legacy=event.value == "legacy")
        self.sync_soon()

    @on(Button.Pressed, "#clients")
    def _clients(self) -> None:
        self.post_message(self.ClientsRequested())

    # -- actions -----------------------------------------------------------------------
    def ready_to_issue(self) -> bool:
        if not super().ready_to_issue():
            return False
        message, level = self.password_problem()
        if level == "error":
            self.notify(message or _("check the password"), severity="error")
            self.query_one("#password" if not self.query_one("#password", Input).value else "#confirm", Input).focus()
            return False
        return True

    def start(self, replace: bool) -> None:
        password_field, confirm_field = self.query_one("#password", Input), self.query_one("#confirm", Input)
        password = password_field.value
        # The worker keeps the only copy; the fields are emptied at once.
        password_field.value = ""
        confirm_field.value = ""
        self.post_message(self.IssueRequested("client", replace=replace, password=password))
