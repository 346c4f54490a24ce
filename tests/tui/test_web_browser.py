"""The wizard in a real browser: `mtls-wizard web` (the installed command) serves it on loopback,
and Debian's Chromium, headless, opens the page, clicks and types as a person would, reads what
the page shows (the xterm.js terminal's own buffer) and catches the downloads.

Without chromium the tests skip with the reason (in CI they fail: .ci/run installs it). Chromium
reaches nothing but 127.0.0.1 (support.chromium). Each wait is bounded; RSA 2048 keys (the
wizard's default, as a newcomer would leave it) take well under a second.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import make_pki
from support.chromium import Browser, Page, require_chromium
from support.lock_holder import HOLDER, start
from support.web_wizard import WebWizard

from wizard import elb
from wizard.session import Session, SessionStore
from wizard.workspace import Workspace

pytestmark = pytest.mark.chromium
BROWSER_TEST_TIMEOUT = 240  # seconds: two real processes and a browser on a busy 2-core machine


@pytest.fixture
def chromium() -> str:
    return require_chromium()


def wizards_on(root: Path) -> list[list[str]]:
    """The command lines of the wizard processes running on `root` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
        except OSError:  # not a process, or one that just ended
            continue
        if argv[1:3] == ["-m", "wizard"] and str(root) in argv:
            found.append(argv)
    return found


async def confirm_download(page: Page, file_name: str) -> None:
    """Answer "Download FILE?" with its Download button, until the dialog is gone: a toast that
    arrived late (an earlier download's note) may cover the button and take the click instead."""
    title = f"Download {file_name}?"
    await page.wait_for(title)
    for _attempt in range(4):
        try:
            await page.click("Download", near="Cancel", timeout=10)
        except TimeoutError:
            pass  # the dialog closed meanwhile: an earlier click was answered late
        if await page.wait_gone(title):
            return
    raise TimeoutError(f"the dialog {title!r} stayed open after four clicks on its Download button; the page:\n{await page.text()}")


async def open_wizard(browser: Browser, url: str) -> Page:
    page = await browser.open(url)
    await page.wait_for("Workspace folder", "Start", timeout=60)
    return page


@pytest.mark.timeout(BROWSER_TEST_TIMEOUT)
async def test_a_browser_walks_from_the_welcome_page_to_a_created_ca(chromium: str, console_command: str, tmp_path: Path,
                                                                     isolated_data_dir: Path) -> None:
    root = tmp_path / "workspace"
    with WebWizard(console_command, "--workspace", str(root), cwd=tmp_path) as web:
        assert web.url.startswith("http://127.0.0.1:")
        async with Browser(tmp_path / "profile") as browser:
            page = await open_wizard(browser, web.url)
            await page.wait_for("a new workspace: the seven steps start with the CA")
            # The tab runs this very mtls-wizard, on the workspace given to `web`.
            assert wizards_on(root) == [[sys.executable, "-m", "wizard", "--workspace", str(root)]]
            await page.click("Start")
            await page.wait_for("Step 1", "Create CA")

            # Another wizard (a second tab, a terminal) writing the workspace: this tab waits, then
            # says what a terminal says, and nothing is created.
            holder = start(HOLDER, [str(root)], isolated_data_dir)
            try:
                await page.click("Create CA")
                note = await page.wait_for_note(f"another mtls-wizard is working on this workspace (pid {holder.pid})")
                assert "wait for it to finish" in note  # what a terminal would be told, word for word
                assert not Workspace(root).cert("ca").exists()
            finally:
                holder.communicate(input="", timeout=30)

            await page.click("Create CA")
            shown = await page.wait_for("SHA-256", "The CA is ready", timeout=60)
            assert "ca/ca.key" in shown and "0600" in shown
            await page.press("alt+n")
            await page.wait_for("Step 2", "Issue the server certificate", "Domain or IP (CN)")
    assert web.returncode == 0, web.output
    assert "Goodbye" in web.output
    assert wizards_on(root) == []  # the tab's wizard stopped with the server
    ws = Workspace(root)
    assert ws.cert("ca").exists() and ws.key("ca").stat().st_mode & 0o777 == 0o600


@pytest.mark.timeout(BROWSER_TEST_TIMEOUT)
async def test_the_texts_to_paste_arrive_as_downloads_and_copy_reaches_the_clipboard(chromium: str, console_command: str,
                                                                                      tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "workspace")
    downloads = tmp_path / "downloads"
    with WebWizard(console_command, "--workspace", str(ws.root), cwd=tmp_path) as web:
        async with Browser(tmp_path / "profile") as browser:
            await browser.allow_downloads(downloads)
            await browser.call("Browser.grantPermissions", {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
                                                            "origin": web.url.rstrip("/")})
            page = await open_wizard(browser, web.url)
            await page.click("Continue at step 4")
            await page.wait_for("Step 4", "Download")

            # The server certificate: no question asked, and the very text of Save to file.
            # (Each action's note is waited for: one arriving later could cover the next button.)
            await page.click("Download", near="Certificate Content")
            certificate = await browser.download(downloads)
            assert certificate.name == "paste-server-certificate.txt"
            await page.wait_for_note("paste-server-certificate.txt: your browser saves it in its download folder")
            await page.click("Save to file", near="Certificate Content")
            await page.wait_for_note("Saved (mode 0644)")
            saved = ws.elb_dir / certificate.name
            assert certificate.read_bytes() == saved.read_bytes() == elb.paste_text(ws, "server_cert").encode()

            # Copy (OSC 52) reaches the browser's clipboard.
            await page.click("Copy", near="Certificate Content")
            await page.wait_for_note("Copied")
            assert await page.evaluate("navigator.clipboard.readText()") == elb.paste_text(ws, "server_cert")

            # The private key: asked first, told where it goes; Cancel sends nothing.
            await page.press("pagedown")
            await page.click("Download", near="Private Key")
            await page.wait_for("Download paste-server-private-key.txt?", "download folder")
            await page.click("Cancel", near="Download")
            await page.click("Download", near="Private Key")
            await confirm_download(page, "paste-server-private-key.txt")
            key = await browser.download(downloads)
            await page.wait_for_note("your browser saves it")
            assert key.name == "paste-server-private-key.txt"
            assert key.read_bytes() == elb.paste_text(ws, "server_key").encode()
            assert len([name for name in os.listdir(downloads) if "private-key" in name]) == 1

            # Step 3's client.p12, byte for byte.
            await page.press("alt+p")
            await page.wait_for("Step 3")
            await page.press("pagedown", "pagedown")
            await page.click("Download client.p12…")
            await confirm_download(page, "client.p12")
            p12 = await browser.download(downloads)
            assert p12.name == "client.p12" and p12.read_bytes() == ws.p12.read_bytes()
    assert web.returncode == 0, web.output


@pytest.mark.timeout(BROWSER_TEST_TIMEOUT)
async def test_the_openssl_script_and_a_named_clients_p12_arrive_as_downloads(chromium: str, console_command: str,
                                                                              tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "workspace")
    session = Session(workspace=str(ws.root), server_cn="localhost", server_sans=["127.0.0.1", "::1"])
    for step in range(1, 8):
        session.mark_done(step)
    SessionStore().save(session)
    downloads = tmp_path / "downloads"
    with WebWizard(console_command, "--workspace", str(ws.root), cwd=tmp_path) as web:
        async with Browser(tmp_path / "profile") as browser:
            await browser.allow_downloads(downloads)
            page = await open_wizard(browser, web.url)
            await page.click("Open the summary")
            await page.press("pagedown", "pagedown", "pagedown")
            await page.click("Download the script")
            script = await browser.download(downloads)
            await page.wait_for_note("your browser saves it")
            await page.click("Export the openssl script")
            await page.wait_for_note("openssl script saved")
            exported = ws.root / script.name
            assert script.read_bytes() == exported.read_bytes()
            assert script.read_text().startswith("#!")

            # On a loaded machine the page has been seen back at its title by now (cause not found):
            # the row with the Clients… button is brought into view again rather than assumed.
            await page.press("pagedown", "pagedown", "pagedown")
            await page.click("Clients…")
            await page.click("Download .p12…")
            await confirm_download(page, "client.p12")
            p12 = await browser.download(downloads)
            assert p12.name == "client.p12" and p12.read_bytes() == ws.p12.read_bytes()
    assert web.returncode == 0, web.output
