"""The handshake test's attempts and verdict as the pages show them (step 7 and the summary)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from screens.text import wrapped
from screens.wording import for_tui
from wizard.handshake.model import outcome_text, status_text
from wizard.i18n import _
from wizard.safe_text import printable

STATUS_STYLE = {"pass": "bold black on green", "fail": "bold white on red", "inconclusive": "bold black on yellow", "unreachable": "bold white on red"}
# The verdict's status and an attempt's outcome are machine values (kept in the session and
# in --json); these are the words shown for them.


def served_by_someone_else(verdict: dict[str, Any]) -> bool:
    """The listener answered with a server certificate that is not this workspace's."""
    facts = verdict.get("server_certificate") or {}
    return bool(facts) and verdict.get("trust", "workspace") == "workspace" and not facts.get("verifies_against_ca", True)


def _mark(attempt: dict[str, Any], doubtful: bool) -> Text:
    if not attempt.get("ok"):
        return Text("✘", style="bold red")
    if doubtful and attempt.get("name") == "with_client_cert":
        return Text("!", style="bold yellow")  # let in, but by a server that is not ours
    return Text("✔", style="bold green")


def attempts_text(attempts: list[dict[str, Any]], pending: int = 0, *, doubtful: bool = False) -> Table:
    """One row per attempt; a long detail wraps inside its own column, not to column 1.
    `doubtful`: the server certificate is not ours, so an acceptance proves little."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)  # mark
    grid.add_column(ratio=2)  # what was tried
    grid.add_column(no_wrap=True)  # outcome
    grid.add_column(ratio=3)  # detail
    for attempt in attempts:
        outcome = str(attempt.get("outcome", ""))
        grid.add_row(_mark(attempt, doubtful),
                     wrapped(Text(printable(attempt.get("label", "")), style="bold")),
                     Text(printable(outcome_text(outcome))),
                     wrapped(Text(printable(attempt.get("detail", "")), style="dim")))
    for _waiting in range(pending):
        grid.add_row(Text("…", style="dim"), Text(_("waiting"), style="dim"), Text(""), Text(""))
    return grid


def verdict_text(verdict: dict[str, Any]) -> Table:
    """The verdict badge, its line and the diagnosis (in the wizard's words), beside the badge."""
    status = str(verdict.get("status", ""))
    summary = printable(verdict.get("summary", ""))
    badge = status_text(status)
    # The summary starts with the status (in the language of the test): the badge says it already.
    for prefix in (f"{status.upper()}: ", f"{badge}: ", f"{badge}："):
        if summary.upper().startswith(prefix.upper()):
            summary = summary[len(prefix):]
            break
    body = Text(summary)
    for finding in verdict.get("diagnosis", []):
        body.append(f"\n• {for_tui(printable(finding))}")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(Text(f" {badge} ", style=STATUS_STYLE.get(status, "bold")), wrapped(body))
    return grid
