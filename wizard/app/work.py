"""What the App's workers share: running the core's work in a thread and turning any failure
into one line, starting a piece of work once (`busy`), recording an outcome into the session
it was started for, and writing files on request.

The App, not a page, owns this work: a page may be left at any time, and a thread cannot be
interrupted, so a result must have somewhere to land. Every write into the workspace goes
through a worker here or in the modules beside it; a page's own workers only read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual import on, work
from textual.app import App
from textual.message import Message

from wizard.app.outcomes import FileSaved, WorkFailed
from wizard.i18n import _

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from screens.summary import SummaryScreen
    from wizard.ca_key import Unlock
    from wizard.practice import PracticeLoadBalancer
    from wizard.session import Session, SessionStore
    from wizard.workspace import Workspace

Result = TypeVar("Result")


def unexpected(error: Exception) -> str:
    return _("unexpected {error_type}: {error}").format(error_type=type(error).__name__, error=error)


def attempt(produce: Callable[[], Result]) -> tuple[Result | None, str | None]:
    """Run the core's work in a worker: its result, or instead the one line a person is shown
    (an unexpected exception included: a worker's traceback would reach nobody)."""
    from wizard.errors import WizardError

    try:
        return produce(), None
    except WizardError as error:
        return None, str(error)
    except Exception as error:  # noqa: BLE001
        return None, unexpected(error)


class WorkBase(App[int]):
    """The state every work module of WizardApp reads and the helpers they share (see wizard.app)."""

    session: Session | None
    store: SessionStore | None
    ws: Workspace | None
    busy: dict[str, str]
    practice_lb: PracticeLoadBalancer | None
    practice_problem: str
    practice_log: list[str]
    gone_listener: str
    live_attempts: list[Any]
    clients_progress: tuple[int, int]
    probe_thread: threading.Thread | None
    _warned: set[tuple[str, str]]

    # Provided by WizardApp.
    def save(self) -> None: ...
    def sync_screen(self) -> None: ...
    def show_error(self, message: str, title: str = "") -> None: ...
    def showing(self, step: int) -> bool: ...
    def save_elsewhere(self, workspace: Path, change: Callable[[Session], None]) -> None: ...
    def with_ca_unlocked(self, then: Callable[[Unlock], None]) -> None: ...
    def remember_ca_passphrase(self, workspace: Path, passphrase: str | None) -> None: ...
    def take_route(self, route: str) -> None: ...
    def serve_practice(self) -> None: ...
    def refresh_practice(self) -> None: ...
    def move_after_renewal(self) -> bool: ...

    def _post_from_thread(self, message: Message, to: MessagePump | None = None) -> None:
        """Post `message` to the App (or to the page `to` that asked) from a worker's thread."""
        try:
            (to or self).post_message(message)  # a page already closed drops it
        except RuntimeError:
            pass  # the App has exited (its loop is closed): nobody is waiting for the result

    def warn_once(self, warning: str) -> None:
        """A warning about this workspace, once per run (e.g. a folder others can read comes
        with every step's result)."""
        key = (str(self.ws.root) if self.ws else "", warning)
        if key not in self._warned:
            self._warned.add(key)
            self.notify(warning, severity="warning", timeout=12)

    def _start(self, kind: str, label: str) -> bool:
        if self.session is None or self.ws is None:
            return False
        if self.busy.get(kind):
            self.notify(_("already working on it"), severity="warning")
            return False
        self.busy[kind] = label
        self.sync_screen()
        return True

    def _is_open(self, workspace: Path) -> bool:
        return self.ws is not None and self.ws.root == workspace

    def _record(self, workspace: Path, outcome: Any) -> bool:
        """Record `outcome` into the session of the workspace it was started for: the open one
        (saved at once; True), or that of a workspace the user switched away from (False)."""
        from wizard.record import record

        if not self._is_open(workspace):
            self.save_elsewhere(workspace, lambda session: record(session, outcome))
            return False
        assert self.session is not None
        record(self.session, outcome)
        self.save()
        return True

    @on(WorkFailed)
    def _work_failed(self, message: WorkFailed) -> None:
        self.busy.pop(message.kind, None)
        if self._is_open(message.workspace):
            title = _("The test could not run") if message.kind == "handshake" else _("That did not work")
            self.show_error(message.error, title)
        self.sync_screen()

    # -- files written on request (the save buttons, exports) -------------------------------
    def save_in_workspace(self, write: Callable[[], Result], saved: Callable[[Result], None],
                          failed: Callable[[str], None] | None = None) -> None:
        """Write in a thread: the core's writer takes the workspace lock, which another run of
        the wizard may hold for seconds. `saved` or `failed` (default: the error shown) then run
        on the App's thread."""
        self._save_worker(write, saved, failed or (lambda error: self.show_error(error, _("Not saved"))))

    @work(thread=True, group="saves", description="writing into the workspace")
    def _save_worker(self, write: Callable[[], Any], saved: Callable[[Any], None], failed: Callable[[str], None]) -> None:
        self._post_from_thread(FileSaved(*attempt(write), saved, failed))

    @on(FileSaved)
    def _file_saved(self, message: FileSaved) -> None:
        if message.error is None:
            message.saved(message.result)
        else:
            message.failed(message.error)

    def on_summary_screen_script_requested(self, _message: SummaryScreen.ScriptRequested) -> None:
        """The summary's "Export the openssl script": the script that redoes every step."""
        import copy

        from screens.text import display_path
        from wizard import script

        if self.ws is None or self.session is None:
            return
        ws, answers = self.ws, copy.deepcopy(self.session)
        self.save_in_workspace(lambda: script.save_full_script(ws, answers),
                               lambda path: self.notify(display_path(path), title=_("openssl script saved"), timeout=10))
