"""Steps 4 and 5 on the practice route: the certificate goes to the practice load balancer.

The same readiness checklist as for ELB (the practice load balancer refuses what ELB would), one
button that adds the certificate, and the id it got, recorded like an upload's. The page reads
the records from the session; adding is the App's work (`AddRequested`).
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Label, Static

from screens.base import Busy, findings_text
from screens.handoff import HandOffScreen
from screens.text import padded
from wizard import assets_loader
from wizard.i18n import N_, _


class PracticeHandOffScreen(HandOffScreen):
    ADD_LABEL = N_("Add it to the practice load balancer")

    class AddRequested(Message):
        """Add this step's certificate to the practice load balancer (`purpose`: "server" or "ca")."""

        def __init__(self, purpose: str) -> None:
            super().__init__()
            self.purpose = purpose

    def intro_text(self) -> str:
        return assets_loader.read_text(f"steps/step{self.STEP}-practice.md")

    def compose_form(self) -> ComposeResult:
        yield Label(_("Ready for the load balancer?"), classes="section")
        yield Static("", id="checklist", classes="checklist", markup=False)
        with Horizontal(classes="actions"):
            yield Button(_(self.ADD_LABEL), id="add", variant="primary", compact=True)
        yield Busy(id="busy")
        yield Static("", id="held", classes="result", markup=False)

    def load_form(self) -> None:
        # The files only change in steps 1-3: check them once per visit, in a thread.
        self._findings = None
        self.post_message(self.ReadinessRequested(self, self.PURPOSE))

    def _fill_panels(self) -> None:
        """(No texts to paste on this route.)"""

    def show_api_route(self, exported: tuple[str, str] | None) -> None:
        """(No API route on this one.)"""

    def held_record(self) -> dict[str, str]:
        """The practice load balancer's record of this step's certificate, while it is this workspace's."""
        record = self.session.practice.get(self.PURPOSE, {})
        current = self.session.certificates.get(self.PURPOSE, {}).get("fingerprint")
        return record if record.get("id") and record.get("fingerprint") == current else {}

    def held_text(self) -> Text:
        record = self.held_record()
        text = Text()
        if not record:
            return text
        rows = [(_("Certificate id"), record["id"]), (_("Name"), record.get("name", "")),
                (_("Expires"), record.get("expire_time", "")[:10])]
        text.append(" " + _("Held by the practice load balancer (recorded in elb/uploaded.json, marked as practice):") + "\n", style="bold")
        for index, (name, value) in enumerate(rows):
            text.append("  " + padded(name, 16, at_least=1), style="bold")
            text.append(value + ("\n" if index < len(rows) - 1 else ""))
        return text

    def sync_form(self) -> None:
        findings = self._findings
        checklist = self.query_one("#checklist", Static)
        checklist.update(findings_text(findings) if findings is not None else Text(" " + _("checking the files…"), style="dim"))
        busy = self.busy_with("practice")
        add = self.query_one("#add", Button)
        add.disabled = findings is None or any(f.blocking for f in findings) or bool(busy)
        add.label = _("Added ✔") if self.held_record() and self.session.is_done(self.STEP) else _(self.ADD_LABEL)
        self.query_one(Busy).show(busy)
        self.query_one("#held", Static).update(self.held_text())

    def next_hint(self) -> str:
        return _("Add the certificate to the practice load balancer to continue")

    @on(Button.Pressed, "#add")
    def _add(self) -> None:
        self.post_message(self.AddRequested(self.PURPOSE))


class PracticeServerScreen(PracticeHandOffScreen):
    STEP = 4
    PURPOSE = "server"
    ADD_LABEL = N_("Add the certificate and key to the practice load balancer")


class PracticeCaScreen(PracticeHandOffScreen):
    STEP = 5
    PURPOSE = "ca"
    ADD_LABEL = N_("Add the CA certificate to the practice load balancer")
