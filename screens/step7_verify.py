"""Step 7: prove mutual TLS works: three connections against the listener, on ELB or on the
practice load balancer (the practice route: its address is filled in)."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Collapsible, Input, Select, Static

from screens.base import Busy, ConfirmModal, StepScreen, display_path
from screens.forms import FieldRow, SniName, first_failure, issued_cn
from screens.verdict import attempts_text, served_by_someone_else, verdict_text
from wizard.errors import InputError
from wizard.i18n import N_, _

TRUST_CHOICES = [  # (label marked with N_, value)
    (N_("automatic (system CAs if you brought your own)"), "auto"),
    (N_("this workspace's CA (the certificate of step 2)"), "workspace"),
    (N_("the system's trusted CAs (a purchased certificate)"), "system"),
]


def format_host(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class VerifyScreen(StepScreen):
    STEP = 7
    AUTO_FOCUS = ""  # the form sits below the text: the page opens at its title, the first Tab reaches the address

    class TestRequested(Message):
        """Run the three connections against host:port (`sni`: the name to send, None for the
        default; `trust`: how the server certificate is verified)."""

        def __init__(self, host: str, port: int, sni: str | None, trust: str) -> None:
            super().__init__()
            self.host, self.port, self.sni, self.trust = host, port, sni, trust

    class RouteRequested(Message):
        """Take the other route ("practice": steps 4-6 on the practice load balancer on this machine)."""

        def __init__(self, route: str) -> None:
            super().__init__()
            self.route = route

    def compose_form(self) -> ComposeResult:
        yield FieldRow(_("Listener address"), Input(id="address", compact=True, placeholder=_("host:port, e.g. 192.0.2.10:443")),
                       note_id="address-note")
        yield FieldRow(_("Name (SNI)"), Input(id="sni", compact=True, validators=[SniName()],
                                              placeholder=_("default: {name}").format(name=self.server_name())), note_id="sni-note")
        yield FieldRow(_("Trust the server"), Select([(_(label), value) for label, value in TRUST_CHOICES], id="trust",
                                                     allow_blank=False, compact=True))
        with Horizontal(classes="actions"):
            yield Button(_("Run handshake test"), id="run", variant="primary", compact=True)
            yield Button(_("Use my listener"), id="mine", compact=True)
            yield Button(_("No load balancer? Practise on this machine…"), id="practice-route", compact=True)
        yield Static("", id="actions-hint", classes="why-disabled", markup=False)
        yield Static("", id="practice-info", classes="hint", markup=False)
        yield Busy(id="busy")
        yield Static("", id="attempts", classes="result", markup=False)
        yield Static("", id="verdict", classes="verdict", markup=False)
        with Collapsible(title=_("The same test with curl"), id="curl-panel", classes="teach"):
            yield Static("", id="curl", classes="commands", markup=False)
        with Collapsible(title=_("Import client.p12 into a browser"), id="browser-panel", classes="teach"):
            yield Static("", id="browser", classes="commands", markup=False)

    # -- state -------------------------------------------------------------------------
    _shown_verdict: dict[str, Any] | None = None

    def load_form(self) -> None:
        s = self.session
        self._shown_verdict = s.last_verdict  # already on the page when it opens: no jump
        if s.practising:
            self.query_one("#address", Input).value = self.my_listener()
        elif s.lb_address:
            self.query_one("#address", Input).value = format_host(s.lb_address, s.lb_port)
        self.query_one("#sni", Input).value = s.sni

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
        sni = self.query_one("#sni", Input)
        sni_problem = first_failure(sni.validate(sni.value))
        self.set_note("sni-note", sni_problem)
        busy = self.busy_with("handshake")
        run = self.query_one("#run", Button)
        reason = self.why_not_runnable(problem, sni_problem) if not busy else None
        run.disabled = bool(busy) or reason is not None
        hint = self.query_one("#actions-hint", Static)
        hint.update(_("Run: {reason}").format(reason=reason) if reason else "")
        hint.display = bool(reason)
        self.sync_practice()
        self.query_one(Busy).show(busy)
        attempts = self.query_one("#attempts", Static)
        verdict = self.query_one("#verdict", Static)
        if busy:
            live = [vars(a) if not isinstance(a, dict) else a for a in self.work.live_attempts]
            attempts.update(attempts_text(live, pending=max(0, 3 - len(live))))
            verdict.update("")
        elif s.last_verdict:
            attempts.update(attempts_text(s.last_verdict.get("attempts", []), doubtful=served_by_someone_else(s.last_verdict)))
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

    def why_not_runnable(self, address_problem: str | None, sni_problem: str | None) -> str | None:
        if not self.query_one("#address", Input).value.strip():
            return _("give the listener's address")
        if address_problem or sni_problem:
            return _("fix the field marked above first")
        return None

    def sync_practice(self) -> None:
        practising = self.session.practising
        info = self.query_one("#practice-info", Static)
        info.update(self.practice_text() if practising else "")
        info.display = practising
        self.query_one("#practice-route", Button).display = not practising
        mine = self.my_listener()
        button = self.query_one("#mine", Button)
        button.display = bool(mine) and self.query_one("#address", Input).value.strip() != mine
        button.label = _("Use {address}").format(address=mine) if mine else _("Use my listener")

    def practice_text(self) -> str:
        """What the practice load balancer serves, or why it does not."""
        address, problem = self.work.practice_address, self.work.practice_problem
        if address:
            return _("The practice load balancer serves step 6's listener on {address} and refuses as ELB does; "
                     "it stops when you quit.").format(address=address)
        if problem:
            return _("The practice load balancer is not serving: {problem}").format(problem=problem)
        return _("The practice load balancer has no listener yet: step 6 creates it.")

    def my_listener(self) -> str:
        """The listener's address from the answers ('' when none was given): the practice load
        balancer's on the practice route."""
        s = self.session
        if s.practising:
            listener = s.practice.get("listener", {})
            return self.work.practice_address or (format_host(listener.get("host", "127.0.0.1"), int(listener["port"]))
                                                  if listener.get("port", "").isdigit() else "")
        return format_host(s.lb_address, s.lb_port) if s.lb_address else ""

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
            return _("The test did not pass: fix what it says, then run it again")
        return _("Run the handshake test to continue")

    # -- teaching texts -------------------------------------------------------------------
    def curl_text(self) -> str:
        ws = self.ws
        target = self.target() or ("LB_ADDRESS", 443)
        host, port = target
        name = self.query_one("#sni", Input).value.strip() or self.server_name()
        resolve = ""
        if name and name != host:
            resolve = f" \\\n  --resolve {name}:{port}:{f'[{host}]' if ':' in host else host}"
        url_host = f"[{name}]" if ":" in name else name
        return (
            _("Accepted with the client certificate (expect an HTTP status line):") + "\n"
            f"curl -I --cacert {display_path(ws.cert('ca'))} \\\n"
            f"  --cert {display_path(ws.cert('client'))} \\\n"
            f"  --key {display_path(ws.key('client'))}{resolve} \\\n"
            f"  https://{url_host}:{port}/\n\n"
            + _("Refused without it (expect a TLS alert or HTTP 400): the same without --cert and --key.")
        )

    def browser_text(self) -> str:
        p12 = display_path(self.ws.p12)
        legacy = self.session.p12_legacy
        mac = (_("macOS: double-click it (Keychain).") if legacy else
               _("macOS Keychain refuses this modern bundle\n       (it says 'wrong password'): reissue it in step 3 with the\n"
                 "       .p12 format 'Legacy', then double-click it."))
        bundle = (_("Method 1, a browser. The bundle is {p12} (legacy).") if legacy
                  else _("Method 1, a browser. The bundle is {p12} (modern)."))
        return bundle.format(p12=p12) + "\n" + _(
            "  1. Copy it to your computer: scp USER@THIS-HOST:{p12} .\n"
            "  2. Import it with its password:\n"
            "     Windows/Chrome/Edge: double-click it, Certificate Import Wizard;\n"
            "     Firefox: Settings > Privacy & Security > View Certificates >\n"
            "       Your Certificates > Import;  {mac}\n"
            "  3. Open the site: the browser asks which certificate to present.\n"
            "Method 2, curl: see “The same test with curl” (uses client.crt and client.key)."
        ).format(p12=p12, mac=mac)

    # -- answers and actions ---------------------------------------------------------------
    @on(Input.Changed, "#address")
    def _address(self, event: Input.Changed) -> None:
        target = self.target()
        # On the practice route the address is the practice load balancer's, not the load balancer's answer.
        if target and not self.session.practising:
            self.remember(lb_address=target[0], lb_port=target[1])
        self.sync_soon()

    @on(Input.Changed, "#sni")
    def _sni(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.remember(sni=event.value.strip())
        self.sync_soon()

    @on(Select.Changed, "#trust")
    def _trust(self) -> None:
        self.sync_soon()

    @on(Button.Pressed, "#run")
    def run(self) -> None:
        target = self.target()
        sni = self.query_one("#sni", Input)
        reason = self.why_not_runnable(self.address_problem(), first_failure(sni.validate(sni.value)))
        if reason or target is None:
            self.notify(reason or _("give the listener's address first"), severity="error")
            return
        trust = self.query_one("#trust", Select).value
        self.post_message(self.TestRequested(target[0], target[1], sni.value.strip() or None, str(trust)))

    @on(Button.Pressed, "#practice-route")
    def practise(self) -> None:
        """Take the practice route: steps 4-6 again, on the practice load balancer on this machine."""
        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.post_message(self.RouteRequested("practice"))

        self.app.push_screen(ConfirmModal(
            _("Practise on this machine?"),
            _("Steps 4-6 are then done on the practice load balancer, a load balancer on this machine that takes the same "
              "certificates and listener settings as ELB and refuses as ELB does; step 7 tests it. Your certificates "
              "(steps 1-3) stay. The first page switches back to Huawei Cloud ELB."),
            yes=_("Practise here"), no=_("Cancel")), answered)

    @on(Button.Pressed, "#mine")
    def use_my_listener(self) -> None:
        self.query_one("#address", Input).value = self.my_listener()
        self.query_one("#run", Button).focus()
        self.sync()
