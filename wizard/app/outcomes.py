"""The typed outcomes of the App's background work, one Message class per outcome.

A worker thread never touches the live session: it posts one of these, and the App
applies it on its own thread with `wizard.record.record`. Each carries the workspace it
was started for, so a result that arrives after the user switched workspace lands in
that workspace's own session, never in the open one.

(What a page asks for is declared on the page's own class: `VerifyScreen.TestRequested`, ...)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from wizard.clients import BatchResult, Revocation
    from wizard.elb.uploader import UploadResult
    from wizard.handshake import Verdict
    from wizard.practice.records import PracticeResult
    from wizard.steps import StepOutcome


class CertificateReady(Message):
    """Steps 1-3: a CA or leaf certificate was created, reused or adopted."""

    def __init__(self, workspace: Path, outcome: StepOutcome) -> None:
        super().__init__()
        self.workspace = workspace
        self.outcome = outcome


class Renewed(Message):
    """A certificate was renewed (a StepOutcome for the server, a CaRenewal for the CA)."""

    def __init__(self, workspace: Path, outcome: Any) -> None:
        super().__init__()
        self.workspace = workspace
        self.outcome = outcome


class UploadFinished(Message):
    """Steps 4-6 through the API: everything went through."""

    def __init__(self, workspace: Path, result: UploadResult) -> None:
        super().__init__()
        self.workspace = workspace
        self.result = result


class UploadStopped(Message):
    """The upload stopped with an error; `partial` holds what reached the API before it."""

    def __init__(self, workspace: Path, error: str, partial: UploadResult | None) -> None:
        super().__init__()
        self.workspace = workspace
        self.error = error
        self.partial = partial


class PracticeFinished(Message):
    """Steps 4-6 on the practice load balancer: what it holds and serves now."""

    def __init__(self, workspace: Path, result: PracticeResult) -> None:
        super().__init__()
        self.workspace = workspace
        self.result = result


class AttemptDone(Message):
    """One of the handshake test's three attempts finished (live progress for step 7)."""

    def __init__(self, attempt: Any) -> None:
        super().__init__()
        self.attempt = attempt


class HandshakeFinished(Message):
    """Step 7: the verdict of the three attempts."""

    def __init__(self, workspace: Path, verdict: Verdict) -> None:
        super().__init__()
        self.workspace = workspace
        self.verdict = verdict


class WorkFailed(Message):
    """Any work that produced no outcome: one line saying what went wrong and the fix."""

    def __init__(self, kind: str, workspace: Path, error: str) -> None:
        super().__init__()
        self.kind = kind  # "ca", "server", "client", "adopt-server", "handshake", ...
        self.workspace = workspace
        self.error = error


class FileSaved(Message):
    """A file written on request: the writer's `result`, or the `error` that stopped it; `saved`
    or `failed` tells the user."""

    def __init__(self, result: Any, error: str | None, saved: Callable[[Any], None], failed: Callable[[str], None]) -> None:
        super().__init__()
        self.result, self.error, self.saved, self.failed = result, error, saved, failed


# -- the Clients page's work ------------------------------------------------------------


class ClientsProgress(Message):
    """One more client of a batch is done."""

    def __init__(self, done: int, total: int, name: str) -> None:
        super().__init__()
        self.done, self.total, self.name = done, total, name


class ClientsIssued(Message):
    def __init__(self, workspace: Path, result: BatchResult | None, error: str = "") -> None:
        super().__init__()
        self.workspace, self.result, self.error = workspace, result, error


class ClientRevoked(Message):
    def __init__(self, workspace: Path, revocation: Revocation | None, error: str = "") -> None:
        super().__init__()
        self.workspace, self.revocation, self.error = workspace, revocation, error


class ClientRenewed(Message):
    def __init__(self, workspace: Path, name: str, outcome: StepOutcome | None, error: str = "") -> None:
        super().__init__()
        self.workspace, self.name, self.outcome, self.error = workspace, name, outcome, error


class PassphraseChecked(Message):
    """The CA key's passphrase was tried (wizard.app.ca_unlock): `error` is why it did not open the
    key ("" when it did); `then` starts the work that waits for it. The passphrase stays in a
    closure (a Message shows no fields in Textual's log, and nothing here is saved)."""

    def __init__(self, workspace: Path, passphrase: Callable[[], str], then: Callable[[Any], None], error: str) -> None:
        super().__init__()
        self.workspace = workspace
        self.passphrase = passphrase
        self.then = then
        self.error = error
