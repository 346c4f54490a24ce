"""The summary: every artifact, what was uploaded, the verdict, the openssl script, renewal advice."""

from __future__ import annotations

import datetime as dt
import ipaddress

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Collapsible, Label, Static

from screens.base import ConfirmModal, StepScreen, display_path
from screens.download import SCRIPT, DownloadButton
from screens.expiry import ExpiryTable
from screens.forms import fingerprint_lines
from screens.text import padded
from screens.verdict import verdict_text
from wizard import assets_loader
from wizard.i18n import N_, _


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def against_practice_listener(verdict: dict[str, object]) -> bool:
    """The test ran against this machine (the practice load balancer), not a load balancer in the cloud."""
    host = str(verdict.get("host", "")).strip("[]").split("%", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


ROLE_NAMES = {"ca": N_("CA"), "server": N_("Server"), "client": N_("Client")}
RENEWALS = {  # (question, explanation), marked with N_
    "server": (N_("Renew the server certificate?"), N_("A new certificate from the same CA, for the same names, with a new key; the old "
               "files move into a backup folder first. Then upload it and move the listener to it (steps 4 and 6).")),
    "ca": (N_("Renew the CA certificate?"), N_("A new CA certificate for the same key and name: every certificate it signed stays valid. "
           "The old one moves into a backup folder first. Then upload the new CA certificate (step 5) and set it on the listener (step 6).")),
}



class SummaryScreen(StepScreen):
    STEP = 8
    MAIN_ACTION = ""  # no form: Enter presses only the button it is on

    class ScriptRequested(Message):
        """Save the openssl script that redoes every step into the workspace."""

    class RenewalRequested(Message):
        """Renew the server certificate or the CA (`what`: "server" or "ca")."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    class QuitRequested(Message):
        """Leave the wizard (the session is written first)."""

    def intro_text(self) -> str:
        return assets_loader.read_text("summary.md")

    def compose_form(self) -> ComposeResult:
        yield Label(_("Expiry"), classes="section")
        yield ExpiryTable("", id="expiry", classes="result")
        with Horizontal(classes="actions"):
            yield Button(_("Renew the server certificate…"), id="renew-server", compact=True)
            yield Button(_("Renew the CA…"), id="renew-ca", compact=True)
        with Collapsible(title=_("Show the openssl commands for renewing"), id="renew-commands-panel", classes="teach"):
            yield Static(self._renew_commands(), classes="commands", markup=False)
        yield Label(_("Certificates"), classes="section")
        yield Static("", id="artifacts", classes="result", markup=False)
        yield Label(_("Practice load balancer") if self.session.practising else _("Load balancer"), id="lb-label", classes="section")
        yield Static("", id="uploads", classes="result", markup=False)
        yield Label(_("Handshake test"), classes="section")
        yield Static("", id="verdict", classes="verdict", markup=False)
        with Horizontal(classes="actions"):
            yield Button(_("Export the openssl script"), id="export", variant="primary", compact=True)
            yield DownloadButton(_("Download the script"), SCRIPT, id="download-script")  # in a browser only
            yield Button(_("Clients…"), id="clients", compact=True)
            yield Button(_("Quit"), id="quit", compact=True)

    def _renew_commands(self) -> str:
        from wizard import teaching

        return teaching.renew_server_commands(key_type=self.session.server_key_type) + "\n\n" + teaching.renew_ca_commands()

    def load_form(self) -> None:
        self.query_one("#next", Button).display = False
        self._reload_expiry()

    def after_retranslate(self) -> None:
        self.load_form()  # composed anew: no Next button, the expiry table filled again
        super().after_retranslate()

    def _reload_expiry(self) -> None:
        self.query_one(ExpiryTable).reload(self.ws)

    def artifacts(self) -> Text:
        ws, s = self.ws, self.session
        text = Text()
        text.append(" " + _("Workspace {path}").format(path=display_path(ws.root)) + "\n", style="bold")
        width = max(7, *(cell_len(_(label)) + 1 for label in (*ROLE_NAMES.values(), N_("Bundle"), N_("Keys"))))
        for role, name in ROLE_NAMES.items():
            info = s.certificates.get(role, {})
            text.append(" " + padded(_(name), width), style="bold")
            if not info:
                text.append(_("not issued") + "\n", style="red")
                continue
            text.append(_("{path}, expires {date}").format(path=ws.relative(ws.cert(role)), date=info.get("not_after", "")[:10])
                        + self._soon(info) + "\n")
            # The whole fingerprint (32 bytes) on two lines, as the step pages show it.
            for index, line in enumerate(fingerprint_lines(info.get("fingerprint", ""))):
                text.append(" " * (width + 2) + f"{'SHA-256' if index == 0 else '':<8}{line}\n", style="dim")
        if ws.p12.exists():
            text.append(" " + padded(_("Bundle"), width), style="bold")
            stored = _("{path} (password not stored) legacy") if s.p12_legacy else _("{path} (password not stored)")
            text.append(stored.format(path=ws.relative(ws.p12)) + "\n")
        text.append(" " + padded(_("Keys"), width), style="bold")
        keys = ", ".join(ws.relative(ws.key(role)) for role in ROLE_NAMES if ws.key(role).exists())
        text.append(_("{files} (mode 0600)").format(files=keys))
        return text

    @staticmethod
    def _soon(info: dict[str, str]) -> str:
        try:
            end = dt.datetime.fromisoformat(info.get("not_after", ""))
        except ValueError:
            return ""
        left = (end - now()).days
        return " " + _("(in {days} days: renew now)").format(days=left) if left < 60 else ""

    def uploads(self) -> Text:
        if self.session.practising:
            return self.practice_uploads()
        s = self.session
        text = Text()
        rows = [
            (_("Server certificate"), s.server_cert_id, 4),
            (_("CA certificate"), s.ca_cert_id, 5),
            (_("Listener"), s.listener_id, 6),
        ]
        for name, cert_id, step in rows:
            state = _("id {cert_id}").format(cert_id=cert_id) if cert_id else (_("added (no id noted)") if s.is_done(step) else _("not done"))
            text.append(" " + padded(name, 20), style="bold")
            text.append(state + "\n", style="" if s.is_done(step) else "yellow")
        address = f"{s.lb_address}:{s.lb_port}" if s.lb_address else _("no address given")
        text.append(" " + padded(_("Listener address"), 20), style="bold")
        text.append(_("{address}, policy {policy}").format(address=address, policy=s.tls_policy))
        return text

    def practice_uploads(self) -> Text:
        """What the practice load balancer holds and serves (the practice route)."""
        s, text = self.session, Text()
        held = s.practice
        for name, role, step in ((_("Server certificate"), "server", 4), (_("CA certificate"), "ca", 5), (_("Listener"), "listener", 6)):
            cert_id = held.get(role, {}).get("id", "")
            text.append(" " + padded(name, 20), style="bold")
            done = s.is_done(step) and cert_id
            text.append((_("id {cert_id}").format(cert_id=cert_id) if done else _("not done")) + "\n", style="" if done else "yellow")
        listener = held.get("listener", {})
        text.append(" " + padded(_("Listener address"), 20), style="bold")
        if not listener:
            text.append(_("none yet (step 6)"))
            return text
        auth = _("one-way authentication") if listener.get("ssl_auth") == "one-way" else _("mutual authentication")
        address = self.work.practice_address or f"{listener.get('host', '127.0.0.1')}:{listener.get('port', '')}"
        text.append(_("{address}, {auth}, policy {policy}").format(address=address, auth=auth, policy=listener.get("tls_policy", "")))
        return text

    def _sync_sections(self) -> None:
        self.query_one("#artifacts", Static).update(self.artifacts())
        self.query_one("#uploads", Static).update(self.uploads())
        verdict = self.session.last_verdict
        if not verdict:
            shown: RenderableType = Text(" " + _("not run yet: go back to step 7"), style="yellow")
        elif self.session.practising:
            shown = Group(verdict_text(verdict), Text(
                " " + _("Tested against the practice load balancer on this machine. For your load balancer: the first page's "
                        "Huawei Cloud ELB route."), style="yellow"))
        elif against_practice_listener(verdict):
            shown = Group(verdict_text(verdict), Text(
                " " + _("That was a listener on this machine — run step 7 again against the load balancer."), style="yellow"))
        else:
            shown = verdict_text(verdict)
        self.query_one("#verdict", Static).update(shown)

    def can_advance(self) -> bool:
        return False

    @on(Button.Pressed, "#export")
    def export(self) -> None:
        self.post_message(self.ScriptRequested())

    @on(Button.Pressed, "#clients")
    def clients(self) -> None:
        self.post_message(self.ClientsRequested())

    @on(Button.Pressed, "#renew-server, #renew-ca")
    def renew(self, event: Button.Pressed) -> None:
        what = "server" if event.button.id == "renew-server" else "ca"

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.post_message(self.RenewalRequested(what))

        title, body = RENEWALS[what]
        self.app.push_screen(ConfirmModal(lambda: _(title), lambda: _(body) + self.then_text(), yes=lambda: _("Renew"), no=lambda: _("Not now")), answered)

    def then_text(self) -> str:
        """What follows the renewal with nothing typed: the listener moved, where it is recorded."""
        from wizard import elb

        s = self.session
        if s.practising and s.practice.get("listener"):
            return "\n\n" + _("Then the practice load balancer gets it, and its listener {listener_id} moves to it.").format(
                listener_id=s.practice["listener"].get("id", ""))
        listener = {} if s.practising else elb.recorded_listener(s, self.ws)
        if listener and elb.sdk_available() and elb.credentials_present() and listener.get("id") != self.work.gone_listener:
            return "\n\n" + _("Then it is uploaded and the recorded listener {listener_id} moves to it through the ELB API (the "
                               "certificate it replaces is deleted once nothing uses it).").format(listener_id=listener["id"])
        return ""

    def sync_form(self) -> None:
        self._sync_sections()
        busy = self.busy_with("renew")
        for button_id in ("#renew-server", "#renew-ca"):
            self.query_one(button_id, Button).disabled = bool(busy)
        from wizard.ccm.record import records_ccm

        self.query_one("#renew-ca", Button).display = not records_ccm(self.ws)  # a private CA in CCM is renewed in its console
        if not busy and getattr(self, "_renewing", False):
            self._reload_expiry()  # a renewal just finished
        self._renewing = bool(busy)

    @on(Button.Pressed, "#quit")
    def quit(self) -> None:
        self.post_message(self.QuitRequested())
