"""The browser download beside "save to file", as a terminal sees it: not offered (Textual would
put the file into this machine's Downloads folder), and a request for a file that is not there
is one line. (In a real browser: tests/tui/test_web_browser.py.)"""

from __future__ import annotations

from pathlib import Path

from conftest import make_pki
from support.pilot_helpers import SIZE, resume, screen_name, settle

from screens.base import ConfirmModal
from screens.download import P12, PASTE_TEXT, DownloadButton
from wizard.app import WizardApp


async def test_a_terminal_offers_save_to_file_and_no_download(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "workspace")
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        assert screen_name(app) == "ServerHandOffScreen"
        page = app.screen
        assert page.query_one("#save-server_cert").display and page.query_one("#copy-server_cert").display
        downloads = page.query(DownloadButton)
        assert [button.id for button in downloads] == ["download-server_cert", "download-server_key"]
        assert not any(button.display for button in downloads)


async def test_a_key_is_asked_for_first_and_a_missing_p12_is_one_line(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "workspace")
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        page = app.screen
        page.post_message(DownloadButton.DownloadRequested(PASTE_TEXT, "server_key"))
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "paste-server-private-key.txt holds a private key" in app.screen.body
        assert "computer of whoever has this page open" in app.screen.body
        await pilot.press("escape")  # Cancel: nothing is read, nothing sent
        await pilot.pause()
        assert app.screen is page

        page.post_message(DownloadButton.DownloadRequested(P12, "nobody"))
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)  # a .p12 holds a key: asked first, and only then read
        app.screen.query_one("#yes").press()
        await settle(pilot)
        assert app.last_error == "clients/nobody/nobody.p12 does not exist yet: issue the client's certificate first"
