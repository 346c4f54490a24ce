"""The API upload's questions: region, project id, an optional endpoint, and (from step 6) the
load balancer whose listener to create or move; AK/SK come from the environment."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from screens.forms import ElbUuid, FieldRow, cloud_target_rows, first_failure
from screens.language import Translated
from wizard.environment import ENV_AK, ENV_SK
from wizard.i18n import N_, _


@dataclass(frozen=True)
class UploadRequest:
    region: str
    project_id: str
    endpoint: str
    loadbalancer_id: str = ""  # "": the certificates only (steps 4 and 5)
    delete_replaced: bool = False


class UploadModal(ModalScreen[UploadRequest | None], Translated):
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]
    MAIN_ACTION = "#upload"

    def __init__(self, *, listener: bool = False, loadbalancer_id: str = "", region: str = "") -> None:
        super().__init__()
        self.listener, self.loadbalancer_id, self.initial_region = listener, loadbalancer_id, region

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            title = _("Create or move the listener with the ELB API") if self.listener else _("Upload both certificates with the ELB API")
            yield Label(title, classes="dialog-title")
            yield Static(_("Credentials come from {env_ak} and {env_sk}.").format(env_ak=ENV_AK, env_sk=ENV_SK), classes="hint")
            yield from cloud_target_rows(_("Project id"), "project", region=self.initial_region)
            if self.listener:
                yield FieldRow(_("Load balancer id"), Input(self.loadbalancer_id, id="lb", compact=True, validators=[ElbUuid()]), note_id="lb-note")
                yield Checkbox(_("remove the certificates this replaces, once no listener uses them"), id="delete-replaced", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Upload"), id="upload", variant="primary", compact=True)
                yield Button(_("Cancel"), id="cancel", compact=True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#upload")
    def _upload(self) -> None:
        region = self.query_one("#region", Input).value.strip()
        project = self.query_one("#project", Input).value.strip()
        if not region or not project:
            self.notify(_("give the region and the project id"), severity="error")
            return
        lb_id, delete_replaced = "", False
        if self.listener:
            field = self.query_one("#lb", Input)
            problem = first_failure(field.validate(field.value)) or (_("give the load balancer id") if not field.value.strip() else None)
            if problem:
                self.notify(problem, severity="error")
                return
            lb_id, delete_replaced = field.value.strip(), self.query_one("#delete-replaced", Checkbox).value
        self.dismiss(UploadRequest(region, project, self.query_one("#endpoint", Input).value.strip(), lb_id, delete_replaced))
