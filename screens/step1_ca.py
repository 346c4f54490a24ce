"""Step 1: create the private CA (or reuse the one the workspace already has)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from screens.certificate import CertificateStepScreen
from screens.forms import CheckedBy, FieldRow
from wizard import pki
from wizard.i18n import N_, _


class CaScreen(CertificateStepScreen):
    STEP = 1
    ROLE = "ca"
    WHAT = N_("CA")
    CN_FIELD = "ca_cn"
    CHECKED_INPUTS = ("org", "ca-cn", "days")

    def compose_form(self) -> ComposeResult:
        yield FieldRow(_("Organisation (O)"), Input(id="org", compact=True, validators=[CheckedBy(pki.validate_org)]), note_id="org-note")
        yield FieldRow(_("CA common name"), Input(id="ca-cn", classes="cn", compact=True, validators=[CheckedBy(self._check_cn)]), note_id="ca-cn-note")
        yield from self.key_and_days_rows()
        yield Static("", id="existing", classes="notice", markup=False)
        with Horizontal(classes="actions"):
            yield Button(_("Create CA"), id="create", variant="primary", compact=True)
            yield Button(_("Replace the CA…"), id="replace", variant="warning", compact=True)
            yield Button(_("Use an existing CA…"), id="bring", compact=True)
        yield Static("", id="actions-hint", classes="why-disabled", markup=False)
        yield from self.progress_and_result()
        yield from self.bring_teaching("ca")

    @staticmethod
    def _check_cn(value: str) -> None:
        if value.strip():  # empty: the default, shown as the placeholder
            pki.validate_common_name(value.strip(), "CA")

    # -- state -------------------------------------------------------------------------
    def load_form(self) -> None:
        s = self.session
        self.query_one("#org", Input).value = s.org
        self.query_one("#ca-cn", Input).value = s.ca_cn
        self.query_one("#ca-cn", Input).placeholder = pki.default_ca_cn(s.org or pki.DEFAULT_ORG)
        self.load_key_and_days()

    def after_retranslate(self) -> None:
        org = self.query_one("#org", Input).value.strip()
        self.query_one("#ca-cn", Input).placeholder = pki.default_ca_cn(org or pki.DEFAULT_ORG)
        super().after_retranslate()

    def ca_exists(self) -> bool:
        return self.ws.cert("ca").exists() and self.ws.key("ca").exists()

    def sync_form(self) -> None:
        problems = self.sync_certificate()
        ca_exists, done, busy = self.ca_exists(), self.done(), self.busy_with("ca")
        if ca_exists and not done:
            message = _("This workspace already has a CA. It will be reused, so anything already "
                        "signed or uploaded stays valid. Replacing it needs your confirmation.")
        elif done:
            message = _("The CA is ready. Changing the answers above does not change it; "
                        "use Replace the CA… to make a new one.")
        else:
            message = ""
        notice = self.query_one("#existing", Static)
        notice.update(message)
        notice.display = bool(message)
        create = self.query_one("#create", Button)
        create.label = _("Use the existing CA") if ca_exists else _("Create CA")
        create.display = not done
        create.disabled = bool(busy) or any(problems.values())
        reason = None if busy or done else self.why_not_ready(problems, None)
        self.show_why_disabled(_("{button}: {reason}").format(button=create.label, reason=reason) if reason else None)
        replace = self.query_one("#replace", Button)
        replace.display = ca_exists
        replace.disabled = bool(busy)
        self.query_one("#bring", Button).disabled = bool(busy)

    def next_hint(self) -> str:
        return _("Create the CA (or reuse the existing one) to continue")

    # -- answers and actions -------------------------------------------------------------
    @on(Input.Changed, "#org")
    def _org(self, event: Input.Changed) -> None:
        self.query_one("#ca-cn", Input).placeholder = pki.default_ca_cn(event.value.strip() or pki.DEFAULT_ORG)
        self.remember_valid(event, org=event.value.strip())

    @on(Button.Pressed, "#create")
    def create(self) -> None:
        if self.ready_to_issue():
            self.start(replace=False)  # reuses an existing CA: nothing is replaced

    @on(Button.Pressed, "#bring")
    def bring(self) -> None:
        from screens.bring_modal import BringModal, BringRequest

        def answered(request: BringRequest | None) -> None:
            if request is None:
                return
            if self.ca_exists():
                self.confirm_backup(_("Replace the CA with yours?"), ("ca", "server", "client"),
                                    _("Then issue the server and client certificates again from your CA."),
                                    _("Back up and use mine"), _("Keep the CA"),
                                    then=lambda: self.bring_in(request))
            else:
                self.bring_in(request)

        self.app.push_screen(BringModal("ca"), answered)

    @on(Button.Pressed, "#replace")
    def replace(self) -> None:
        self.confirm_backup(
            _("Replace the CA?"), ("ca", "server", "client"),
            _("Then issue the server and client certificates again, and upload the new CA and server certificates."),
            _("Back up and replace"), _("Keep the CA"),
            before=_("A new CA makes every certificate it signed useless: the load balancer and your "
                     "clients trust only the CA they know."))
