"""Step 6 on the practice route: the practice load balancer's listener, from the same choices as
ELB's Add Listener page (port, SSL authentication, CA certificate, security policy, the client
certificate headers). Done makes it (or changes it) and the load balancer serves it at once on
this machine, for step 7; switching to one-way authentication or another team's CA here, then
testing again, shows what each mistake looks like."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

from screens.base import Busy, StepScreen
from screens.forms import FieldRow
from screens.step6_listener import header_label, policy_choices
from screens.text import padded
from wizard import assets_loader, elb
from wizard.errors import InputError
from wizard.i18n import N_, _

SSL_AUTH_CHOICES = [(N_("Mutual authentication"), "mutual"), (N_("One-way authentication"), "one-way")]
DEFAULT_PORT = 8443


def port_problem(text: str) -> str | None:
    """Why `text` is no listener port here (None: it is one)."""
    text = text.strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        return _("{port} is not a port: give a whole number from 1 to 65535 (e.g. 8443)").format(port=repr(text))
    return None


class PracticeListenerScreen(StepScreen):
    STEP = 6
    AUTO_FOCUS = ""  # the form sits below the text: the page opens at its title, the first Tab reaches the port

    class ListenerRequested(Message):
        """Create the practice listener, or change it, to this page's answers (in the session)."""

    def intro_text(self) -> str:
        return assets_loader.read_text("steps/step6-practice.md")

    def compose_form(self) -> ComposeResult:
        yield Label(_("On the practice load balancer, Add Listener:"), classes="section")
        yield Static("", id="checklist", classes="checklist", markup=False)
        yield FieldRow(_("Frontend port"), Input(id="port", compact=True), note_id="port-note")
        yield FieldRow(_("SSL authentication"), Select([(_(label), value) for label, value in SSL_AUTH_CHOICES], id="ssl-auth",
                                                       allow_blank=False, compact=True))
        yield FieldRow(_("CA certificate"), Select(self.ca_choices(), id="ca", allow_blank=False, compact=True))
        yield FieldRow(_("Security policy"), Select(policy_choices("dedicated"), id="policy", allow_blank=False, compact=True))
        yield Label(_("Forward the client's certificate to the backends as headers:"), classes="section")
        yield SelectionList[str](*[(_(label), field) for field, label in elb.FIELD_LABELS.items()], id="forward", compact=True)
        with Horizontal(classes="actions"):
            yield Button(_("Create the listener"), id="done", variant="primary", compact=True)
        yield Busy(id="busy")
        yield Static("", id="serving", classes="result", markup=False)

    def ca_choices(self) -> list[tuple[str, str]]:
        """The CA certificates the practice load balancer holds, as its console would list them."""
        held = self.session.practice
        yours, other = held.get("ca", {}).get("id", ""), held.get("other_ca", {}).get("id", "")
        return [(_("{cert_id}: yours (step 5)").format(cert_id=yours) if yours else _("yours (step 5)"), "ca"),
                (_("{cert_id}: {name}").format(cert_id=other, name=_("another team's CA (not yours)")) if other
                 else _("another team's CA (not yours)"), "other_ca")]

    def load_form(self) -> None:
        s = self.session
        self.query_one("#port", Input).value = str(s.practice_port)
        self.query_one("#ssl-auth", Select).value = s.ssl_auth if s.ssl_auth in ("mutual", "one-way") else "mutual"
        self.query_one("#ca", Select).value = s.practice_ca if s.practice_ca in ("ca", "other_ca") else "ca"
        allowed = [value for _label, value in policy_choices("dedicated")]
        self.query_one("#policy", Select).value = s.tls_policy if s.tls_policy in allowed else elb.DEFAULT_TLS_POLICY
        forward = self.query_one("#forward", SelectionList)
        for chosen in s.forward_client_cert:
            name = chosen.split("=", 1)[0]
            if name in elb.FIELD_LABELS:
                forward.select(name)

    def after_retranslate(self) -> None:
        self.query_one("#ca", Select).set_options(self.ca_choices())
        self.query_one("#ca", Select).value = self.session.practice_ca
        super().after_retranslate()

    # -- what the page shows --------------------------------------------------------------
    def listener(self) -> dict[str, str]:
        return self.session.practice.get("listener", {})

    def wanted(self) -> dict[str, str]:
        """The listener as this page's answers describe it, in the record's words."""
        s = self.session
        held = s.practice
        ca_id = held.get(s.practice_ca, {}).get("id", "") if s.ssl_auth == "mutual" else ""
        return {"port": str(s.practice_port), "ssl_auth": s.ssl_auth, "server_cert_id": held.get("server", {}).get("id", ""),
                "ca_cert_id": ca_id, "tls_policy": s.tls_policy, "forward_client_cert": ",".join(self.forwarded())}

    def forwarded(self) -> list[str]:
        try:
            return elb.validate_forward_fields(self.session.forward_client_cert)
        except InputError:
            return list(self.session.forward_client_cert)

    def applied(self) -> bool:
        """The recorded listener is what the page's answers describe (nothing to update)."""
        listener = self.listener()
        return bool(listener) and all(listener.get(key, "") == value for key, value in self.wanted().items())

    def checklist(self) -> Text:
        s, wanted, listener = self.session, self.wanted(), self.listener()
        one_way = s.ssl_auth == "one-way"
        ca_value = (_("none (one-way authentication)") if one_way else
                    _("id {cert_id}").format(cert_id=wanted["ca_cert_id"]) if wanted["ca_cert_id"] else _("the one added in step 5"))
        headers = ", ".join(header_label(chosen) for chosen in s.forward_client_cert)
        backend = listener.get("backend") or _("the built-in one (it answers with the headers it received)")
        rows = [
            ("", _("Frontend protocol"), "HTTPS"),
            ("port", _("Frontend port"), wanted["port"]),
            ("ssl_auth", _("SSL authentication"), _("One-way authentication") if one_way else _("Mutual authentication")),
            ("server_cert_id", _("Server certificate"), _("id {cert_id}").format(cert_id=wanted["server_cert_id"])),
            ("ca_cert_id", _("CA certificate"), ca_value),
            ("tls_policy", _("Security policy"), s.tls_policy),
            ("forward_client_cert", _("Client cert headers"), headers or _("none")),
            ("", _("Backend"), backend),
        ]
        text = Text()
        for index, (key, name, value) in enumerate(rows):
            set_up = bool(listener) and (not key or listener.get(key, "") == wanted[key])
            text.append(" ✔ " if set_up else " ☐ ", style="bold green" if set_up else "bold")
            text.append(padded(name, 20, at_least=1), style="bold")
            text.append(value + ("\n" if index < len(rows) - 1 else ""))
        return text

    def serving_text(self) -> Text:
        address, problem, listener = self.work.practice_address, self.work.practice_problem, self.listener()
        if problem and not address:
            return Text(" ✘ " + problem, style="red")
        if address and listener:
            return Text(" " + _("Serving on https://{address}/ (listener {listener_id}): step 7 tests it.").format(
                address=address, listener_id=listener.get("id", "")), style="green")
        return Text()

    def sync_form(self) -> None:
        problem = port_problem(self.query_one("#port", Input).value)
        self.set_note("port-note", problem)
        if not problem and int(self.query_one("#port", Input).value) < 1024:
            self.set_note("port-note", _("ports below 1024 need privileges on this machine: e.g. 8443"), level="warning")
        self.query_one("#ca", Select).disabled = self.session.ssl_auth == "one-way"
        self.query_one("#checklist", Static).update(self.checklist())
        busy = self.busy_with("practice")
        done = self.query_one("#done", Button)
        done.disabled = bool(problem) or bool(busy)
        if not self.listener():
            done.label = _("Create the listener")
        else:
            done.label = _("Done ✔") if self.applied() and self.session.is_done(6) else _("Update the listener")
        self.query_one(Busy).show(busy)
        self.query_one("#serving", Static).update(self.serving_text())

    def next_hint(self) -> str:
        return _("Create the listener to continue")

    # -- answers and actions ----------------------------------------------------------------
    @on(Input.Changed, "#port")
    def _port(self, event: Input.Changed) -> None:
        if not port_problem(event.value):
            self.remember(practice_port=int(event.value.strip()))
        self.sync_soon()

    @on(Select.Changed, "#ssl-auth")
    def _ssl_auth(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.remember(ssl_auth=event.value)
        self.sync_soon()

    @on(Select.Changed, "#ca")
    def _ca(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.remember(practice_ca=event.value)
        self.sync_soon()

    @on(Select.Changed, "#policy")
    def _policy(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.remember(tls_policy=event.value)
        self.sync_soon()

    @on(SelectionList.SelectedChanged, "#forward")
    def _forward(self, event: SelectionList.SelectedChanged) -> None:
        self.remember(forward_client_cert=[str(field) for field in event.selection_list.selected])
        self.sync_soon()

    @on(Button.Pressed, "#done")
    @on(Input.Submitted, "#port")
    def _done(self) -> None:
        problem = port_problem(self.query_one("#port", Input).value)
        if problem:
            self.notify(problem, severity="error")
            return
        self.post_message(self.ListenerRequested())
