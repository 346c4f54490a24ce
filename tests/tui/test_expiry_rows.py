"""The summary's expiry table with thousands of named clients: the workspace's own certificates
always, the named clients that need care soonest (at most a dozen), and a line counting the rest."""

from __future__ import annotations

from screens.expiry import MAX_CLIENT_ROWS, shown_rows
from wizard.lifecycle.status import StatusRow


def rows_with_clients(count: int) -> list[StatusRow]:
    own = [StatusRow("ca", "ca", "2035-01-01T00:00:00+00:00", 3000), StatusRow("server", "server", "2028-01-01T00:00:00+00:00", 700),
           StatusRow("client", "client", "2028-01-01T00:00:00+00:00", 900)]
    named = [StatusRow("client", f"n{index:04d}", "2028-01-01T00:00:00+00:00", 800 - index, revoked=index % 2 == 1)
             for index in range(count)]
    return [*own, *named, StatusRow("server", "server-elb", "2028-01-01T00:00:00+00:00", 5, location="elb")]


def test_a_few_clients_are_all_shown() -> None:
    rows = rows_with_clients(MAX_CLIENT_ROWS)
    assert shown_rows(rows) == (rows, 0)


def test_thousands_of_clients_show_the_soonest_unrevoked_in_order_and_count_the_rest() -> None:
    rows = rows_with_clients(2000)
    shown, left_out = shown_rows(rows)
    assert left_out == 2000 - MAX_CLIENT_ROWS
    named = [row for row in shown if row.name.startswith("n")]
    assert len(named) == MAX_CLIENT_ROWS and not any(row.revoked for row in named)
    assert [row.days_left for row in named] == sorted((row.days_left for row in named), reverse=True)  # the table's order kept
    assert min(row.days_left for row in named) == 800 - 1998  # the soonest to expire (an even index: not revoked)
    assert [row.name for row in shown if not row.name.startswith("n")] == ["ca", "server", "client", "server-elb"]
