"""The App's work for the Clients page: issuing named clients (a batch, with progress),
renewing and revoking one.

Like the steps' work, it runs in a thread owned by the App, so leaving the Clients page never
loses a result, and comes back as typed messages (wizard.app.outcomes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on, work

from wizard.app.outcomes import ClientRenewed, ClientRevoked, ClientsIssued, ClientsProgress
from wizard.app.work import WorkBase, attempt
from wizard.i18n import _, ngettext

if TYPE_CHECKING:
    from screens.clients import ClientsScreen
    from wizard.ca_key import Unlock
    from wizard.clients import ClientOptions
    from wizard.workspace import Workspace


class ClientsWork(WorkBase):
    """Named clients, for WizardApp (see wizard.app)."""

    # -- what the page asks for -----------------------------------------------------------
    def on_clients_screen_issue_requested(self, message: ClientsScreen.IssueRequested) -> None:
        self.start_clients(message.names, message.password, message.options)

    def on_clients_screen_renewal_requested(self, message: ClientsScreen.RenewalRequested) -> None:
        self.start_client_renewal(message.name, message.password)

    def on_clients_screen_revocation_requested(self, message: ClientsScreen.RevocationRequested) -> None:
        self.start_revoke(message.name, message.reason)

    # -- the work -------------------------------------------------------------------------
    def start_clients(self, names: list[str], password: str, options: ClientOptions) -> None:
        """Issue named clients in a thread (a batch uses worker processes on every core), once the CA key is open."""
        if self.ws is not None and not self.busy.get("clients"):
            self.with_ca_unlocked(lambda unlock: self._start_clients(names, password, options, unlock))

    def _start_clients(self, names: list[str], password: str, options: ClientOptions, unlock: Unlock) -> None:
        if self.ws is None or self.busy.get("clients"):
            return
        self.busy["clients"] = ngettext("issuing {count} client…", "issuing {count} clients…", len(names)).format(count=len(names))
        self.clients_progress = (0, len(names))
        # The password is held by a closure, never a worker argument (Textual logs arguments).
        self._clients_worker(self.ws, names, options, lambda: password, unlock)
        self.sync_screen()

    @work(thread=True, group="clients", description="issuing named clients")
    def _clients_worker(self, ws: Workspace, names: list[str], options: ClientOptions, password: Callable[[], str], unlock: Unlock) -> None:
        from wizard.ccm import dispatch  # the workspace's CA signs: the key here, or the private CA in CCM

        def progress(done: int, total: int, name: str) -> None:
            self._post_from_thread(ClientsProgress(done, total, name))

        result, error = attempt(lambda: dispatch.issue_clients(ws, names, None if options.random_passwords else password(),
                                                               options, progress, unlock=unlock))
        self._post_from_thread(ClientsIssued(ws.root, result, error or ""))

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

    def start_client_renewal(self, name: str, password: str) -> None:
        """A new key, certificate and .p12 for one client, from the Clients page, once the CA key is open."""
        if self.ws is not None and not self.busy.get("revoke"):
            self.with_ca_unlocked(lambda unlock: self._start_client_renewal(name, password, unlock))

    def _start_client_renewal(self, name: str, password: str, unlock: Unlock) -> None:
        if self.ws is None or self.busy.get("revoke"):
            return
        self.busy["revoke"] = _("renewing {name}…").format(name=name)
        # The password is held by a closure, never a worker argument (Textual logs arguments).
        self._client_renewal_worker(self.ws, name, lambda: password, unlock)
        self.sync_screen()

    @work(thread=True, group="clients", description="renewing a client")
    def _client_renewal_worker(self, ws: Workspace, name: str, password: Callable[[], str], unlock: Unlock) -> None:
        from wizard.ccm import dispatch
        from wizard.lifecycle import renew

        outcome, error = attempt(lambda: dispatch.renew_client(ws, name, password(), days=renew.CLIENT_DAYS, unlock=unlock))
        self._post_from_thread(ClientRenewed(ws.root, name, outcome, error or ""))

    @on(ClientRenewed)
    def _client_renewed(self, message: ClientRenewed) -> None:
        from wizard.record import record

        self.busy.pop("revoke", None)
        if message.error or message.outcome is None:
            self.show_error(message.error, _("Not renewed"))
        else:
            if message.name == "client" and self.session is not None and self.ws is not None and self.ws.root == message.workspace:
                record(self.session, message.outcome)  # the tutorial's client is the session's too
                self.save()
            self.notify(_("Hand the new .p12 to {name}; the listener needs nothing new (same CA)").format(name=message.name),
                        title=_("{name} renewed").format(name=message.name), timeout=12)
            for warning in message.outcome.warnings:
                self.notify(warning, severity="warning", timeout=10)
        self.sync_screen()

    def start_revoke(self, name: str, reason: str) -> None:
        """Revoke a client and sign the CRL again, once the CA key is open."""
        if self.ws is not None and not self.busy.get("revoke"):
            self.with_ca_unlocked(lambda unlock: self._start_revoke(name, reason, unlock))

    def _start_revoke(self, name: str, reason: str, unlock: Unlock) -> None:
        if self.ws is None or self.busy.get("revoke"):
            return
        self.busy["revoke"] = _("revoking {name}…").format(name=name)
        self._revoke_worker(self.ws, name, reason, unlock)
        self.sync_screen()

    @work(thread=True, group="clients", description="revoking a client")
    def _revoke_worker(self, ws: Workspace, name: str, reason: str, unlock: Unlock) -> None:
        from wizard.ccm import dispatch
        from wizard.clients.revocation import CRL_DAYS

        revocation, error = attempt(lambda: dispatch.revoke_client(ws, name, reason, CRL_DAYS, unlock=unlock))
        self._post_from_thread(ClientRevoked(ws.root, revocation, error or ""))

    @on(ClientRevoked)
    def _client_revoked(self, message: ClientRevoked) -> None:
        self.busy.pop("revoke", None)
        if message.error:
            self.show_error(message.error, _("Not revoked"))
        elif message.revocation is not None:
            done = message.revocation
            from wizard.ccm.record import records_ccm

            said = (_("{name} was already revoked") if done.already
                    else _("{name} is revoked in CCM (which signs its CRL); ca/revoked-serials.txt is updated")
                    if self.ws is not None and records_ccm(self.ws)
                    else _("{name} is revoked: ca/crl.pem and ca/revoked-serials.txt are updated"))
            self.notify(said.format(name=done.name), title=_("Revoked"), timeout=10)
        self.sync_screen()
