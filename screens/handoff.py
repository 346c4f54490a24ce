"""Steps 4 and 5 share one page: text to paste into the ELB console, the readiness
checklist, the certificate id the console shows, a "done" confirmation, and the
optional upload through the API when the SDK and credentials are there."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from screens.base import Busy, FieldRow, PastePanel, StepScreen, findings_text
from screens.forms import fingerprint_lines
from wizard import elb
from wizard.errors import WizardError
from wizard.pki import Finding
from wizard.workspace import Workspace, atomic_write


class ReadinessChecked(Message):
    """The readiness checks of this step's files finished (from the screen's worker)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__()
        self.findings = findings


def fingerprint_text(info: dict[str, str]) -> Text:
    """The CA certificate's full SHA-256 fingerprint, on two lines at 80 columns."""
    fingerprint = info.get("fingerprint", "")
    text = Text()
    text.append("SHA-256 fingerprint of ca.crt ", style="bold")
    text.append("(the console shows it too)\n" if fingerprint else "(create the CA in step 1 first)", style="dim")
    if fingerprint:
        text.append("\n".join(f"  {line}" for line in fingerprint_lines(fingerprint)))
    return text


class UploadModal(ModalScreen[tuple[str, str, str] | None]):
    """Region, project id and (optionally) an endpoint for the API upload; AK/SK come from the environment."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Upload both certificates with the ELB API", classes="dialog-title")
            yield Static(f"Credentials come from {elb.ENV_AK} and {elb.ENV_SK}.", classes="hint")
            yield FieldRow("Region", Input(id="region", placeholder="cn-north-4", compact=True))
            yield FieldRow("Project id", Input(id="project", compact=True))
            yield FieldRow("Endpoint", Input(id="endpoint", placeholder="optional", compact=True))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Upload", id="upload", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#upload")
    @on(Input.Submitted)
    def _upload(self) -> None:
        region = self.query_one("#region", Input).value.strip()
        project = self.query_one("#project", Input).value.strip()
        if not region or not project:
            self.notify("give the region and the project id", severity="error")
            return
        self.dismiss((region, project, self.query_one("#endpoint", Input).value.strip()))


class HandOffScreen(StepScreen):
    PURPOSE: ClassVar[str] = "server"
    PARTS: ClassVar[list[tuple[str, str]]] = []  # (part, title)
    ID_FIELD: ClassVar[str] = "server_cert_id"
    DONE_LABEL: ClassVar[str] = "Done: it is in the console"

    def compose_form(self) -> ComposeResult:
        for part, title in self.PARTS:
            yield PastePanel(title, part, id=f"panel-{part}")
        if self.PURPOSE == "ca":
            # What to compare with the console's certificate details when a client is refused.
            yield Static("", id="fingerprint", classes="result", markup=False)
        yield Label("Ready for ELB?", classes="section")
        yield Static("", id="checklist", classes="checklist", markup=False)
        yield FieldRow("Certificate id", Input(id="cert-id", compact=True, placeholder="optional: the id the console shows"))
        with Horizontal(classes="actions"):
            yield Button(self.DONE_LABEL, id="done", variant="primary", compact=True)
            yield Button("Upload with the API…", id="upload", compact=True)
        yield Busy(id="busy")

    def load_form(self) -> None:
        ws = self.wizard.ws
        assert ws is not None
        for part, _ in self.PARTS:
            try:
                text = elb.paste_text(ws, part)
            except WizardError as error:
                text = f"({error})"
            self.query_one(f"#panel-{part}", PastePanel).set_text(text)
        self.query_one("#cert-id", Input).value = getattr(self.session, self.ID_FIELD)
        self.query_one("#upload", Button).display = elb.sdk_available() and elb.credentials_present()
        if self.PURPOSE == "ca":
            self.query_one("#fingerprint", Static).update(fingerprint_text(self.session.certificates.get("ca", {})))
        # The files only change in steps 1-3: check them once per visit, in a thread (loading
        # a large RSA key would freeze the screen for half a second).
        self._findings: list[Finding] | None = None
        self._check_readiness(ws)

    @work(thread=True, exclusive=True, group="readiness", description="ELB readiness checks")
    def _check_readiness(self, ws: Workspace) -> None:
        try:
            findings = elb.readiness(ws, self.PURPOSE)
        except WizardError as error:
            findings = [Finding("error", "file", str(error), "")]
        except Exception as error:  # noqa: BLE001 - shown as a finding, never a traceback
            findings = [Finding("error", "file", f"unexpected {type(error).__name__}: {error}", "")]
        self.post_message(ReadinessChecked(findings))

    @on(ReadinessChecked)
    def _readiness_checked(self, message: ReadinessChecked) -> None:
        self._findings = message.findings
        self.sync()

    def sync_form(self) -> None:
        cert_id = self.query_one("#cert-id", Input)
        recorded = getattr(self.session, self.ID_FIELD)
        if not cert_id.has_focus and cert_id.value.strip() != recorded:
            cert_id.value = recorded  # an upload just recorded the id
        findings = self._findings
        checklist = self.query_one("#checklist", Static)
        checklist.update(findings_text(findings) if findings is not None else Text(" checking the files…", style="dim"))
        blocked = findings is None or any(f.blocking for f in findings)
        done = self.query_one("#done", Button)
        done.disabled = blocked
        done.label = "Done ✔" if self.session.is_done(self.STEP) else self.DONE_LABEL
        busy = self.busy_with("upload")
        self.query_one("#upload", Button).disabled = blocked or bool(busy)
        self.query_one(Busy).show(busy)

    def next_hint(self) -> str:
        return "Press Done once the console has the certificate"

    @on(Input.Changed, "#cert-id")
    def _cert_id(self, event: Input.Changed) -> None:
        self.wizard.remember(**{self.ID_FIELD: event.value.strip()})

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.wizard.mark_done(self.STEP)
        self.notify("Noted. Next ▶ (or Alt+N) continues.", title=f"Step {self.STEP} done")

    @on(Button.Pressed, ".copy")
    def _copy(self, event: Button.Pressed) -> None:
        part = (event.button.id or "").removeprefix("copy-")
        text = self.query_one(f"#panel-{part}", PastePanel).text
        self.app.copy_to_clipboard(text)
        self.notify(f"{len(text)} characters sent to the terminal clipboard (OSC 52). "
                    "Nothing pasted? Your terminal ignores OSC 52: use Save to file.", title="Copied")

    @on(Button.Pressed, ".save")
    def _save(self, event: Button.Pressed) -> None:
        ws = self.wizard.ws
        assert ws is not None
        part = (event.button.id or "").removeprefix("save-")
        name, mode = elb.PASTE_FILES[part]
        path = ws.elb_dir / name
        try:
            ws.elb_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            atomic_write(path, elb.paste_text(ws, part).encode(), mode)
        except (WizardError, OSError) as error:
            self.wizard.show_error(f"cannot save {ws.relative(path)}: {error}")
            return
        self.notify(f"{path}", title=f"Saved (mode {mode:04o})", timeout=10)

    @on(Button.Pressed, "#upload")
    def _upload(self) -> None:
        def answered(values: tuple[str, str, str] | None) -> None:
            if values:
                self.wizard.start_upload(*values)

        self.app.push_screen(UploadModal(), answered)
