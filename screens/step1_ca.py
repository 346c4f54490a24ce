"""Step 1: create the private CA (or reuse the one the workspace already has).

A new CA's key can be put under a passphrase: the choice is offered with its recommendation,
the passphrase lives only in the two hidden fields until the App takes it for the work (and
keeps it in memory for this run, so steps 2-3 need not ask again); it is never saved.

Or the CA lives in CCM Private CA (screens.ccm_fields): a private CA of the account is used, or a
root CA created once the person accepted its charges in a dialog; no CA key is then written here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Select, Static

from screens.base import ConfirmModal
from screens.ccm_fields import CcmFields, QuestionsMounted
from screens.certificate import CertificateStepScreen
from screens.forms import CheckedBy, FieldRow
from wizard import ca_key, pki, script
from wizard.ccm.record import ccm_ca_id, records_ccm
from wizard.errors import InputError
from wizard.i18n import N_, _

if TYPE_CHECKING:
    from screens.bring_modal import BringRequest
    from wizard.ccm.api import CcmTarget
    from wizard.ccm.authority import CaChoice


def passphrase_hint(passphrase: str, confirmation: str) -> tuple[str | None, str]:
    """(message, level) for the CA passphrase fields: refused, short, mismatch or fine."""
    if not passphrase:
        return _("type the passphrase twice, or leave the CA key without one"), "error"
    if confirmation != passphrase:
        return (_("type the same passphrase again in Confirm") if not confirmation else _("the two passphrases differ")), "error"
    try:
        warnings = ca_key.validate_passphrase(passphrase)
    except InputError as error:
        return str(error), "error"
    return (warnings[0], "warning") if warnings else (None, "ok")


class CaScreen(CertificateStepScreen):
    STEP = 1
    ROLE = "ca"
    WHAT = N_("CA")
    CN_FIELD = "ca_cn"
    CHECKED_INPUTS = ("org", "ca-cn", "days")

    class CcmRequested(Message):
        """Use (or create, `choice.accept_charges` given) the private CA in CCM at `target` as step 1's CA."""

        def __init__(self, target: CcmTarget, choice: CaChoice) -> None:
            super().__init__()
            self.target, self.choice = target, choice

    def compose_form(self) -> ComposeResult:
        yield FieldRow(_("Organisation (O)"), Input(id="org", compact=True, validators=[CheckedBy(pki.validate_org)]), note_id="org-note")
        yield FieldRow(_("CA common name"), Input(id="ca-cn", classes="cn", compact=True, validators=[CheckedBy(self._check_cn)]), note_id="ca-cn-note")
        yield from self.key_and_days_rows()
        homes = [(_("on this machine"), "local"), (_("CCM Private CA"), "ccm")]
        yield FieldRow(_("Where the CA lives"), Select(homes, id="ca-home", value="local", allow_blank=False, compact=True))
        yield CcmFields(id="ccm", composed=self.ccm_questions_shown or records_ccm(self.ws))
        yield Checkbox(_("Protect the CA key (ca/ca.key) with a passphrase"), id="protect", compact=True)
        yield Static(_("Recommended on a server others can reach (over SSH, shared, backed up): a copy of ca/ca.key then signs "
                       "nothing without it. For training on your own machine it can stay off. The wizard asks for it once per "
                       "run when it signs; it is never saved."), id="protect-hint", classes="hint", markup=False)
        yield FieldRow(_("Passphrase"), Input(id="ca-passphrase", password=True, compact=True), id="passphrase-row")
        yield FieldRow(_("Confirm passphrase"), Input(id="ca-passphrase-confirm", password=True, compact=True),
                       note_id="ca-passphrase-note", id="confirm-row")
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
        if records_ccm(self.ws):
            self.query_one("#ca-home", Select).value = "ccm"

    def after_retranslate(self) -> None:
        org = self.query_one("#org", Input).value.strip()
        self.query_one("#ca-cn", Input).placeholder = pki.default_ca_cn(org or pki.DEFAULT_ORG)
        super().after_retranslate()

    def ca_exists(self) -> bool:
        return self.ws.cert("ca").exists() and (self.ws.key("ca").exists() or records_ccm(self.ws))

    def in_ccm(self) -> bool:
        """The CA lives (or is to live) in CCM: chosen so, or recorded in ca/issuer.json."""
        return self.query_one("#ca-home", Select).value == "ccm" or records_ccm(self.ws)

    def sync_home(self) -> str | None:
        """The rows of where the CA lives: CCM's questions, or the passphrase of a key made here; why not to go on yet."""
        ccm, ca_exists = self.in_ccm(), self.ca_exists()
        self.query_one("#ca-home", Select).disabled = ca_exists  # moving an existing CA is not done from here
        fields = self.query_one(CcmFields)
        fields.display = ccm and not ca_exists
        for widget in ("#protect", "#protect-hint"):
            self.query_one(widget).display = not ccm  # no CA key here to put under a passphrase
        if not ccm:
            return self.sync_protection()
        for row in ("#passphrase-row", "#confirm-row"):
            self.query_one(row).display = False
        return None if ca_exists else fields.sync() or self.ccm_request_problem()

    def protection(self) -> tuple[str | None, str | None]:
        """(the passphrase a new CA key goes under, None without one; why it cannot be used yet)."""
        if not self.query_one("#protect", Checkbox).value:
            return None, None
        passphrase = self.query_one("#ca-passphrase", Input).value
        message, level = passphrase_hint(passphrase, self.query_one("#ca-passphrase-confirm", Input).value)
        return passphrase, message if level == "error" else None

    def sync_protection(self) -> str | None:
        """The passphrase fields shown while the box is ticked, with their note; why not to go on yet."""
        protect = self.query_one("#protect", Checkbox).value
        for row in ("#passphrase-row", "#confirm-row"):
            self.query_one(row).display = protect
        passphrase, confirmation = self.query_one("#ca-passphrase", Input).value, self.query_one("#ca-passphrase-confirm", Input).value
        message, level = passphrase_hint(passphrase, confirmation) if protect else (None, "ok")
        untouched = not passphrase and not confirmation
        self.set_note("ca-passphrase-note", None if untouched or level == "ok" else message, level=level)
        return self.protection()[1]

    def existing_notice(self, ca_exists: bool, done: bool) -> str:
        """What the page says of a CA that is there, its key's passphrase included."""
        if ca_exists and records_ccm(self.ws):
            said = (_("The CA is ready: the private CA {ca_id} in CCM. No CA key is on this machine; the wizard signs through CCM.")
                    if done else _("This workspace's CA is the private CA {ca_id} in CCM: it is reused, so anything already signed or "
                                   "uploaded stays valid. No CA key is on this machine."))
            return said.format(ca_id=ccm_ca_id(self.ws))
        if ca_exists and not done:
            message = _("This workspace already has a CA. It will be reused, so anything already "
                        "signed or uploaded stays valid. Replacing it needs your confirmation.")
        elif done:
            message = _("The CA is ready. Changing the answers above does not change it; "
                        "use Replace the CA… to make a new one.")
        else:
            return ""
        if ca_key.is_encrypted(self.ws):
            return message + "\n" + _("Its key (ca/ca.key) is under a passphrase: the wizard asks for it once when it signs.")
        return message + "\n" + _("Its key (ca/ca.key) has no passphrase; {command} adds one.").format(command="mtls-wizard ca-passphrase add")

    def sync_form(self) -> None:
        blocked = self.sync_home()
        problems = self.sync_certificate()
        self.sync_ccm_teaching()
        ca_exists, done, busy = self.ca_exists(), self.done(), self.busy_with("ca")
        message = self.existing_notice(ca_exists, done)
        notice = self.query_one("#existing", Static)
        notice.update(message)
        notice.display = bool(message)
        create = self.query_one("#create", Button)
        label = _("Use the existing CA") if ca_exists else self.create_label()
        if str(create.label) != label:
            create.label = label
            create.refresh(layout=True)  # a longer label needs a wider button
        create.display = not done
        new_ca = not ca_exists  # the passphrase is for a new CA's key: reusing one needs none
        create.disabled = bool(busy) or any(problems.values()) or bool(blocked and new_ca)
        reason = None if busy or done else self.why_not_ready(problems, blocked if new_ca else None)
        replace = self.query_one("#replace", Button)
        button = create.label if reason or not blocked else replace.label  # a passphrase not right yet holds up Replace too
        reason = reason or (blocked if not busy else None)
        self.show_why_disabled(_("{button}: {reason}").format(button=button, reason=reason) if reason else None)
        replace.display = ca_exists and not records_ccm(self.ws)
        replace.disabled = bool(busy) or bool(blocked)  # a new CA key: its passphrase first
        self.query_one("#bring", Button).display = not self.in_ccm()
        self.query_one("#bring", Button).disabled = bool(busy) or bool(blocked)

    def ccm_request_problem(self) -> str | None:
        """What CCM would refuse in the new CA's request (e.g. a key type it does not make)."""
        from wizard.ccm import profile

        fields, s = self.query_one(CcmFields), self.session
        if not fields.creating():
            return None
        try:
            profile.ca_body(s.org, s.ca_cn or pki.default_ca_cn(s.org), s.ca_key_type, s.ca_days, fields.place())
        except InputError as error:
            return str(error)
        return None

    def create_label(self) -> str:
        if not self.in_ccm():
            return _("Create CA")
        return _("Create the private CA…") if self.query_one(CcmFields).creating() else _("Use the private CA")

    def sync_ccm_teaching(self) -> None:
        """With the CA in CCM, the panel shows the API calls of step 1 instead of openssl's."""
        if not self.in_ccm():
            return
        from wizard.ccm import profile, teaching

        fields, s = self.query_one(CcmFields), self.session
        ca_id = ccm_ca_id(self.ws) or fields.value("ccm-ca-id") or "CA_ID"
        try:
            body = profile.ca_body(s.org, s.ca_cn or pki.default_ca_cn(s.org), s.ca_key_type, s.ca_days, fields.place()) \
                if fields.creating() and not self.ca_exists() else None
            commands = teaching.ca_calls(ca_id, body)
        except InputError:
            commands = _("(fix the answers above to see the commands)")
        self.query_one("#commands", Static).update(commands)

    def next_hint(self) -> str:
        return _("Create the CA (or reuse the existing one) to continue")

    # -- answers and actions -------------------------------------------------------------
    @on(Input.Changed, "#org")
    def _org(self, event: Input.Changed) -> None:
        self.query_one("#ca-cn", Input).placeholder = pki.default_ca_cn(event.value.strip() or pki.DEFAULT_ORG)
        self.remember_valid(event, org=event.value.strip())

    ccm_questions_shown = False  # once shown, composed with the page again (a language switch puts the answers back)

    @on(QuestionsMounted)
    def _ccm_questions_mounted(self) -> None:
        self.ccm_questions_shown = True
        self.fit_menus(within=self.query_one(CcmFields))
        self.sync()

    @on(Select.Changed, "#ca-home, #ccm-mode")
    @on(Input.Changed, "#ccm Input")
    def _ccm_changed(self) -> None:
        self.sync_soon()

    @on(Checkbox.Changed, "#protect")
    @on(Input.Changed, "#ca-passphrase, #ca-passphrase-confirm")
    def _protection_changed(self) -> None:
        self.sync_soon()

    def passphrase_ready(self) -> bool:
        """For work that makes a new CA key: False (and why) while the passphrase fields are not right."""
        problem = self.protection()[1]
        if problem:
            self.notify(problem, severity="error")
        return problem is None

    def teaching_profile(self) -> script.Profile:
        profile = super().teaching_profile()
        profile.ca_protected = self.query_one("#protect", Checkbox).value or ca_key.is_encrypted(self.ws)
        return profile

    def taken_passphrase(self) -> str:
        """The passphrase for a new CA key ("" none), the fields emptied: the App keeps the only copy."""
        passphrase = self.protection()[0] or ""
        self.query_one("#ca-passphrase", Input).value = ""
        self.query_one("#ca-passphrase-confirm", Input).value = ""
        return passphrase

    def start(self, replace: bool) -> None:
        self.post_message(self.IssueRequested(self.ROLE, replace=replace, ca_passphrase=self.taken_passphrase() if replace or not self.ca_exists() else ""))

    def bring_in(self, request: BringRequest) -> None:
        self.post_message(self.BringRequested(request, protect=self.taken_passphrase()))

    @on(Button.Pressed, "#create")
    def create(self) -> None:
        if not self.ready_to_issue():
            return
        if self.in_ccm() and not self.ca_exists():
            self.ask_ccm()
        elif self.ca_exists() or self.passphrase_ready():
            self.start(replace=False)  # reuses an existing CA: nothing is replaced

    def ask_ccm(self) -> None:
        """Use the private CA named; or create one once the person accepted that it is billed from then on."""
        from wizard.ccm.authority import COSTS

        fields = self.query_one(CcmFields)
        problem = fields.problem()
        if problem:
            self.notify(problem, severity="error")
            return
        target = fields.target()
        if not fields.creating():
            self.post_message(self.CcmRequested(target, fields.choice()))
            return
        choice = fields.choice(accept_charges=True)

        def answered(accepted: bool | None) -> None:
            if accepted:
                self.post_message(self.CcmRequested(target, choice))

        self.app.push_screen(ConfirmModal(
            lambda: _("Create a private CA in CCM?"),
            lambda: _("It costs money: {costs}.").format(costs=_(COSTS)) + "\n\n" + _("Nothing is created unless you accept."),
            yes=lambda: _("Create it: I accept the charges"), no=lambda: _("Do not create")), answered)

    @on(Button.Pressed, "#bring")
    def bring(self) -> None:
        from screens.bring_modal import BringModal

        if not self.passphrase_ready():
            return

        def answered(request: BringRequest | None) -> None:
            if request is None:
                return
            if self.ca_exists():
                self.confirm_backup(N_("Replace the CA with yours?"), ("ca", "server", "client"),
                                    N_("Then issue the server and client certificates again from your CA."),
                                    N_("Back up and use mine"), N_("Keep the CA"),
                                    then=lambda: self.bring_in(request))
            else:
                self.bring_in(request)

        self.app.push_screen(BringModal("ca"), answered)

    @on(Button.Pressed, "#replace")
    def replace(self) -> None:
        if not (self.ready_to_issue() and self.passphrase_ready()):
            return
        self.confirm_backup(
            N_("Replace the CA?"), ("ca", "server", "client"),
            N_("Then issue the server and client certificates again, and upload the new CA and server certificates."),
            N_("Back up and replace"), N_("Keep the CA"),
            before=N_("A new CA makes every certificate it signed useless: the load balancer and your "
                      "clients trust only the CA they know."))
