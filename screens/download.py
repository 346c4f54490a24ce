"""The browser download offered beside "save to file" when the wizard runs in a browser
(`mtls-wizard web`): the file goes to the download folder of whoever is connected, not into the
workspace on the server. In a terminal the button is hidden: Textual would put the file into
this machine's Downloads folder, which is not what a person at a terminal asks for.

A page adds `DownloadButton(label, kind, item)`; pressing it asks the App for the file
(`DownloadRequested`), which reads it in a worker, asks first when it holds a private key, and
hands it to Textual's `deliver_text` / `deliver_binary` (wizard/app/download_work.py).
"""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Button

# What can be downloaded (the App's download_work knows where each is).
PASTE_TEXT = "paste"  # item: a key of wizard.elb.PASTE_FILES
SCRIPT = "script"  # the openssl script of the summary
P12 = "p12"  # item: a client's name (the tutorial's client is "client")


class DownloadButton(Button):
    """A button shown only in a browser; `kind` and `item` say which file (a page may change
    `item`, e.g. to the client selected in a list)."""

    class DownloadRequested(Message):
        """Send a file to the browser: `kind` (PASTE_TEXT, SCRIPT or P12) and `item`."""

        def __init__(self, kind: str, item: str = "") -> None:
            super().__init__()
            self.kind, self.item = kind, item

    def __init__(self, label: str, kind: str, item: str = "", *, id: str | None = None) -> None:
        super().__init__(label, id=id, classes="download", compact=True)
        self.kind, self.item = kind, item

    def on_mount(self) -> None:
        self.display = self.app.is_web

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()  # the page's own button handlers are for its other buttons
        self.post_message(self.DownloadRequested(self.kind, self.item))
