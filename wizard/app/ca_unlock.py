"""The CA key's passphrase in the wizard: asked once per run, before the first work that signs.

Work that signs with the CA (steps 2-3, named clients, revocation and the CRL, renewals) starts
through `with_ca_unlocked`: at once when ca/ca.key has no passphrase (or the CA is held in
CCM, which has no key here), else once the passphrase is known and checked. It is asked for in
a dialog (screens.passphrase_modal) the first time, checked in a thread (opening the key takes
a moment), and then kept in memory for this run only, per workspace: never in the session, a
log, a worker's arguments or on the screen. A passphrase that stops working (changed from the
command line meanwhile) is asked for again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work

from wizard.app.outcomes import PassphraseChecked
from wizard.app.work import WorkBase, attempt

if TYPE_CHECKING:
    from wizard.ca_key import Unlock
    from wizard.workspace import Workspace

Then = Callable[["Unlock"], None]


class CaUnlockWork(WorkBase):
    """The CA key's passphrase for this run, for WizardApp (see wizard.app)."""

    _ca_passphrases: dict[Path, str]  # workspace -> the passphrase that opened its CA key in this run

    def remember_ca_passphrase(self, workspace: Path, passphrase: str | None) -> None:
        """What a new CA key was put under in this run (step 1): no need to ask for it again."""
        if passphrase:
            self._ca_passphrases[workspace] = passphrase
        else:
            self._ca_passphrases.pop(workspace, None)

    def with_ca_unlocked(self, then: Then) -> None:
        """Call `then` with what opens the workspace's CA key, asking for its passphrase first
        when it has one and none is known in this run."""
        from wizard import ca_key

        ws = self.ws
        if ws is None:
            return
        if not ca_key.is_encrypted(ws):
            then(ca_key.given(None))
            return
        known = self._ca_passphrases.get(ws.root)
        if known is not None:
            self._check_worker(ws, lambda: known, then)  # still the key's? (a moment, in a thread)
        else:
            self._ask(ws, then, "")

    def _ask(self, ws: Workspace, then: Then, problem: str) -> None:
        from screens.passphrase_modal import PassphraseModal

        def answered(passphrase: str | None) -> None:
            if passphrase and self._is_open(ws.root):
                # In a closure, never a worker argument: Textual builds a worker's description from those.
                self._check_worker(ws, lambda: passphrase, then)

        self.push_screen(PassphraseModal(problem), answered)

    @work(thread=True, group="unlock", description="checking the CA key's passphrase")
    def _check_worker(self, ws: Workspace, passphrase: Callable[[], str], then: Then) -> None:
        from wizard import ca_key

        _opened, error = attempt(lambda: ca_key.check_passphrase(ws, passphrase()))
        self._post_from_thread(PassphraseChecked(ws.root, passphrase, then, error or ""))

    @on(PassphraseChecked)
    def _passphrase_checked(self, message: PassphraseChecked) -> None:
        from wizard import ca_key

        if not self._is_open(message.workspace) or self.ws is None:
            return  # the workspace was switched meanwhile: nothing is started for it
        if message.error:
            self._ca_passphrases.pop(message.workspace, None)
            self._ask(self.ws, message.then, message.error)
            return
        passphrase = message.passphrase()
        self._ca_passphrases[message.workspace] = passphrase
        message.then(ca_key.given(passphrase))
