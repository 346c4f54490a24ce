"""Step 7: prove mutual TLS works: three connections against the listener (or a local one)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Collapsible, Input, Static

from screens.base import Busy, FieldRow, StepScreen, display_path
from screens.forms import issued_cn
from wizard.errors import InputError

STATUS_STYLE = {"pass": "bold black on green", "fail": "bold white on red", "inconclusive": "bold black on yellow", "unreachable": "bold white on red"}


def attempts_text(attempts: list[dict[str, Any]], pending: int = 0) -> Table:
    """One row per attempt; a long detail wraps inside its own column, not to column 1."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)  # mark
    grid.add_column(ratio=2)  # what was tried
    grid.add_column(no_wrap=True)  # outcome
    grid.add_column(ratio=3)  # detail
    for attempt in attempts:
        ok = attempt.get("ok")
        grid.add_row(Text("✔" if ok else "✘", style="bold green" if ok else "bold red"),
                     Text(str(attempt.get("label", "")), style="bold"),
                     Text(str(attempt.get("outcome", ""))),
                     Text(str(attempt.get("detail", "")), style="dim"))
    for _ in range(pending):
        grid.add_row(Text("…", style="dim"), Text("waiting", style="dim"), Text(""), Text(""))
    return grid


def verdict_text(verdict: dict[str, Any]) -> Table:
    """The verdict badge, its line and the diagnosis, wrapped beside the badge."""
    status = str(verdict.get("status", ""))
    summary = str(verdict.get("summary", ""))
    prefix = f"{status.upper()}: "
    body = Text(summary[len(prefix):] if summary.upper().startswith(prefix) else summary)
    for finding in verdict.get("diagnosis", []):
        body.append(f"\n• {finding}")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(Text(f" {status.upper()} ", style=STATUS_STYLE.get(status, "bold")), body)
    return grid


def format_host(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class VerifyScreen(StepScreen):
    STEP = 7

    def compose_form(self) -> ComposeResult:
        yield FieldRow("Listener address", Input(id="address", compact=True, placeholder="host:port, e.g. 192.0.2.10:443"), note_id="address-note")
        yield FieldRow("Name (SNI)", Input(id="sni", compact=True))
        with Horizontal(classes="actions"):
            yield Button("Run handshake test", id="run", variant="primary", compact=True)
            yield Button("Practise locally", id="practise", compact=True)
        yield Static("", id="practice-info", classes="hint", markup=False)
        yield Busy(id="busy")
        yield Static("", id="attempts", classes="result", markup=False)
        yield Static("", id="verdict", classes="verdict", markup=False)
        with Collapsible(title="The same test with curl", classes="teach"):
            yield Static("", id="curl", classes="commands", markup=False)
        with Collapsible(title="Import client.p12 into a browser", classes="teach"):
            yield Static("", id="browser", classes="commands", markup=False)

    # -- state -------------------------------------------------------------------------
    _shown_verdict: dict[str, Any] | None = None

    def load_form(self) -> None:
        s = self.session
        self._shown_verdict = s.last_verdict  # already on the page when it opens: no jump
        rehearsal = self.wizard.rehearsal
        if rehearsal is not None:
            self.query_one("#address", Input).value = rehearsal.address
        elif s.lb_address:
            self.query_one("#address", Input).value = format_host(s.lb_address, s.lb_port)
        self.query_one("#sni", Input).value = s.sni
        self.query_one("#sni", Input).placeholder = f"default: {self.server_name()}"

    def server_name(self) -> str:
        """The name the test sends and checks by default: the issued server certificate's CN."""
        return issued_cn(self.session, "server") or self.session.server_cn

    def target(self) -> tuple[str, int] | None:
        from wizard.handshake import parse_address

        text = self.query_one("#address", Input).value.strip()
        if not text:
            return None
        try:
            return parse_address(text)
        except InputError:
            return None

    def address_problem(self) -> str | None:
        from wizard.handshake import parse_address

        text = self.query_one("#address", Input).value.strip()
        if not text:
            return None
        try:
            parse_address(text)
        except InputError as error:
            return str(error)
        return None

    def sync_form(self) -> None:
        s = self.session
        problem = self.address_problem()
        self.set_note("address-note", problem)
        busy = self.busy_with("handshake")
        run = self.query_one("#run", Button)
        run.disabled = bool(busy) or problem is not None or not self.query_one("#address", Input).value.strip()
        rehearsal = self.wizard.rehearsal
        info = self.query_one("#practice-info", Static)
        info.update(f"Practice listener on {rehearsal.address}: your server certificate, admits only clients of "
                    "your CA; it stops when you quit." if rehearsal else "")
        info.display = rehearsal is not None
        self.query_one(Busy).show(busy)
        attempts = self.query_one("#attempts", Static)
        verdict = self.query_one("#verdict", Static)
        if busy:
            live = [vars(a) if not isinstance(a, dict) else a for a in self.wizard.live_attempts]
            attempts.update(attempts_text(live, pending=max(0, 3 - len(live))))
            verdict.update("")
        elif s.last_verdict:
            attempts.update(attempts_text(s.last_verdict.get("attempts", [])))
            verdict.update(verdict_text(s.last_verdict))
        else:
            attempts.update("")
            verdict.update("")
        attempts.display = bool(busy or s.last_verdict)
        verdict.display = bool(s.last_verdict) and not busy
        if s.last_verdict and not busy and s.last_verdict is not self._shown_verdict:
            # A new result: at 80x24 it sits below the fold, so bring it into view every time.
            self._shown_verdict = s.last_verdict
            self.call_after_refresh(self.reveal_verdict)
        self.query_one("#curl", Static).update(self.curl_text())
        self.query_one("#browser", Static).update(self.browser_text())

    def reveal_verdict(self) -> None:
        # The verdict was just shown: scroll once the layout has placed it (one refresh later).
        verdict = self.query_one("#verdict")
        self.call_after_refresh(lambda: self.query_one("#body", VerticalScroll).scroll_to_widget(verdict, top=False, animate=False))

    def can_advance(self) -> bool:
        # Step 7 is done only by a passed test; the core clears it (and the verdict) when a
        # new certificate makes the last test stale.
        return self.session.is_done(7)

    def next_hint(self) -> str:
        if self.session.last_verdict:
            return "The test did not pass: fix what it says, then run it again"
        return "Run the handshake test to continue"

    # -- teaching texts -------------------------------------------------------------------
    def curl_text(self) -> str:
        ws = self.wizard.ws
        assert ws is not None
        target = self.target() or ("LB_ADDRESS", 443)
        host, port = target
        name = self.query_one("#sni", Input).value.strip() or self.server_name()
        resolve = ""
        if name and name != host:
            resolve = f" \\\n  --resolve {name}:{port}:{f'[{host}]' if ':' in host else host}"
        url_host = f"[{name}]" if ":" in name else name
        return (
            "Accepted with the client certificate (expect an HTTP status line):\n"
            f"curl -I --cacert {display_path(ws.cert('ca'))} \\\n"
            f"  --cert {display_path(ws.cert('client'))} \\\n"
            f"  --key {display_path(ws.key('client'))}{resolve} \\\n"
            f"  https://{url_host}:{port}/\n\n"
            "Refused without it (expect a TLS alert or HTTP 400): the same without --cert and --key."
        )

    def browser_text(self) -> str:
        ws = self.wizard.ws
        assert ws is not None
        p12 = display_path(ws.p12)
        legacy = "legacy" if self.session.p12_legacy else "modern (choose legacy in step 3 for macOS Keychain, old Windows)"
        return (
            f"Method 1, a browser. The bundle is {p12} ({legacy}).\n"
            f"  1. Copy it to your computer: scp USER@THIS-HOST:{p12} .\n"
            "  2. Import it with its password:\n"
            "     Windows/Chrome/Edge: double-click it, Certificate Import Wizard;\n"
            "     Firefox: Settings > Privacy & Security > View Certificates >\n"
            "       Your Certificates > Import;  macOS: double-click it (Keychain).\n"
            "  3. Open the site: the browser asks which certificate to present.\n"
            "Method 2, curl: see “The same test with curl” (uses client.crt and client.key)."
        )

    # -- answers and actions ---------------------------------------------------------------
    @on(Input.Changed, "#address")
    def _address(self, event: Input.Changed) -> None:
        target = self.target()
        rehearsal = self.wizard.rehearsal
        # The practice listener's address is not the user's answer: keep step 6's in the session.
        if target and not (rehearsal is not None and event.value.strip() == rehearsal.address):
            self.wizard.remember(lb_address=target[0], lb_port=target[1])
        self.sync()

    @on(Input.Changed, "#sni")
    def _sni(self, event: Input.Changed) -> None:
        self.wizard.remember(sni=event.value.strip())
        self.sync()

    @on(Button.Pressed, "#run")
    @on(Input.Submitted)
    def run(self) -> None:
        problem = self.address_problem()
        target = self.target()
        if problem or target is None:
            self.notify(problem or "give the listener's address first, or press Practise locally", severity="error")
            return
        sni = self.query_one("#sni", Input).value.strip() or None
        if sni:
            from wizard import pki

            reason = pki.name_problem(sni)
            if reason:
                self.notify(reason, severity="error")
                return
        self.wizard.start_handshake(target[0], target[1], sni)

    @on(Button.Pressed, "#practise")
    def practise(self) -> None:
        address = self.wizard.start_rehearsal()
        if address:
            self.query_one("#address", Input).value = address
            self.query_one("#run", Button).focus()
        self.sync()

