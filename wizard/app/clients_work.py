"""The App's work for named clients: issuing a batch (with progress) and revoking one.

Like the step work (wizard.app.work), it runs in a thread owned by the App, so leaving the
Clients page never loses a result, and comes back as typed messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App
from textual.message import Message

from wizard.app.work import attempt
from wizard.i18n import _, ngettext

if TYPE_CHECKING:
    from wizard.clients import BatchResult, ClientOptions, Revocation
    from wizard.workspace import Workspace


class ClientsProgress(Message):
    """One more client of a batch is done."""

    def __init__(self, done: int, total: int, name: str) -> None:
        super().__init__()
        self.done, self.total, self.name = done, total, name


class ClientsIssued(Message):
    def __init__(self, workspace: Path, result: BatchResult | None, error: str = "") -> None:
        super().__init__()
        self.workspace, self.result, self.error = workspace, result, error


class ClientRevoked(Message):
    def __init__(self, workspace: Path, revocation: Revocation | None, error: str = "") -> None:
        super().__init__()
        self.workspace, self.revocation, self.error = workspace, revocation, error


class ClientsWorkMixin(App[int]):
    """Named clients, for WizardApp (see wizard.app)."""

    ws: Workspace | None
    busy: dict[str, str]
    clients_progress: tuple[int, int]

    def sync_screen(self) -> None: ...
    def show_error(self, message: str, title: str = "") -> None: ...

    def start_clients(self, names: list[str], password: str, options: ClientOptions) -> None:
        """Issue named clients in a thread (a batch uses worker processes on every core)."""
        if self.ws is None or self.busy.get("clients"):
            return
        self.busy["clients"] = ngettext("issuing {count} client…", "issuing {count} clients…", len(names)).format(count=len(names))
        self.clients_progress = (0, len(names))
        # The password is held by a closure, never a worker argument (Textual logs arguments).
        self._clients_worker(self.ws, names, options, lambda: password)
        self.sync_screen()

    @work(thread=True, group="clients", description="issuing named clients")
    def _clients_worker(self, ws: Workspace, names: list[str], options: ClientOptions, password: object) -> None:
        from wizard import clients

        def progress(done: int, total: int, name: str) -> None:
            self.post_message(ClientsProgress(done, total, name))

        result, error = attempt(lambda: clients.issue_clients(ws, names, None if options.random_passwords else password(),  # type: ignore[operator]
                                                              options, progress))
        self.post_message(ClientsIssued(ws.root, result, error or ""))

    @on(ClientsProgress)
    def _clients_progress(self, message: ClientsProgress) -> None:
        self.clients_progress = (message.done, message.total)
        self.sync_screen()

    @on(ClientsIssued)
    def _clients_issued(self, message: ClientsIssued) -> None:
        self.busy.pop("clients", None)
        if message.error:
            self.show_error(message.error, _("No client issued"))
        elif message.result is not None:
            result = message.result
            if result.issued:
                self.notify(", ".join(issued.name for issued in result.issued), title=ngettext(
                    "{count} issued", "{count} issued", len(result.issued)).format(count=len(result.issued)), timeout=8)
            for name, why in result.failed:
                self.show_error(_("{name}: {reason}").format(name=name, reason=why), _("A client failed"))
            for warning in result.warnings:
                self.notify(warning, severity="warning", timeout=10)
        self.sync_screen()

    def start_revoke(self, name: str, reason: str) -> None:
        if self.ws is None or self.busy.get("revoke"):
            return
        self.busy["revoke"] = _("revoking {name}…").format(name=name)
        self._revoke_worker(self.ws, name, reason)
        self.sync_screen()

    @work(thread=True, group="clients", description="revoking a client")
    def _revoke_worker(self, ws: Workspace, name: str, reason: str) -> None:
        from wizard import clients

        revocation, error = attempt(lambda: clients.revoke(ws, name, reason))
        self.post_message(ClientRevoked(ws.root, revocation, error or ""))

    @on(ClientRevoked)
    def _client_revoked(self, message: ClientRevoked) -> None:
        self.busy.pop("revoke", None)
        if message.error:
            self.show_error(message.error, _("Not revoked"))
        elif message.revocation is not None:
            done = message.revocation
            said = (_("{name} was already revoked") if done.already
                    else _("{name} is revoked: ca/crl.pem and ca/revoked-serials.txt are updated"))
            self.notify(said.format(name=done.name), title=_("Revoked"), timeout=10)
        self.sync_screen()
