"""The CA key's passphrase, asked for once per run before the wizard signs with it.

The App shows this dialog before it starts work that signs (steps 2-3, named clients,
revocation and the CRL, renewals) when ca/ca.key is under a passphrase and none was given in
this run. What is typed goes back to the App only: it keeps it in memory until the wizard
ends, never in the session, a log or on the screen (the field shows dots).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from screens.language import Translated
from screens.wording import for_tui
from wizard.i18n import N_, _


class PassphraseModal(ModalScreen["str | None"], Translated):
    """Answers the passphrase typed, or None (cancelled). `problem`: why it is asked again
    (the last one did not open the key), already in words."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(self, problem: str = "") -> None:
        super().__init__()
        self.problem = problem

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("The CA key's passphrase"), classes="dialog-title")
            yield Static(_("ca/ca.key is protected by a passphrase. Type it to sign with the CA: the wizard keeps it in memory "
                           "until it ends, never on disk, and asks only once."), classes="hint", markup=False)
            yield Input(id="passphrase", password=True, compact=True, placeholder=_("the CA key's passphrase"))
            yield Static(for_tui(self.problem), id="passphrase-note", classes="note -error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Unlock"), id="unlock", variant="primary", compact=True)
                yield Button(_("Cancel"), id="cancel", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#passphrase-note", Static).display = bool(self.problem)
        self.query_one("#passphrase", Input).focus()

    def after_retranslate(self) -> None:
        self.query_one("#passphrase-note", Static).display = bool(self.problem)

    @on(Input.Submitted, "#passphrase")
    @on(Button.Pressed, "#unlock")
    def _unlock(self) -> None:
        field = self.query_one("#passphrase", Input)
        if not field.value:
            note = self.query_one("#passphrase-note", Static)
            note.update(_("type the passphrase of ca/ca.key, or Cancel"))
            note.display = True
            return
        passphrase, field.value = field.value, ""  # the App keeps the only copy
        self.dismiss(passphrase)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
