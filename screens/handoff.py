"""Steps 4 and 5 share one page: text to paste into the ELB console, the readiness
checklist, the certificate id the console shows, a "done" confirmation, and the
optional upload through the API when the SDK and credentials are there.

The page reads the workspace's files itself; what writes (elb/'s request bodies, a text
saved to a file, the upload) is the App's work, asked for with `ReadinessRequested`,
`SaveRequested` and `StepScreen.UploadRequested`."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from screens.base import Busy, PastePanel, StepScreen, findings_text
from screens.language import Translated
from screens.forms import ElbId, FieldRow, fingerprint_lines, first_failure
from screens.upload_modal import UploadModal, UploadRequest
from screens.wording import for_tui
from wizard import elb
from wizard.defaults import PROG
from wizard.environment import ENV_AK, ENV_SK
from wizard.errors import WizardError
from wizard.i18n import N_, _

if TYPE_CHECKING:
    from wizard.pki import Finding
    from wizard.session import Session
    from wizard.workspace import Workspace


def api_route_text(exported: tuple[str, str] | None) -> str:
    """Where the API request bodies are, or why they could not be written ("" for nothing)."""
    if exported is None:
        return ""
    names, error = exported
    if error:
        return _("The API request bodies could not be written: {error}").format(error=for_tui(error))
    return _("By API instead of the console: {names} hold the request bodies, elb/api-calls.txt the calls "
             "(server-certificate.json holds the key: mode 0600). Or, with {env_ak}/{env_sk} set: "
             "{prog} elb upload --region REGION --project-id ID (with --loadbalancer-id LB_ID it also creates the listener of step 6)").format(names=names, env_ak=ENV_AK, env_sk=ENV_SK, prog=PROG)

def movable_listener(session: Session, ws: Workspace, gone: str) -> str:
    """The id of the ELB listener recorded for the last upload, which the API moves with nothing
    typed again ("" when there is none, or the last upload found it gone: `gone`)."""
    listener_id = elb.recorded_listener(session, ws).get("id", "")
    return "" if listener_id == gone else listener_id


def fingerprint_text(info: dict[str, str]) -> Text:
    """The CA certificate's full SHA-256 fingerprint, on two lines at 80 columns."""
    fingerprint = info.get("fingerprint", "")
    text = Text()
    text.append(_("SHA-256 fingerprint of ca.crt") + " ", style="bold")
    text.append(_("(the console shows it too)") + "\n" if fingerprint else _("(create the CA in step 1 first)"), style="dim")
    if fingerprint:
        text.append("\n".join(f"  {line}" for line in fingerprint_lines(fingerprint)))
    return text


class HandOffScreen(StepScreen):
    PURPOSE: ClassVar[str] = "server"
    PARTS: ClassVar[list[tuple[str, str]]] = []  # (part, title marked with N_)
    ID_FIELD: ClassVar[str] = "server_cert_id"
    DONE_LABEL: ClassVar[str] = N_("Done: it is in the console")
    _findings: list[Finding] | None = None
    _exported: tuple[str, str] | None = None

    class ReadinessRequested(Message):
        """Check this step's files for ELB and, when they are ready, write elb/'s API request
        bodies (as `mtls-wizard elb export` does); the App answers `page` with ReadinessChecked."""

        def __init__(self, page: HandOffScreen, purpose: str) -> None:
            super().__init__()
            self.page, self.purpose = page, purpose

    class ReadinessChecked(Message):
        """The App's answer to ReadinessRequested: the findings, and what was written for the
        API route (names, error) or None (nothing: the files are not ready)."""

        def __init__(self, findings: list[Finding], exported: tuple[str, str] | None) -> None:
            super().__init__()
            self.findings, self.exported = findings, exported

    class SaveRequested(Message):
        """Save one of the texts to paste (`part`, a key of elb.PASTE_FILES) as a file in elb/."""

        def __init__(self, part: str) -> None:
            super().__init__()
            self.part = part

    def compose_form(self) -> ComposeResult:
        for part, title in self.PARTS:
            yield PastePanel(_(title), part, id=f"panel-{part}")
        if self.PURPOSE == "ca":
            # What to compare with the console's certificate details when a client is refused.
            yield Static("", id="fingerprint", classes="result", markup=False)
        yield Label(_("Ready for ELB?"), classes="section")
        yield Static("", id="checklist", classes="checklist", markup=False)
        yield FieldRow(_("Certificate id"), Input(id="cert-id", compact=True, placeholder=_("optional: the id the console shows"),
                                                  validators=[ElbId()]), note_id="cert-id-note")
        with Horizontal(classes="actions"):
            yield Button(_(self.DONE_LABEL), id="done", variant="primary", compact=True)
            yield Button(_("Upload with the API…"), id="upload", compact=True)
        yield Busy(id="busy")
        yield Static("", id="api-route", classes="hint", markup=False)

    def load_form(self) -> None:
        self.query_one("#cert-id", Input).value = getattr(self.session, self.ID_FIELD)
        self._fill_panels()
        # The files only change in steps 1-3: check them once per visit, in a thread (loading
        # a large RSA key would freeze the screen for half a second).
        self._findings = None
        self.post_message(self.ReadinessRequested(self, self.PURPOSE))

    def _fill_panels(self) -> None:
        """What compose leaves empty: the texts to paste, the fingerprint, the API route."""
        for part, _title in self.PARTS:
            try:
                text = elb.paste_text(self.ws, part)
            except WizardError as error:
                text = f"({for_tui(str(error))})"
            self.query_one(f"#panel-{part}", PastePanel).set_text(text)
        self.query_one("#upload", Button).display = elb.sdk_available() and elb.credentials_present()
        if self.PURPOSE == "ca":
            self.query_one("#fingerprint", Static).update(fingerprint_text(self.session.certificates.get("ca", {})))
        self.query_one("#api-route", Static).update(api_route_text(self._exported))

    def after_retranslate(self) -> None:
        self._fill_panels()
        # The findings in the new language (the old ones stay until then).
        self.post_message(self.ReadinessRequested(self, self.PURPOSE))
        super().after_retranslate()

    @on(ReadinessChecked)
    def _readiness_checked(self, message: ReadinessChecked) -> None:
        self._findings, self._exported = message.findings, message.exported
        self.show_api_route(message.exported)
        self.sync()

    def show_api_route(self, exported: tuple[str, str] | None) -> None:
        self.query_one("#api-route", Static).update(api_route_text(exported))

    def sync_form(self) -> None:
        cert_id = self.query_one("#cert-id", Input)
        recorded = getattr(self.session, self.ID_FIELD)
        if not cert_id.has_focus and cert_id.value.strip() != recorded and not first_failure(cert_id.validate(cert_id.value)):
            cert_id.value = recorded  # an upload just recorded the id
        self.set_note("cert-id-note", first_failure(cert_id.validate(cert_id.value)))
        findings = self._findings
        checklist = self.query_one("#checklist", Static)
        checklist.update(findings_text(findings) if findings is not None else Text(" " + _("checking the files…"), style="dim"))
        blocked = findings is None or any(f.blocking for f in findings)
        done = self.query_one("#done", Button)
        done.disabled = blocked
        done.label = _("Done ✔") if self.session.is_done(self.STEP) else _(self.DONE_LABEL)
        busy = self.busy_with("upload")
        upload = self.query_one("#upload", Button)
        upload.disabled = blocked or bool(busy)
        moving = movable_listener(self.session, self.ws, self.work.gone_listener)
        upload.label = _("Upload and move listener {listener_id}").format(listener_id=moving) if moving else _("Upload with the API…")
        self.query_one(Busy).show(busy)

    def next_hint(self) -> str:
        return _("Press Done once the console has the certificate")

    @on(Input.Changed, "#cert-id")
    def _cert_id(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.remember(**{self.ID_FIELD: event.value.strip()})
        self.sync_soon()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.post_message(self.DoneRequested(self.STEP))
        self.notify(_("Noted. Next ▶ (or Alt+N) continues."), title=_("Step {step} done").format(step=self.STEP))

    @on(Button.Pressed, ".copy")
    def _copy(self, event: Button.Pressed) -> None:
        part = (event.button.id or "").removeprefix("copy-")
        if part == "server_key":  # a private key: say where it goes first, with Save to file beside it
            def answered(choice: str | None) -> None:
                if choice == "copy":
                    self._copy_text(part)
                elif choice == "save":
                    self.post_message(self.SaveRequested(part))

            self.app.push_screen(KeyCopyModal(), answered)
            return
        self._copy_text(part)

    def _copy_text(self, part: str) -> None:
        text = self.query_one(f"#panel-{part}", PastePanel).text
        self.app.copy_to_clipboard(text)
        self.notify(_("{count} characters sent to the terminal clipboard (OSC 52). "
                      "Nothing pasted? Your terminal ignores OSC 52: use Save to file.").format(count=len(text)), title=_("Copied"))

    @on(Button.Pressed, ".save")
    def _save(self, event: Button.Pressed) -> None:
        self.post_message(self.SaveRequested((event.button.id or "").removeprefix("save-")))

    @on(Button.Pressed, "#upload")
    def _upload(self) -> None:
        if movable_listener(self.session, self.ws, self.work.gone_listener):
            self.post_message(self.MoveRequested())  # the recorded target and listener: nothing to ask
            return

        def answered(request: UploadRequest | None) -> None:
            if request:
                self.post_message(self.UploadRequested(request))

        self.app.push_screen(UploadModal(), answered)


class KeyCopyModal(ModalScreen[str | None], Translated):
    """Before the private key goes to the clipboard: where it goes, and Save to file instead.
    Answers "copy", "save" or None (Cancel, the focused, safe answer)."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Copy the private key?"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(_("Copy sends server/server.key to your terminal's clipboard with the OSC 52 escape sequence: over SSH "
                               "it travels to the computer you type on and lands in its clipboard, where other programs can read it "
                               "and clipboard managers may keep it. Save to file instead writes elb/paste-server-private-key.txt "
                               "(mode 0600) here, for scp."), markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Copy it"), id="copy", variant="warning", compact=True)
                yield Button(_("Save to file instead"), id="save", compact=True)
                yield Button(_("Cancel"), id="cancel", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed)
    def _answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id if event.button.id in ("copy", "save") else None)

