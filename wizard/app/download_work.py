"""The App's work for a browser download (`mtls-wizard web`): a page's DownloadButton asks for a
file (screens/download.py); the file is read in a worker, and Textual's `deliver_text` /
`deliver_binary` send it to the browser, whose download folder it lands in.

A file holding a private key (the server key's paste text, a client's .p12) is sent only after
the person confirms, told where it goes: to the computer of whoever has this page open.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import events, on

from wizard.app.work import WorkBase
from wizard.i18n import _

if TYPE_CHECKING:
    from screens.download import DownloadButton


@dataclass(frozen=True)
class Offer:
    """A file for the browser: its name there, whether it holds a private key, and how to read it
    (text, or bytes for a binary file)."""

    file_name: str
    secret: bool
    read: Callable[[], str | bytes]


class DownloadWork(WorkBase):
    """Browser downloads, for WizardApp (see wizard.app)."""

    def on_download_button_download_requested(self, message: DownloadButton.DownloadRequested) -> None:
        offer = self._offer(message.kind, message.item)
        if offer is None:
            return
        if not offer.secret:
            self._send(offer)
            return
        from screens.base import ConfirmModal

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._send(offer)

        body = _("{file} holds a private key. It goes to the browser that shows this page, into its download folder: on the "
                 "computer of whoever has this page open, not into the workspace on this server. Send it only to a computer "
                 "you trust, and delete it there once it is where it belongs.").format(file=offer.file_name)
        self.push_screen(ConfirmModal(_("Download {file}?").format(file=offer.file_name), body, yes=_("Download"), no=_("Cancel")),
                         answered)

    def _offer(self, kind: str, item: str) -> Offer | None:
        from screens import download
        from wizard import elb, script
        from wizard.workspace import SECRET_MODE

        ws, session = self.ws, self.session
        if ws is None or session is None:
            return None
        if kind == download.PASTE_TEXT and item in elb.PASTE_FILES:
            file_name, mode = elb.PASTE_FILES[item]
            return Offer(file_name, mode == SECRET_MODE, lambda: elb.paste_text(ws, item))
        if kind == download.SCRIPT:
            answers = copy.deepcopy(session)
            return Offer(script.SCRIPT_FILE, False, lambda: script.script_text(ws, answers))
        if kind == download.P12:
            return self._p12_offer(item)
        return None

    def _p12_offer(self, name: str) -> Offer | None:
        from wizard.clients.names import (
            TUTORIAL_CLIENT,
            client_files,
            validate_client_name,
        )
        from wizard.errors import InputError, WizardError
        from wizard.workspace import read_bytes

        assert self.ws is not None
        ws = self.ws
        try:
            validate_client_name(name or TUTORIAL_CLIENT)
        except InputError as error:
            self.show_error(str(error), _("Not downloaded"))
            return None
        p12 = client_files(ws, name or TUTORIAL_CLIENT).p12

        def read() -> bytes:
            if not p12.exists():
                raise WizardError(_("{file} does not exist yet: issue the client's certificate first").format(file=ws.relative(p12)))
            return read_bytes(p12)

        return Offer(p12.name, True, read)

    def _send(self, offer: Offer) -> None:
        """Read in a worker (a key is converted, a file may be slow), then hand it to the browser."""

        def deliver(content: str | bytes) -> None:
            if isinstance(content, bytes):
                self.deliver_binary(io.BytesIO(content), save_filename=offer.file_name, mime_type="application/x-pkcs12", name=offer.file_name)
            else:
                self.deliver_text(io.StringIO(content), save_filename=offer.file_name, encoding="utf-8", mime_type="text/plain",
                                  name=offer.file_name)
            self.notify(_("{file}: your browser saves it in its download folder (if nothing arrives, allow this page's "
                          "pop-ups and downloads)").format(file=offer.file_name), title=_("Download"), timeout=10)

        self._save_worker(offer.read, deliver, lambda error: self.show_error(error, _("Not downloaded")))

    @on(events.DeliveryFailed)
    def _delivery_failed(self, event: events.DeliveryFailed) -> None:
        self.show_error(_("{file} did not reach the browser: {error}").format(file=event.name or "", error=event.exception), _("Not downloaded"))
