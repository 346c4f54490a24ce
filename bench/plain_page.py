"""Step 1's page as plain Textual, none of the wizard's code: what Textual alone takes to open it.

The same widgets in the same arrangement as the wizard's step 1 (a title line, an introduction,
five labelled fields of which two are Selects, a Checkbox, two hidden passphrase rows, three
buttons, a hidden progress bar, three collapsed panels, a navigation bar and a footer of five
keys), laid out for 80x24 by a few rules like the wizard's. No session, no workspace, no sync:
what opening it costs is Textual's own work for such a page, without what the wizard does to
make its pages open faster (screens/quick_page.py, screens/footer.py).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Collapsible, Footer, Input, Label, ProgressBar, Select, Static

INTRO = ("A private CA is a key and a self-signed certificate that vouches for the server and client "
         "certificates you issue next. The load balancer trusts a client because this CA signed its "
         "certificate. Keep the CA key safe: whoever holds it can let anyone in.")
FIELDS = (("Organisation", "Example Ltd"), ("CA common name", "Example Root CA"), ("Key type", None),
          ("Valid for (days)", "3650"), ("CA key kept", None))
CHOICES = [("EC P-256", "ec-p256"), ("RSA 2048", "rsa2048"), ("RSA 4096", "rsa4096")]
PANELS = ("The equivalent openssl commands", "Why not SHA-1 and X.509 v1", "What the files are")
CSS = """
#indicator, #nav { height: 1; padding: 0 1; }
#body { height: 1fr; padding: 0 1; }
.row { height: auto; }
.row Label { width: 20; padding-right: 1; text-style: bold; }
.row Vertical { width: 1fr; height: auto; }
Input.-textual-compact, Select.-textual-compact { width: 1fr; }
.hidden { display: none; }
.text { height: auto; margin: 0 0 1 0; }
.actions { height: 1; margin: 0 0 1 0; }
#nav Static { width: 1fr; }
"""


class PlainStepPage(Screen[None]):
    BINDINGS: ClassVar[list[Binding]] = [Binding("f1", "noop", "Help"), Binding("escape", "noop", "Back"), Binding("ctrl+n", "noop", "Next"),
                Binding("ctrl+s", "noop", "Summary"), Binding("ctrl+q", "noop", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static("Step 1 of 7: create a private CA", id="indicator")
        with VerticalScroll(id="body"):
            yield Static(INTRO, classes="text")
            for label, value in FIELDS:
                yield from self.field(label, value)
            yield Checkbox("Protect the CA key with a passphrase", compact=True)
            yield Static("The passphrase is asked for each time the CA signs.", classes="text")
            for label in ("Passphrase", "Again"):
                with Horizontal(classes="row hidden"):
                    yield Label(label)
                    with Vertical():
                        yield Input(password=True, compact=True)
            yield Static("No CA in this workspace yet.", classes="text")
            with Horizontal(classes="actions"):
                yield Button("Create the CA", compact=True)
                yield Button("Replace it", compact=True, classes="hidden")
                yield Button("Bring your own", compact=True)
            yield Static("", classes="hidden")
            with Vertical(classes="hidden"):
                yield ProgressBar(total=1, show_eta=False)
                yield Label("Working")
            yield Static("", classes="text")
            for title in PANELS:
                with Collapsible(title=title):
                    yield Static(INTRO)
        with Horizontal(id="nav"):
            yield Static("Create the CA, then go on")
            yield Button("Back", compact=True)
            yield Button("Next", compact=True)
        yield Footer()

    def field(self, label: str, value: str | None) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(label)
            with Vertical():
                if value is None:
                    yield Select(CHOICES, value="ec-p256", allow_blank=False, compact=True)
                else:
                    yield Input(value, compact=True)
                    yield Static("", classes="hidden")

    def action_noop(self) -> None:
        pass


class PlainApp(App[None]):
    CSS = CSS

    def compose(self) -> ComposeResult:
        yield Static("A plain Textual app: the page below it opens on top.")
