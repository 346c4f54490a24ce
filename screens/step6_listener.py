"""Step 6: the listener, as a checklist that mirrors the ELB console, and the address to test."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Collapsible, Input, Label, Select, SelectionList, Static

from screens.base import Busy, StepScreen
from screens.handoff import movable_listener
from screens.forms import ElbUuid, FieldRow, first_failure
from screens.text import markdown, padded
from wizard import assets_loader, elb
from wizard.defaults import PROG
from wizard.environment import ENV_AK, ENV_SK
from wizard.errors import InputError
from wizard.handshake.names import host_problem
from wizard.i18n import N_, _

if TYPE_CHECKING:
    from screens.upload_modal import UploadRequest

LB_TYPE_CHOICES = [  # (label marked with N_, value)
    (N_("not known yet (every policy is listed)"), ""),
    (N_("shared (HTTPS shown as TERMINATED_HTTPS)"), "shared"),
    (N_("dedicated (an application flavour)"), "dedicated"),
]
PREFERRED = ("tls-1-2-strict", "tls-1-2-fs", "tls-1-2", "tls-1-2-fs-with-1-3")


def policy_choices(lb_type: str) -> list[tuple[str, str]]:
    """The system TLS policies the load balancer type takes, the recommended first."""
    allowed = elb.policies_for(lb_type)
    ordered = [p for p in PREFERRED if p in allowed] + [p for p in allowed if p not in PREFERRED]
    return [(f"{p}  {_(elb.POLICY_LABELS[p]) if p in elb.POLICY_LABELS else ''}".rstrip(), p) for p in ordered]


def header_label(chosen: str) -> str:
    """A forwarded client-certificate field as the checklist names it (FIELD or FIELD=ALIAS)."""
    name = chosen.split("=", 1)[0]
    return _(elb.FIELD_LABELS[name]) if name in elb.FIELD_LABELS else chosen



def listener_api_route(moving: str = "") -> str:
    """The listener by API instead of the console: which files Done writes, and the command
    (`moving`: the recorded listener the API moves; never "create" while one is recorded)."""
    if moving:
        return _("By API instead of the console: with {env_ak}/{env_sk} set, {prog} elb upload (nothing else) uploads what "
                 "changed and moves the recorded listener {listener_id}, on its own load balancer and port.").format(
                     env_ak=ENV_AK, env_sk=ENV_SK, prog=PROG, listener_id=moving)
    return _("By API instead of the console: Done writes elb/listener.json (the request body) and elb/api-calls.txt "
             "(the calls). Or, with {env_ak}/{env_sk} set: {prog} elb upload --region REGION --project-id ID "
             "--loadbalancer-id LB_ID").format(env_ak=ENV_AK, env_sk=ENV_SK, prog=PROG)


def listener_address(host: str, port: str) -> tuple[str, int] | str:
    """(host, port) of the listener, or why not, checked by the very function step 7 uses
    to read an address (`parse_address`): the two steps never disagree about a port."""
    from wizard.handshake import format_address, parse_address

    host, port = host.strip(), port.strip()
    if not port:
        return _("give the listener port, 1-65535 (usually 443)")
    if ":" in host and not host.startswith("["):
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return _("{host}: give only the host name or IP address here, and the port below").format(host=repr(host))
    try:
        return parse_address(format_address(host.strip("[]") or "placeholder.invalid", port))  # type: ignore[arg-type]
    except InputError as error:
        return str(error)


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

    class ExportRequested(Message):
        """Write elb/listener.json (and the other request bodies) with this step's answers."""

    def compose_form(self) -> ComposeResult:
        yield Label(_("In the console, Add Listener:"), classes="section")
        yield Static("", id="checklist", classes="checklist", markup=False)
        yield FieldRow(_("Load balancer type"), Select([(_(label), value) for label, value in LB_TYPE_CHOICES], id="lb-type",
                                                  allow_blank=False, compact=True))
        yield FieldRow(_("Security policy"), Select(policy_choices(""), id="policy", allow_blank=False, compact=True))
        yield FieldRow(_("Backend group"), Input(id="pool", compact=True, placeholder=_("optional: the backend server group's id"),
                                                 validators=[ElbUuid()]), note_id="pool-note")
        yield Label(_("Forward the client's certificate to the backends as headers:"), classes="section")
        yield SelectionList[str](*[(_(label), field) for field, label in elb.FIELD_LABELS.items()], id="forward", compact=True)
        yield Label(_("Where clients reach the listener (for step 7):"), classes="section")
        yield FieldRow(_("LB address"), Input(id="address", compact=True, placeholder=_("public IP or domain, e.g. 192.0.2.10")),
                       note_id="address-note")
        yield FieldRow(_("Listener port"), Input(id="port", compact=True), note_id="port-note")
        with Horizontal(classes="actions"):
            yield Button(_("Done: the listener is configured"), id="done", variant="primary", compact=True)
            yield Button(_("Create or move it with the API…"), id="api", compact=True)
        yield Static("", id="api-note", classes="note", markup=False)
        yield Busy(id="busy")
        yield Static(listener_api_route(), id="api-route", classes="hint", markup=False)
        with Collapsible(title=_("Taking a client certificate back (ELB checks no CRL)"), id="revocation-panel", classes="teach"):
            yield Static(markdown(assets_loader.read_text("steps/step6-revocation.md")), classes="text")

    def load_form(self) -> None:
        s = self.session
        self.query_one("#lb-type", Select).value = s.lb_type if s.lb_type in ("shared", "dedicated") else ""
        self._offer_policies(s.lb_type)
        self.query_one("#pool", Input).value = s.pool_id
        forward = self.query_one("#forward", SelectionList)
        for chosen in s.forward_client_cert:
            name = chosen.split("=", 1)[0]  # an alias (name=alias) keeps the field chosen
            if name in elb.FIELD_LABELS:
                forward.select(name)
        self.query_one("#address", Input).value = s.lb_address
        self.query_one("#port", Input).value = str(s.lb_port)
        self.query_one("#api", Button).display = elb.sdk_available() and elb.credentials_present()

    def after_retranslate(self) -> None:
        # Composed anew: the policies this load balancer type takes (the kept choice stays), the API button.
        self._offer_policies(self.session.lb_type)
        self.query_one("#api", Button).display = elb.sdk_available() and elb.credentials_present()
        super().after_retranslate()

    def _offer_policies(self, lb_type: str) -> None:
        """Only the policies this load balancer type takes; the answer is kept when it fits."""
        select = self.query_one("#policy", Select)
        choices = policy_choices(lb_type)
        select.set_options(choices)
        allowed = [value for _label, value in choices]
        wanted = self.session.tls_policy
        select.value = wanted if wanted in allowed else elb.DEFAULT_TLS_POLICY

    def checklist(self) -> Text:
        s = self.session
        port = self.query_one("#port", Input).value or "443"
        server = _("id {cert_id}").format(cert_id=s.server_cert_id) if s.server_cert_id else _("the one added in step 4")
        ca = _("id {cert_id}").format(cert_id=s.ca_cert_id) if s.ca_cert_id else _("the one added in step 5")
        headers = ", ".join(header_label(chosen) for chosen in s.forward_client_cert)
        # The rows of the console's Add Listener page, in its words.
        rows = [
            (_("Frontend protocol"), "HTTPS"),
            (_("Frontend port"), port),
            (_("SSL authentication"), _("Mutual authentication")),
            (_("Server certificate"), server),
            (_("CA certificate"), ca),
            (_("Security policy"), s.tls_policy),
            (_("Backend server group"), s.pool_id or _("none yet: ELB answers 5xx until one is attached")),
            (_("Client cert headers"), headers or _("none")),
        ]
        text = Text()
        for index, (name, value) in enumerate(rows):
            text.append(" ☐ ", style="bold")
            text.append(padded(name, 20, at_least=1), style="bold")
            text.append(value + ("\n" if index < len(rows) - 1 else ""))
        return text

    def problems(self) -> dict[str, str | None]:
        """The reason each field is refused. The decision is step 7's own (`listener_address`
        reads a host and port with `parse_address`); the words speak of the field itself."""
        host = self.query_one("#address", Input).value.strip()
        port = self.query_one("#port", Input).value.strip()
        port_note = None
        if isinstance(listener_address("", port), str):
            port_note = (_("give the listener port, 1-65535 (usually 443)") if not port else
                         _("{port} is not a port: give a whole number from 1 to 65535 (usually 443)").format(port=repr(port)))
        host_note = None
        if host and not split_port(host):
            with_port = ":" in host and isinstance(listener_address(host, "443"), str) and not host.startswith("[")
            if with_port and host.count(":") == 1:
                host_note = f"{listener_address(host.split(':')[0], host.split(':')[1])}"  # e.g. the port is out of range
            elif isinstance(listener_address(host, "443"), str):
                host_note = host_problem(host.strip("[]")) or _("{host} is not a host name or IP address: give only the name or address here, e.g. 192.0.2.10").format(host=repr(host))
        return {"address-note": host_note, "port-note": port_note}

    def sync_form(self) -> None:
        self.query_one("#checklist", Static).update(self.checklist())
        problems = self.problems()
        for note_id, problem in problems.items():
            self.set_note(note_id, problem)
        typed = split_port(self.query_one("#address", Input).value)
        if typed:
            self.set_note("address-note", _("port {port}: it moves to the Listener port field when you leave this field").format(port=typed[1]),
                          level="warning")
        pool = self.query_one("#pool", Input)
        pool_problem = first_failure(pool.validate(pool.value))
        self.set_note("pool-note", pool_problem or (None if pool.value.strip() else
                      _("no backend group: ELB answers 5xx to every request until one is attached (the handshake test still proves mTLS)")),
                      level="error" if pool_problem else "warning")
        done = self.query_one("#done", Button)
        done.disabled = any(problems.values()) or bool(pool_problem)
        done.label = _("Done ✔") if self.session.is_done(6) else _("Done: the listener is configured")
        busy = self.busy_with("upload")
        api = self.query_one("#api", Button)
        api.disabled = bool(busy) or done.disabled
        moving = movable_listener(self.session, self.ws, self.work.gone_listener)
        api.label = (_("Move listener {listener_id} with the API").format(listener_id=moving) if moving
                     else _("Create or move it with the API…"))
        route = self.query_one("#api-route", Static)
        route.update(listener_api_route(moving))
        gone = self.work.gone_listener
        self.set_note("api-note", _("The recorded listener {listener_id} is gone from ELB: create one with the API (give the load "
                                    "balancer id) or in the console.").format(listener_id=gone) if gone else None, level="warning")
        self.query_one(Busy).show(busy)

    def next_hint(self) -> str:
        return _("Press “Done” once the listener is set up")

    @on(Select.Changed, "#policy")
    def _policy(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.remember(tls_policy=event.value)
        self.sync_soon()

    @on(Select.Changed, "#lb-type")
    def _lb_type(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.remember(lb_type=event.value)
            self._offer_policies(event.value)
        self.sync_soon()

    @on(Input.Changed, "#pool")
    def _pool(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            self.remember(pool_id=event.value.strip())
        self.sync_soon()

    @on(SelectionList.SelectedChanged, "#forward")
    def _forward(self, event: SelectionList.SelectedChanged) -> None:
        self.remember(forward_client_cert=[str(field) for field in event.selection_list.selected])
        self.sync_soon()

    @on(Button.Pressed, "#api")
    def _api(self) -> None:
        from screens.upload_modal import UploadModal

        if movable_listener(self.session, self.ws, self.work.gone_listener):
            self.post_message(self.MoveRequested())  # the recorded target and listener: nothing to ask
            return

        def answered(request: UploadRequest | None) -> None:
            if request:
                self.post_message(self.UploadRequested(request))

        self.app.push_screen(UploadModal(listener=True, loadbalancer_id=self.session.loadbalancer_id), answered)

    @on(Input.Changed, "#address, #port")
    def _address(self) -> None:
        # Never split while the cursor is in the field: "10.0.0.5:8" is on its way to ":8443".
        self._remember_address()
        self.sync_soon()

    def _remember_address(self) -> None:
        checked = listener_address(self.query_one("#address", Input).value, self.query_one("#port", Input).value)
        if isinstance(checked, tuple):
            self.remember(lb_address=self.query_one("#address", Input).value.strip(), lb_port=checked[1])

    @on(Input.Blurred, "#address")
    def _address_complete(self) -> None:
        self.split_typed_port()

    def split_typed_port(self) -> None:
        """An address typed or pasted with its port (host:8443, https://host) goes into both fields."""
        field = self.query_one("#address", Input)
        split = split_port(field.value)
        if split:
            field.value, self.query_one("#port", Input).value = split[0], str(split[1])
            self._remember_address()  # now: their Changed events come after Done has exported the listener

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.split_typed_port()
        if any(self.problems().values()):
            self.notify(_("fix the address or port first"), severity="error")
            return
        self.post_message(self.DoneRequested(6))
        self.post_message(self.ExportRequested())
        if not self.session.lb_address:
            self.notify(_("No address yet: step 7 can practise against a local listener."), title=_("Step {step} done").format(step=6))
