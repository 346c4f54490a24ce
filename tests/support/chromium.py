"""Debian's Chromium, headless, driven through its DevTools protocol by a small client over
aiohttp's websocket (aiohttp comes with textual-serve): open a page, press keys and click, read
the terminal the page shows, take a screenshot, catch a download.

No browser is downloaded: the system's `chromium` (.ci/run installs it), else the test skips
with the reason (in CI, CI=true, it fails). Chromium runs as root here, so without its sandbox,
with a fresh profile, and reaches nothing but loopback: every other host resolves to nothing and
every other request goes to a proxy on a closed loopback port.

How the page's text is read: textual-serve's page draws its terminal (xterm.js) on a canvas, and
keeps the xterm.js object to itself. A script that runs before the page's own notices the object
being stored (as `.terminal`) and keeps a reference; its buffer is exactly what the page shows.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

from support.server_process import require_binary

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-extensions", "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-pings",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost", "--proxy-server=127.0.0.1:9",
    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--window-size=1000,640",
    # textual-serve opens each download with window.open: a loaded machine may take longer than the
    # click's few seconds of user activation to send it, and the popup blocker would then drop it.
    "--disable-popup-blocking",
)
START_TIMEOUT = 20.0
CALL_TIMEOUT = 20.0

# Runs before the page's own scripts: keeps the xterm.js Terminal that textual.js stores as `.terminal`.
KEEP_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {configurable: true, set(value) {
  Object.defineProperty(this, "terminal", {value: value, writable: true, configurable: true, enumerable: true});
  if (value && value.buffer && value.buffer.active) { window.__terminal = value; }
}});
"""
READ_SCREEN = """(() => {
  const terminal = window.__terminal;
  if (!terminal) { return null; }
  const buffer = terminal.buffer.active, lines = [];
  for (let row = 0; row < terminal.rows; row++) {
    const line = buffer.getLine(buffer.viewportY + row);
    lines.push(line ? line.translateToString(true) : "");
  }
  const box = document.querySelector(".xterm-screen").getBoundingClientRect();
  return {lines: lines, cols: terminal.cols, rows: terminal.rows, left: box.left, top: box.top, width: box.width, height: box.height};
})()"""

# name -> (key, code, Windows virtual key code, text typed)
KEYS = {
    "enter": ("Enter", "Enter", 13, "\r"), "tab": ("Tab", "Tab", 9, ""), "escape": ("Escape", "Escape", 27, ""),
    "down": ("ArrowDown", "ArrowDown", 40, ""), "up": ("ArrowUp", "ArrowUp", 38, ""), "space": (" ", "Space", 32, " "),
    "pagedown": ("PageDown", "PageDown", 34, ""), "pageup": ("PageUp", "PageUp", 33, ""),
}
MODIFIERS = {"alt": 1, "ctrl": 2, "shift": 8}


def require_chromium() -> str:
    return require_binary("chromium", "chromium", "/usr/bin/chromium", "/usr/lib/chromium/chromium")


class Browser:
    """One headless Chromium with its DevTools connection (use with `async with`)."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.process: subprocess.Popen[bytes] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._calls: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self._news = asyncio.Event()
        self._downloads_taken = 0  # downloads download() has returned (or is waiting for)

    async def __aenter__(self) -> Browser:
        binary = require_chromium()
        self.profile.mkdir(parents=True, exist_ok=True)
        log = (self.profile.parent / "chromium.log").open("wb")
        self.process = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        self._http = aiohttp.ClientSession()
        self._socket = await self._http.ws_connect(await self._devtools_url(), max_msg_size=0)
        self._reader = asyncio.create_task(self._read())
        return self

    async def _devtools_url(self) -> str:
        """Chromium writes its DevTools port and path into the profile once it listens."""
        active = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited ({self.process.returncode}): see {self.profile.parent / 'chromium.log'}")
            lines = active.read_text().split("\n") if active.exists() else []
            if len(lines) >= 2 and lines[0].isdigit() and lines[1].startswith("/devtools/"):
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            await asyncio.sleep(0.05)
        raise RuntimeError(f"chromium did not open its DevTools port within {START_TIMEOUT} s")

    async def __aexit__(self, *exc: object) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            self._reader.cancel()
        if self._http is not None:
            await self._http.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    async def _read(self) -> None:
        assert self._socket is not None
        async for message in self._socket:
            data = json.loads(message.data)
            call = self._calls.pop(data["id"], None) if "id" in data else None
            if call is not None and not call.done():
                call.set_result(data)
            elif "method" in data:
                self.events.append(data)
                self._news.set()

    async def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        assert self._socket is not None
        self._next_id += 1
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._calls[self._next_id] = answer
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        await self._socket.send_str(json.dumps(message))
        data = await asyncio.wait_for(answer, CALL_TIMEOUT)
        if "error" in data:
            raise RuntimeError(f"{method}: {data['error']}")
        return dict(data.get("result", {}))

    async def event(self, method: str, timeout: float, **match: Any) -> dict[str, Any]:
        """The first event `method` whose params hold `match` (seen already or arriving within `timeout`)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event["method"] == method and all(event["params"].get(key) == value for key, value in match.items()):
                    return dict(event["params"])
            seen = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {method} {match or ''} within {timeout} s")
            self._news.clear()
            try:
                await asyncio.wait_for(self._news.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def allow_downloads(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        await self.call("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder), "eventsEnabled": True})

    async def download(self, folder: Path, timeout: float = 20.0) -> Path:
        """The next download not yet taken, once complete: the file in `folder`. (Counted from the
        last one taken, not from the call: on a loaded machine the download may begin before the
        test asks for it.)"""
        begun = self._downloads_taken
        self._downloads_taken += 1
        deadline = time.monotonic() + timeout
        while len(started := [e for e in self.events if e["method"] == "Browser.downloadWillBegin"]) <= begun:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no download began within {timeout} s")
            self._news.clear()
            try:
                await asyncio.wait_for(self._news.wait(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass
        began = started[begun]["params"]
        done = await self.event("Browser.downloadProgress", max(1.0, deadline - time.monotonic()), guid=began["guid"], state="completed")
        assert done["state"] == "completed"
        return folder / began["suggestedFilename"]

    async def open(self, url: str) -> Page:
        target = (await self.call("Target.createTarget", {"url": "about:blank"}))["targetId"]
        session = (await self.call("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
        page = Page(self, session)
        await page.call("Page.enable")
        await page.call("Page.addScriptToEvaluateOnNewDocument", {"source": KEEP_TERMINAL})
        await page.call("Page.navigate", {"url": url})
        return page


class Page:
    """One tab: keys and clicks in, the terminal's text and pixels out."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.browser.call(method, params, self.session)

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"the page's script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def screen(self) -> dict[str, Any]:
        found = await self.evaluate(READ_SCREEN)
        return found or {"lines": [], "cols": 0, "rows": 0}

    async def text(self) -> str:
        return "\n".join((await self.screen())["lines"])

    async def wait_for(self, *texts: str, timeout: float = 30.0) -> str:
        """The screen once it shows every one of `texts` (a TimeoutError with the screen otherwise)."""
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = await self.text()
            if all(text in shown for text in texts):
                return shown
            await asyncio.sleep(0.2)
        raise TimeoutError(f"the page did not show {texts} within {timeout} s; it shows:\n{shown}")

    async def wait_gone(self, text: str, timeout: float = 5.0) -> bool:
        """Whether the screen stops showing `text` within `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text not in await self.text():
                return True
            await asyncio.sleep(0.2)
        return False

    async def notes(self) -> str:
        """The text of the notifications shown (Textual's toasts, each row marked on its left by "▌"),
        their wrapped rows joined by single spaces."""
        rows = [line.rsplit("▌", 1)[1].strip() for line in (await self.screen())["lines"] if "▌" in line]
        return " ".join(row for row in rows if row)

    async def wait_for_note(self, *texts: str, timeout: float = 30.0) -> str:
        """The notifications once they say every one of `texts`."""
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = await self.notes()
            if all(text in shown for text in texts):
                return shown
            await asyncio.sleep(0.2)
        raise TimeoutError(f"no notification said {texts} within {timeout} s; the notes: {shown!r}; the page:\n{await self.text()}")

    async def press(self, *keys: str) -> None:
        """Keys by name: "enter", "tab", "alt+n", "shift+tab", or a single character."""
        await self.focus()
        for name in keys:
            *held, key = name.split("+")
            modifiers = sum(MODIFIERS[modifier] for modifier in held)
            if key in KEYS:
                key_name, code, key_code, text = KEYS[key]
            else:
                key_name, code, key_code, text = key, f"Key{key.upper()}", ord(key.upper()), key
            typed = "" if modifiers & (MODIFIERS["alt"] | MODIFIERS["ctrl"]) else text
            down = {"type": "keyDown" if typed else "rawKeyDown", "key": key_name, "code": code, "windowsVirtualKeyCode": key_code,
                    "modifiers": modifiers, "text": typed}
            await self.call("Input.dispatchKeyEvent", down)
            await self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": key_name, "code": code, "windowsVirtualKeyCode": key_code,
                                                       "modifiers": modifiers})
            await asyncio.sleep(0.1)

    async def focus(self) -> None:
        """Keys go to the terminal (as after a click on it)."""
        await self.evaluate("window.__terminal && window.__terminal.focus()")

    async def type(self, text: str) -> None:
        await self.focus()
        await self.call("Input.insertText", {"text": text})

    async def click(self, label: str, *, near: str = "", timeout: float = 30.0) -> None:
        """Click the middle of `label` (a button's text) where the screen first shows it, on the
        first row that also shows `near` when given (the row of a panel's title, a dialog's other button)."""
        deadline = time.monotonic() + timeout
        before: list[str] = []
        while True:  # until the row is there and stays put (a page still scrolling moves it)
            screen = await self.screen()
            rows = [index for index, line in enumerate(screen["lines"]) if label in line and near in line]
            if rows and screen["lines"] == before:
                break
            before = screen["lines"]
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page shows no {label!r} beside {near!r} within {timeout} s; it shows:\n" + "\n".join(screen["lines"]))
            await asyncio.sleep(0.15)
        row = rows[0]
        line = screen["lines"][row]
        # The label nearest to `near` on its row: a toast's title further along the row (a "Download"
        # note beside a dialog's Download and Cancel) is not the button meant.
        anchor = line.index(near)
        found = [index for index in range(len(line)) if line.startswith(label, index)]
        column = min(found, key=lambda index: abs(index - anchor)) + len(label) / 2
        x = screen["left"] + column * screen["width"] / screen["cols"]
        y = screen["top"] + (row + 0.5) * screen["height"] / screen["rows"]
        await self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for kind in ("mousePressed", "mouseReleased"):
            await self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})
        await asyncio.sleep(0.1)

    async def screenshot(self, path: Path) -> Path:
        shot = await self.call("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
