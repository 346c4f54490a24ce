"""The API upload's questions: region, project id and (optionally) an endpoint."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from screens.base import FieldRow
from wizard import elb


class UploadModal(ModalScreen[tuple[str, str, str] | None]):
    """Region, project id and (optionally) an endpoint for the API upload; AK/SK come from the environment."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Upload both certificates with the ELB API", classes="dialog-title")
            yield Static(f"Credentials come from {elb.ENV_AK} and {elb.ENV_SK}.", classes="hint")
            yield FieldRow("Region", Input(id="region", placeholder="cn-north-4", compact=True))
            yield FieldRow("Project id", Input(id="project", compact=True))
            yield FieldRow("Endpoint", Input(id="endpoint", placeholder="optional", compact=True))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Upload", id="upload", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#upload")
    @on(Input.Submitted)
    def _upload(self) -> None:
        region = self.query_one("#region", Input).value.strip()
        project = self.query_one("#project", Input).value.strip()
        if not region or not project:
            self.notify("give the region and the project id", severity="error")
            return
        self.dismiss((region, project, self.query_one("#endpoint", Input).value.strip()))
