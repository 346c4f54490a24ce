"""Steps 4 and 5 share one page: text to paste into the ELB console, the readiness
checklist, the certificate id the console shows, a "done" confirmation, and the
optional upload through the API when the SDK and credentials are there."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from screens.base import Busy, FieldRow, PastePanel, StepScreen, findings_text
from screens.forms import ElbId, fingerprint_lines, first_failure
from screens.upload_modal import UploadModal
from screens.work import attempt
from screens.wording import for_tui
from wizard import elb
from wizard.defaults import PROG
from wizard.errors import WizardError
from wizard.i18n import N_, _
from wizard.pki import Finding
from wizard.session import Session
from wizard.workspace import Workspace


class ReadinessChecked(Message):
    """The readiness checks of this step's files finished (from the screen's worker), and
    what was written for the API route (see `export_for_the_api`; None: nothing, the
    files are not ready)."""

    def __init__(self, findings: list[Finding], exported: tuple[str, str] | None) -> None:
        super().__init__()
        self.findings = findings
        self.exported = exported


def export_for_the_api(ws: Workspace, answers: Session) -> tuple[str, str]:
    """Write elb/ (the API request bodies, as `mtls-wizard elb export` does): (the request
    files written, "") or ("", why they could not be). Worded by `api_route_text`, when shown,
    in the language of that moment."""
    try:
        written = elb.export(ws, answers)
    except WizardError as error:
        return "", str(error)
    return ", ".join(ws.relative(path) for path in written.paths if path.suffix == ".json"), ""


def api_route_text(exported: tuple[str, str] | None) -> str:
    """Where the API request bodies are, or why they could not be written ("" for nothing)."""
    if exported is None:
        return ""
    names, error = exported
    if error:
        return _("The API request bodies could not be written: {error}").format(error=for_tui(error))
    return _("By API instead of the console: {names} hold the request bodies, elb/api-calls.txt the calls "
             "(server-certificate.json holds the key: mode 0600). Or, with {env_ak}/{env_sk} set: "
             "{prog} elb upload --region REGION --project-id ID (with --loadbalancer-id LB_ID it also creates the listener of step 6)").format(names=names, env_ak=elb.ENV_AK, env_sk=elb.ENV_SK, prog=PROG)

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
        ws = self.wizard.ws
        assert ws is not None
        self.query_one("#cert-id", Input).value = getattr(self.session, self.ID_FIELD)
        self._fill_panels()
        # The files only change in steps 1-3: check them once per visit, in a thread (loading
        # a large RSA key would freeze the screen for half a second).
        self._findings = None
        self._check_readiness(ws, copy.deepcopy(self.session))

    def _fill_panels(self) -> None:
        """What compose leaves empty: the texts to paste, the fingerprint, the API route."""
        ws = self.wizard.ws
        assert ws is not None
        for part, _title in self.PARTS:
            try:
                text = elb.paste_text(ws, part)
            except WizardError as error:
                text = f"({for_tui(str(error))})"
            self.query_one(f"#panel-{part}", PastePanel).set_text(text)
        self.query_one("#upload", Button).display = elb.sdk_available() and elb.credentials_present()
        if self.PURPOSE == "ca":
            self.query_one("#fingerprint", Static).update(fingerprint_text(self.session.certificates.get("ca", {})))
        self.query_one("#api-route", Static).update(api_route_text(self._exported))

    def after_retranslate(self) -> None:
        self._fill_panels()
        ws = self.wizard.ws
        if ws is not None:  # the findings in the new language (the old ones stay until then)
            self._check_readiness(ws, copy.deepcopy(self.session))
        super().after_retranslate()

    @work(thread=True, exclusive=True, group="readiness", description="ELB readiness checks")
    def _check_readiness(self, ws: Workspace, answers: Session) -> None:
        checked, error = attempt(lambda: elb.readiness(ws, self.PURPOSE))
        findings = checked if error is None else [Finding("error", "file", error, "")]  # a failure shown as a finding
        exported = export_for_the_api(ws, answers) if not any(f.blocking for f in findings) else None
        self.post_message(ReadinessChecked(findings, exported))

    @on(ReadinessChecked)
    def _readiness_checked(self, message: ReadinessChecked) -> None:
        self._findings, self._exported = message.findings, message.exported
        self.query_one("#api-route", Static).update(api_route_text(message.exported))
        self.sync()

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
        self.query_one("#upload", Button).disabled = blocked or bool(busy)
        self.query_one(Busy).show(busy)

    def next_hint(self) -> str:
        return _("Press Done once the console has the certificate")

    @on(Input.Changed, "#cert-id")
    def _cert_id(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.wizard.remember(**{self.ID_FIELD: event.value.strip()})
        self.sync()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.wizard.mark_done(self.STEP)
        self.notify(_("Noted. Next ▶ (or Alt+N) continues."), title=_("Step {step} done").format(step=self.STEP))

    @on(Button.Pressed, ".copy")
    def _copy(self, event: Button.Pressed) -> None:
        part = (event.button.id or "").removeprefix("copy-")
        text = self.query_one(f"#panel-{part}", PastePanel).text
        self.app.copy_to_clipboard(text)
        self.notify(_("{count} characters sent to the terminal clipboard (OSC 52). "
                      "Nothing pasted? Your terminal ignores OSC 52: use Save to file.").format(count=len(text)), title=_("Copied"))

    @on(Button.Pressed, ".save")
    def _save(self, event: Button.Pressed) -> None:
        ws = self.wizard.ws
        assert ws is not None
        part = (event.button.id or "").removeprefix("save-")

        def saved(path: Path) -> None:
            mode = elb.PASTE_FILES[part][1]
            self.app.notify(f"{path}", title=_("Saved (mode {mode})").format(mode=f"{mode:04o}"), timeout=10)

        self.wizard.save_in_workspace(lambda: elb.save_paste_text(ws, part)[0], saved)

    @on(Button.Pressed, "#upload")
    def _upload(self) -> None:
        def answered(request: object) -> None:
            if request:
                self.wizard.start_upload(request)

        self.app.push_screen(UploadModal(), answered)
