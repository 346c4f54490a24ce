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

from screens.language import Translated
from screens.base import FieldRow
from screens.forms import first_failure

# role -> (title, hint, [(field id, label, required)])
FORMS = {
    "ca": ("Use an existing CA", "Its certificate and key are checked (a CA, keyCertSign, the key matches, valid now, "
           "no SHA-1) and copied into ca/. The originals are not changed.",
           [("cert", "CA certificate", True), ("key", "CA key", True), ("password", "Key password", False)]),
    "server": ("Use a certificate I already have", "A purchased or corporate server certificate: checked (the key matches, "
               "valid now, serverAuth, covers the server name, the chain in order) and copied into server/ with its chain.",
               [("cert", "Certificate", True), ("key", "Private key", True), ("chain", "Chain (optional)", False),
                ("password", "Key password", False)]),
}


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
            return self.failure("give the file's path") if self.required else self.success()
        if not os.path.isfile(path):
            return self.failure(f"{value.strip()} is not a file")
        if not os.access(path, os.R_OK):
            return self.failure(f"{value.strip()} cannot be read (permissions)")
        return self.success()


class BringModal(ModalScreen[BringRequest | None], Translated):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role

    def compose(self) -> ComposeResult:
        title, hint, fields = FORMS[self.role]
        with Vertical(classes="dialog"):
            yield Label(title, classes="dialog-title")
            yield Static(hint, classes="hint", markup=False)
            for field_id, label, required in fields:
                secret = field_id == "password"
                validators = [] if secret else [ReadableFile(required)]
                placeholder = "only if the key is encrypted" if secret else ("optional" if not required else "")
                yield FieldRow(label, Input(id=field_id, password=secret, compact=True, placeholder=placeholder,
                                            validators=validators), note_id=f"{field_id}-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Check and use", id="use", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        for note in self.query(".note"):
            note.display = False
        self.query_one("#cert", Input).focus()

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
                    return f"{field.id}: {problem}"
        return None

    @on(Button.Pressed, "#use")
    @on(Input.Submitted)
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
