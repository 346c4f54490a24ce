"""The expiry table (the summary's, and `mtls-wizard status` in the wizard): every certificate
of the workspace and what the load balancer holds, with the days left in colour."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import Static

from wizard.clients.names import TUTORIAL_CLIENT
from wizard.i18n import N_, _, ngettext
from wizard.safe_text import printable

HEADINGS = (N_("Role"), N_("Name"), N_("Where"), N_("Expires"), N_("Days"))
# a row's role as the table says it (the English shows the role as the status data names it)
ROLE_WORDS = {"ca": N_("ca"), "server": N_("server"), "client": N_("client")}


def status_style(days_left: int, warn_days: int, revoked: bool = False) -> str:
    if revoked:
        return "dim"
    if days_left < 0:
        return "bold red"
    return "yellow" if days_left <= warn_days else "green"


# Named clients the summary shows at most, the soonest to expire first: thousands of them would
# make the page slow to draw; the Clients page lists them all.
MAX_CLIENT_ROWS = 12


def _named_client(row: Any) -> bool:
    return row.role == "client" and row.location == "workspace" and row.name != TUTORIAL_CLIENT


def shown_rows(rows: list[Any], limit: int = MAX_CLIENT_ROWS) -> tuple[list[Any], int]:
    """Every row but the named clients', and the `limit` named clients that need care soonest
    (revoked last), in their order; and how many named clients are left out."""
    named = [row for row in rows if _named_client(row)]
    if len(named) <= limit:
        return rows, 0
    kept = {id(row) for row in sorted(named, key=lambda row: (getattr(row, "revoked", False), row.days_left))[:limit]}
    return [row for row in rows if id(row) in kept or not _named_client(row)], len(named) - limit


def expiry_table(rows: list[Any], warn_days: int) -> Table:
    """Role, name, where, expiry and days left; expired in red, expiring soon in yellow."""
    table = Table.grid(padding=(0, 2))
    for _column in range(5):
        table.add_column(no_wrap=True)
    table.add_row(*(Text(_(title), style="bold") for title in HEADINGS))
    for row in rows:
        style = status_style(row.days_left, warn_days, getattr(row, "revoked", False))
        days = _("revoked") if getattr(row, "revoked", False) else (_("EXPIRED") if row.days_left < 0 else str(row.days_left))
        role = _(ROLE_WORDS[row.role]) if row.role in ROLE_WORDS else row.role
        # Text, not str: a name from elb/uploaded.json is data, never Rich markup ("[link=…]").
        table.add_row(Text(role), Text(printable(row.name)[:24]), Text("ELB" if row.location == "elb" else _("workspace")),
                      Text(row.not_after[:10]), Text(days, style=style))
    return table


class ExpiryTable(Static):
    """Reads the status in a thread (parsing every certificate) and shows it."""

    WARN_DAYS = 30

    class StatusRead(Message):
        """The table's own worker read the workspace's status."""

        def __init__(self, rows: list[Any], warnings: int, problems: list[str]) -> None:
            super().__init__()
            self.rows, self.warnings, self.problems = rows, warnings, problems

    def reload(self, ws: Any) -> None:
        self.update(Text(" " + _("reading the certificates…"), style="dim"))
        self._read(ws)

    @work(thread=True, exclusive=True, group="status", description="reading certificate expiry")
    def _read(self, ws: Any) -> None:
        from wizard.lifecycle.status import workspace_status

        try:
            found = workspace_status(ws, self.WARN_DAYS)
        except Exception as error:  # noqa: BLE001 - shown in the table's place, never a traceback
            self.post_message(self.StatusRead([], 0, [_("cannot read the certificates: {error}").format(error=error)]))
            return
        self.post_message(self.StatusRead(found.rows, len(found.warnings), found.problems))

    @on(StatusRead)
    def _show(self, message: StatusRead) -> None:
        rows, left_out = shown_rows(message.rows)
        parts: list[Any] = [expiry_table(rows, self.WARN_DAYS)] if rows else []
        if left_out:
            parts.append(Text(" " + ngettext("… and {count} more client: the Clients page lists every one",
                                             "… and {count} more clients: the Clients page lists every one", left_out).format(count=left_out),
                              style="dim"))
        if message.warnings:
            parts.append(Text(" " + _("{count} expire within {days} days: renew them (below, or the Clients page)").format(
                count=message.warnings, days=self.WARN_DAYS), style="yellow"))
        parts += [Text(f" {printable(problem)}", style="yellow") for problem in message.problems]
        from rich.console import Group

        self.update(Group(*parts) if parts else Text(" " + _("no certificates yet"), style="dim"))
