"""Bringing your own CA (step 1) or server certificate (step 2): the files to read.

The files are only read; the checks and the copy into the workspace run in the App's thread
(wizard.lifecycle.bring), and any refusal comes back as one line naming what to fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label, Static

from screens.forms import FieldRow, first_failure
from screens.language import Translated
from wizard.i18n import N_, _

# role -> (title, hint, [(field id, label, required)]); the texts are translated where shown
FORMS = {
    "ca": (N_("Use an existing CA"), N_("Its certificate and key are checked (a CA, keyCertSign, the key matches, valid now, "
                                        "no SHA-1) and copied into {folder}. The originals are not changed."),
           [("cert", N_("CA certificate"), True), ("key", N_("CA key"), True), ("password", N_("Key password"), False)]),
    "server": (N_("Use a certificate I already have"),
               N_("A purchased or corporate server certificate: checked (the key matches, "
                  "valid now, serverAuth, covers the server name, the chain in order) and copied into {folder} with its chain."),
               [("cert", N_("Certificate"), True), ("key", N_("Private key"), True), ("chain", N_("Chain (optional)"), False),
                ("password", N_("Key password"), False)]),
}
# field id -> how a refusal names it (the English says the id)
REFUSED = {"cert": N_("cert: {problem}"), "key": N_("key: {problem}"), "chain": N_("chain: {problem}")}


@dataclass(frozen=True)
class BringRequest:
    role: str
    cert: str
    key: str
    chain: str
    password: str


class ReadableFile(Validator):
    def __init__(self, required: bool) -> None:
        super().__init__()
        self.required = required

    def validate(self, value: str) -> ValidationResult:
        path = os.path.expanduser(value.strip())
        if not path:
            return self.failure(_("give the file's path")) if self.required else self.success()
        if not os.path.isfile(path):
            return self.failure(_("{path} is not a file").format(path=value.strip()))
        if not os.access(path, os.R_OK):
            return self.failure(_("{path} cannot be read (permissions)").format(path=value.strip()))
        return self.success()


class BringModal(ModalScreen[BringRequest | None], Translated):
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]
    MAIN_ACTION = "#use"

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role

    def compose(self) -> ComposeResult:
        title, hint, fields = FORMS[self.role]
        with Vertical(classes="dialog"):
            yield Label(_(title), classes="dialog-title")
            yield Static(_(hint).format(folder=f"{self.role}/"), classes="hint", markup=False)
            for field_id, label, required in fields:
                secret = field_id == "password"
                validators = [] if secret else [ReadableFile(required)]
                placeholder = _("only if the key is encrypted") if secret else (_("optional") if not required else "")
                yield FieldRow(_(label), Input(id=field_id, password=secret, compact=True, placeholder=placeholder,
                                            validators=validators), note_id=f"{field_id}-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Check and use"), id="use", variant="primary", compact=True)
                yield Button(_("Cancel"), id="cancel", compact=True)

    def on_mount(self) -> None:
        for note in self.query(".note"):
            note.display = False
        self.query_one("#cert", Input).focus()

    # A language switch puts the typed paths back: their Input.Changed shows the refusals again.
    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        note = self.query_one(f"#{event.input.id}-note", Static)
        problem = first_failure(event.validation_result) if event.value.strip() else None
        note.update(problem or "")
        note.set_classes("note -error" if problem else "note")
        note.display = bool(problem)

    def _problem(self) -> str | None:
        for field in self.query(Input):
            if field.id != "password":
                problem = first_failure(field.validate(field.value))
                if problem:
                    return _(REFUSED.get(field.id or "", "{field}: {problem}")).format(field=field.id, problem=problem)
        return None

    @on(Button.Pressed, "#use")
    def _use(self) -> None:
        problem = self._problem()
        if problem:
            self.notify(problem, severity="error")
            return
        values = {field.id: field.value.strip() for field in self.query(Input)}
        self.dismiss(BringRequest(self.role, os.path.expanduser(values["cert"]), os.path.expanduser(values["key"]),
                                  os.path.expanduser(values.get("chain", "")), values.get("password", "")))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
