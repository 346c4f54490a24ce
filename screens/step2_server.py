"""Step 2: issue the server certificate (CN = the domain or IP clients use, plus extra SANs)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from screens.certificate import CertificateStepScreen
from screens.forms import ExtraNames, FieldRow, ServerName, issued_cn, split_names
from wizard import pki
from wizard.i18n import N_, _


def suggestion_placeholder() -> str:
    return _("e.g. {example} (Enter takes it) or 192.0.2.10").format(example=pki.DEFAULT_SERVER_CN)


def empty_hint() -> str:
    return _("type the domain or IP address clients will use, or press Enter for the tutorial's "
             "example {example}").format(example=pki.DEFAULT_SERVER_CN)


class ServerScreen(CertificateStepScreen):
    STEP = 2
    ROLE = "server"
    WHAT = N_("server certificate")
    CN_FIELD = "server_cn"
    CHECKED_INPUTS = ("server-cn", "sans", "days")
    REISSUE_TITLE = N_("Issue a new server certificate?")
    REISSUE_AFTER = N_("The new certificate must then be uploaded to the load balancer again (step 4).")

    def compose_form(self) -> ComposeResult:
        yield FieldRow(_("Domain or IP (CN)"), Input(id="server-cn", classes="cn", compact=True, placeholder=suggestion_placeholder(), validators=[ServerName()]), note_id="server-cn-note")
        yield FieldRow(_("Extra names (SAN)"), Input(id="sans", compact=True, placeholder=_("optional: {example}").format(example="api.example.com 192.0.2.10"), validators=[ExtraNames()]), note_id="sans-note")
        yield from self.key_and_days_rows()
        yield Static("", id="changed", classes="notice", markup=False)
        yield from self.leaf_buttons()
        yield from self.progress_and_result()
        with Horizontal(classes="actions"):
            yield Button(_("Use a certificate I already have…"), id="bring", compact=True)
        yield Static(_("A purchased (publicly trusted) or corporate server certificate, with its chain; "
                       "the client CA stays this workspace's own."), classes="hint")
        yield from self.bring_teaching("server")

    def load_form(self) -> None:
        s = self.session
        # The tutorial's example name is a suggestion, not an answer: a newcomer should not
        # issue a certificate for www.test.com by accident. Enter in the empty field takes it.
        untouched = s.server_cn == pki.DEFAULT_SERVER_CN and not s.is_done(2) and not self.files_exist()
        self.query_one("#server-cn", Input).value = "" if untouched else (self._adopted_name() or s.server_cn)
        self.query_one("#sans", Input).value = " ".join(s.server_sans)
        self.load_key_and_days()

    def _adopted_name(self) -> str:
        """The issued certificate's name when the answers never named it (a workspace made elsewhere)."""
        s = self.session
        return issued_cn(s, "server") if s.is_done(2) and s.server_cn == pki.DEFAULT_SERVER_CN else ""

    def sync_form(self) -> None:
        s = self.session
        field = self.query_one("#server-cn", Input)
        if not field.value and self._adopted_name():
            field.value = self._adopted_name()  # the certificate found in the workspace was just adopted
        problems = self.sync_certificate()
        if not self.query_one("#server-cn", Input).value:
            self.set_note("server-cn-note", empty_hint(), level="warning")
        if not problems["days-note"] and s.server_days > pki.SERVER_DAYS_APPLE_LIMIT:
            self.set_note("days-note", _("over {limit} days: Apple devices will refuse this certificate").format(
                limit=pki.SERVER_DAYS_APPLE_LIMIT), level="warning")
        done, invalid = self.done(), any(problems.values())
        issued = issued_cn(s, "server")
        changed = ""
        if done and issued and not invalid and pki.normalise_name(s.server_cn) != issued:
            changed = _("The issued certificate is for {issued}. Press Reissue… to make one for {name}.").format(
                issued=issued, name=s.server_cn)
        elif self.files_exist() and not done:
            changed = _("This workspace already has a server certificate. Use it as it is, or reissue "
                        "it (the old files are moved to a backup folder first).")
        notice = self.query_one("#changed", Static)
        notice.update(changed)
        notice.display = bool(changed)

    def can_advance(self) -> bool:
        return self.session.is_done(2) and self.form_valid()

    def next_hint(self) -> str:
        if self.files_exist() and not self.session.is_done(2):
            return _("Use the existing certificate or reissue it to continue")
        if not self.query_one("#server-cn", Input).value.strip():
            return _("Give the server name to continue")
        if not self.form_valid():
            return _("Fix the server name to continue")
        return _("Issue the server certificate to continue")

    @on(Button.Pressed, "#bring")
    def bring(self) -> None:
        from screens.bring_modal import BringModal, BringRequest

        def answered(request: BringRequest | None) -> None:
            if request is None:
                return
            if self.files_exist():
                self.confirm_backup(N_("Replace the server certificate with yours?"), ("server",),
                                    N_("Then upload it to the load balancer again (step 4)."), N_("Back up and use mine"), N_("Keep it"),
                                    then=lambda: self.bring_in(request))
            else:
                self.bring_in(request)

        self.app.push_screen(BringModal("server"), answered)

    @on(Input.Changed, "#sans")
    def _sans(self, event: Input.Changed) -> None:
        self.remember_valid(event, server_sans=split_names(event.value))

    @on(Input.Submitted, "#server-cn")
    def _suggested_name(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.value = pki.DEFAULT_SERVER_CN  # shown first; Enter then goes on as in every form
            event.prevent_default()
            event.stop()
