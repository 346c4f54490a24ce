"""The wizard's first page refuses a workspace another user could have prepared, as the commands do
(wizard.ownership): it reads nothing of it (not even its progress), says why in one line with the
fix, keeps Start disabled, and takes the folder once it is fixed."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from support.other_user import other_user
from support.pilot_helpers import SIZE, plain, start, type_into
from textual.widgets import Button, Input, Static

from wizard.app import WizardApp
from wizard.session import SessionStore
from wizard.workspace import Workspace


def files_and_modes(root: Path) -> dict[str, tuple[int, str]]:
    return {str(path.relative_to(root)): (path.stat().st_mode, hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "")
            for path in sorted(root.rglob("*"))}


def readable_ca_key(ws: Workspace) -> Callable[[], None]:
    os.chmod(ws.key("ca"), 0o644)
    return lambda: os.chmod(ws.key("ca"), 0o600)


def ca_folder_of_another_account(ws: Workspace) -> Callable[[], None]:
    other_user().give(ws.folder("ca"))  # (another account exists only where the tests run as root: CI)

    def take_back() -> None:
        for path in (ws.folder("ca"), *ws.folder("ca").iterdir()):
            os.chown(path, os.geteuid(), os.getegid())

    return take_back


def open_workspace_folder(ws: Workspace) -> Callable[[], None]:
    os.chmod(ws.root, 0o777)
    return lambda: os.chmod(ws.root, 0o700)


@pytest.mark.parametrize(("plant", "said"), [
    (readable_ca_key, "ca/ca.key is a private key that other users can read (mode 644"),
    (open_workspace_folder, "can be written by other users (mode 777"),
    (ca_folder_of_another_account, "/ca belongs to mtlsw-other"),
], ids=["a CA key others can read", "a workspace folder others can write", "a ca folder another account owns"])
async def test_the_first_page_refuses_a_workspace_others_could_have_prepared(pki_workspace: Workspace, plant: Callable[[Workspace], Callable[[], None]],
                                                                             said: str) -> None:
    ws = pki_workspace
    session = SessionStore().open(ws.root)
    session.steps_done = [1, 2, 3]
    SessionStore().save(session)
    fix = plant(ws)
    before = files_and_modes(ws.root)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        note = plain(app.screen.query_one("#workspace-note", Static).content)
        assert said in " ".join(note.split()) and "-error" in app.screen.query_one("#workspace-note", Static).classes, note
        assert app.screen.query_one("#start", Button).disabled and "steps done" not in note  # its progress was not read
        app.screen.query_one("#workspace", Input).focus()
        await pilot.press("enter")  # Enter says why it cannot start; it does not start
        await pilot.pause()
        assert type(app.screen).__name__ == "WelcomeScreen" and app.session is None or not app.session.steps_done
        assert files_and_modes(ws.root) == before  # nothing written, nothing chmodded

        fix()  # the person follows the one line, then gives the folder again
        await type_into(pilot, "#workspace", str(ws.root))
        for _tick in range(100):  # the page reads the folder again once the typing pauses
            await pilot.pause(0.05)
            await app.workers.wait_for_complete()
            if not app.screen.query_one("#start", Button).disabled:
                break
        assert not app.screen.query_one("#start", Button).disabled
        assert "3 of 7 steps done" in plain(app.screen.query_one("#workspace-note", Static).content)
