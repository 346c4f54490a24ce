"""Step 6: the listener, as a checklist that mirrors the ELB console, and the address to test."""

from __future__ import annotations

import ipaddress

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Select, Static

from screens.base import FieldRow, StepScreen
from wizard import elb
from wizard.errors import InputError

POLICY_NOTES = {
    "tls-1-2-strict": "recommended: TLS 1.2, strong ciphers only",
    "tls-1-2-fs": "TLS 1.2, forward secrecy only",
    "tls-1-2": "TLS 1.2",
    "tls-1-2-fs-with-1-3": "TLS 1.2 + 1.3 (dedicated load balancers only)",
    "tls-1-0-with-1-3": "old clients + TLS 1.3 (dedicated only)",
}


def _policy_choices() -> list[tuple[str, str]]:
    ordered = [p for p in ("tls-1-2-strict", "tls-1-2-fs", "tls-1-2", "tls-1-2-fs-with-1-3") if p in elb.TLS_POLICIES]
    ordered += [p for p in elb.TLS_POLICIES if p not in ordered]
    return [(f"{p}  {POLICY_NOTES.get(p, '(old clients only: avoid)' if p in ('tls-1-0', 'tls-1-1') else '')}".rstrip(), p) for p in ordered]


def check_address(host: str, port: str) -> str | None:
    """Why host/port cannot be tested, or None (an empty host is allowed: fill it in later)."""
    if not host:
        return None
    from wizard.handshake import parse_address

    bracketed = host
    if ":" in host and not host.startswith("["):
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return f"{host!r}: give only the host name or IP address here, and the port below"
        bracketed = f"[{host}]"
    try:
        parse_address(f"{bracketed}:{port or 443}")
    except InputError:
        # The port has its own field: say what is wrong with the host itself.
        return f"{host!r} is not a host name or IP address: give only the name or address here, e.g. 192.0.2.10"
    return None


def split_port(text: str) -> tuple[str, int] | None:
    """("host", port) when the address was typed with its port (host:443, https://host, [v6]:443)."""
    text = text.strip()
    if not text or (text.count(":") > 1 and not text.startswith("[") and "://" not in text):
        return None  # empty, or a bare IPv6 address: no port in it
    if ":" not in text:
        return None
    from wizard.handshake import parse_address

    try:
        return parse_address(text)
    except InputError:
        return None


class ListenerScreen(StepScreen):
    STEP = 6

    def compose_form(self) -> ComposeResult:
        yield Label("In the console, Add Listener:", classes="section")
        yield Static("", id="checklist", classes="checklist", markup=False)
        yield FieldRow("Security policy", Select(_policy_choices(), id="policy", allow_blank=False, compact=True))
        yield Label("Where clients reach the listener (for step 7):", classes="section")
        yield FieldRow("LB address", Input(id="address", compact=True, placeholder="public IP or domain, e.g. 192.0.2.10"), note_id="address-note")
        yield FieldRow("Listener port", Input(id="port", compact=True, restrict=r"[0-9]*"), note_id="port-note")
        with Horizontal(classes="actions"):
            yield Button("Done: the listener is configured", id="done", variant="primary", compact=True)

    def load_form(self) -> None:
        s = self.session
        self.query_one("#policy", Select).value = s.tls_policy if s.tls_policy in elb.TLS_POLICIES else elb.DEFAULT_TLS_POLICY
        self.query_one("#address", Input).value = s.lb_address
        self.query_one("#port", Input).value = str(s.lb_port)

    def checklist(self) -> Text:
        s = self.session
        port = self.query_one("#port", Input).value or "443"
        server = f"id {s.server_cert_id}" if s.server_cert_id else "the one added in step 4"
        ca = f"id {s.ca_cert_id}" if s.ca_cert_id else "the one added in step 5"
        rows = [
            ("Frontend protocol", "HTTPS"),
            ("Frontend port", port),
            ("SSL authentication", "Mutual authentication"),
            ("Server certificate", server),
            ("CA certificate", ca),
            ("Security policy", s.tls_policy),
        ]
        text = Text()
        for index, (name, value) in enumerate(rows):
            text.append(" ☐ ", style="bold")
            text.append(f"{name:<20}", style="bold")
            text.append(value + ("\n" if index < len(rows) - 1 else ""))
        return text

    def problems(self) -> dict[str, str | None]:
        port_text = self.query_one("#port", Input).value.strip()
        port_problem = None
        if not port_text or not 1 <= int(port_text) <= 65535:
            port_problem = "give the listener port, 1-65535 (usually 443)"
        host = self.query_one("#address", Input).value.strip()
        return {"address-note": None if port_problem else check_address(host, port_text), "port-note": port_problem}

    def sync_form(self) -> None:
        self.query_one("#checklist", Static).update(self.checklist())
        problems = self.problems()
        for note_id, problem in problems.items():
            self.set_note(note_id, problem)
        done = self.query_one("#done", Button)
        done.disabled = any(problems.values())
        done.label = "Done ✔" if self.session.is_done(6) else "Done: the listener is configured"

    def next_hint(self) -> str:
        return "Press “Done” once the listener is set up"

    @on(Select.Changed, "#policy")
    def _policy(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.wizard.remember(tls_policy=event.value)
            for warning in elb.tls_policy_warnings(event.value):
                self.notify(warning, severity="warning", timeout=8)
        self.sync()

    @on(Input.Changed, "#address, #port")
    def _address(self, event: Input.Changed) -> None:
        if event.input.id == "address" and split_port(event.value):
            host, port = split_port(event.value)  # type: ignore[misc]
            self.query_one("#port", Input).value = str(port)
            event.input.value = host
            return
        problems = self.problems()
        if not any(problems.values()):
            self.wizard.remember(lb_address=self.query_one("#address", Input).value.strip(),
                                 lb_port=int(self.query_one("#port", Input).value))
        self.sync()

    @on(Button.Pressed, "#done")
    @on(Input.Submitted)
    def _done(self) -> None:
        if any(self.problems().values()):
            self.notify("fix the address or port first", severity="error")
            return
        self.wizard.mark_done(6)
        if not self.session.lb_address:
            self.notify("No address yet: step 7 can practise against a local listener.", title="Step 6 done")
