"""screens.long_table.LongTable: the Clients page's table of thousands of rows. It must behave and
draw as the DataTable it is (the same rows added one by one to a DataTable are the reference),
while taking its rows a batch at a time; and the page built on it never shows a row from a refused
folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_pki
from rich.text import Text
from support.pilot_helpers import SIZE, resume, session_at_step, settle
from textual.app import App, ComposeResult
from textual.widgets import DataTable
from textual.widgets._data_table import DuplicateKey

from screens.long_table import LongTable, RowsDrawn
from wizard import clients
from wizard.app import WizardApp

COLUMNS = ("Name", "State", "Days left")


def rows(count: int, start: int = 0) -> list[tuple[str, tuple[Text, ...]]]:
    """Rows of different widths, one with wide (CJK) characters."""
    made = []
    for index in range(start, start + count):
        name = "客户-七" if index == 7 else f"client-{index:0{1 + index % 4}d}"
        made.append((name, (Text(name), Text("valid", style="green"), Text(str(index * 3)))))
    return made


class Tables(App[None]):
    """A LongTable and, beside it, a DataTable given the same rows the DataTable's own way."""

    def compose(self) -> ComposeResult:
        yield LongTable(id="long", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="reference", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.highlighted: list[tuple[str, str]] = []
        self.selected: list[tuple[str, str]] = []
        self.drawn_at: list[int] = []  # the rows held when RowsDrawn came
        for table in self.query(DataTable):
            table.add_columns(*COLUMNS)
            table.styles.height = 12

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        self.highlighted.append((str(message.data_table.id), str(message.row_key.value)))

    def on_rows_drawn(self, message: RowsDrawn) -> None:
        self.drawn_at.append(message.table.row_count)

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        self.selected.append((str(message.data_table.id), str(message.row_key.value)))

    def fill(self, batches: list[int]) -> None:
        """The same rows: in `batches` into the LongTable, one by one into the reference."""
        long, reference = self.query_one("#long", LongTable), self.query_one("#reference", DataTable)
        start = long.row_count
        for size in batches:
            long.append_rows(rows(size, start))
            start += size
        for key, cells in rows(start - reference.row_count, reference.row_count):
            reference.add_row(*cells, key=key)


def drawn(table: DataTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def keys(table: DataTable) -> list[str]:
    return [str(table.coordinate_to_cell_key((row, 0)).row_key.value) for row in range(table.row_count)]


async def test_rows_appended_in_batches_are_the_rows_a_datatable_draws() -> None:
    app = Tables()
    async with app.run_test(size=(60, 30)) as pilot:
        long, reference = app.query_one("#long", LongTable), app.query_one("#reference", DataTable)
        app.fill([1, 30])
        await pilot.pause()
        assert long.show_vertical_scrollbar  # so the batches below only make it longer, without a layout
        app.fill([250, 19])
        await pilot.pause()
        assert long.row_count == reference.row_count == 300
        assert keys(long) == keys(reference) == [key for key, _cells in rows(300)]
        assert [column.content_width for column in long.ordered_columns] == [column.content_width for column in reference.ordered_columns]
        assert long.virtual_size == reference.virtual_size and long.max_scroll_y == reference.max_scroll_y > 0
        bars = long.vertical_scrollbar, reference.vertical_scrollbar
        assert [(bar.window_virtual_size, bar.window_size) for bar in bars] == [(301, 12)] * 2  # grown without a layout
        assert drawn(long) == drawn(reference) and "客户-七" in "".join(drawn(long))
        assert [str(cell) for cell in long.get_row("client-4")] == ["client-4", "valid", "12"]


async def test_the_cursor_moves_scrolls_and_selects_as_in_a_datatable() -> None:
    app = Tables()
    async with app.run_test(size=(60, 30)) as pilot:
        app.fill([100, 400])
        await pilot.pause()
        long, reference = app.query_one("#long", LongTable), app.query_one("#reference", DataTable)
        for table in (long, reference):
            table.focus()
            await pilot.pause()
            for key in ("down", "down", "down", "pagedown", "pagedown", "up", "ctrl+end", "pageup", "ctrl+home", "down"):
                await pilot.press(key)
                await pilot.pause()
        assert long.cursor_row == reference.cursor_row == 1
        assert long.scroll_y == reference.scroll_y
        for table in (long, reference):
            table.focus()
            await pilot.pause()
            await pilot.press("ctrl+end")
            await pilot.pause()
            assert table.cursor_row == 499 and table.scroll_y == table.max_scroll_y > 0
        assert drawn(long) == drawn(reference)
        assert [key for table, key in app.highlighted if table == "long"] == [key for table, key in app.highlighted if table == "reference"]
        long.focus()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected[-1] == ("long", keys(long)[499])


async def test_a_click_selects_the_row_under_the_mouse() -> None:
    app = Tables()
    async with app.run_test(size=(60, 30)) as pilot:
        app.fill([50])
        await pilot.pause()
        long = app.query_one("#long", LongTable)
        await pilot.click("#long", offset=(2, 1 + 4))  # the header, then the fifth row
        await pilot.pause()
        assert long.cursor_row == 4 and app.highlighted[-1] == ("long", "client-4")


async def test_the_first_rows_are_announced_under_the_cursor_and_a_clear_starts_again() -> None:
    app = Tables()
    async with app.run_test(size=(60, 30)) as pilot:
        long = app.query_one("#long", LongTable)
        long.append_rows([])
        await pilot.pause()
        assert long.row_count == 0 and ("long", "client-0") not in app.highlighted
        assert app.drawn_at == []  # an empty table drawn is not news
        app.fill([3])
        await pilot.pause()
        assert app.highlighted.count(("long", "client-0")) == 1  # the page enables its buttons on it
        app.fill([4])
        await pilot.pause()
        assert app.drawn_at == [3]  # once, for the first rows drawn (the page then builds the rest of itself)
        long.move_cursor(row=2)
        await pilot.pause()
        long.clear()
        await pilot.pause()
        assert long.row_count == 0 and long.cursor_row == 0 and long.virtual_size.height == 1  # the header
        assert drawn(long)[1].strip() == ""
        long.append_rows(rows(2, 10))
        await pilot.pause()
        assert keys(long) == ["client-010", "client-0011"] and app.highlighted[-1] == ("long", "client-010")
        assert app.drawn_at == [3, 2]  # and again after a clear


async def test_a_row_twice_or_taller_than_a_line_is_refused() -> None:
    app = Tables()
    async with app.run_test(size=(60, 30)) as pilot:
        long = app.query_one("#long", LongTable)
        long.append_rows(rows(2))
        with pytest.raises(DuplicateKey):
            long.append_rows(rows(1, 1))
        with pytest.raises(ValueError, match="one line high"):
            long.add_row(Text("tall"), height=2)
        long.add_row(Text("one"), Text("by"), Text("one"), key="single")  # DataTable's own path still works
        await pilot.pause()
        assert keys(long) == ["client-0", "client-01", "single"]
        assert long.virtual_size.height == 1 + 3


async def test_a_folder_refused_part_way_empties_the_clients_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One row per batch, so rows are shown before the survey meets bob's folder, which others may
    write: the page ends with no row at all, and says why."""
    import screens.clients

    monkeypatch.setattr(screens.clients, "FIRST_ROWS", 1)
    monkeypatch.setattr(screens.clients, "LATER_ROWS", 1)
    ws = make_pki(tmp_path / "ws")
    clients.issue_clients(ws, ["alice", "bob", "carol"], "correct horse battery", clients.ClientOptions(key_type="ec-p256"))
    session_at_step(ws.root, 3)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 3)
        clients.client_files(ws, "bob").folder.chmod(0o777)
        app.action_clients()
        await settle(pilot)
        table = app.screen.query_one(LongTable)
        problems = app.screen.query_one("#clients-problems")
        assert table.row_count == 0 and problems.display and "bob" in str(problems.content)
        assert app.screen.selected() is None and app.screen.query_one("#revoke").disabled


async def test_leaving_the_clients_page_while_it_is_still_being_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The widgets under the table are mounted a step per frame after the first rows are drawn (here a
    step a second): Escape meanwhile leaves the page, and the rest of its building stops without an error."""
    import screens.clients

    monkeypatch.setattr(screens.clients, "BELOW_STEP", 1.0)
    ws = make_pki(tmp_path / "ws")
    session_at_step(ws.root, 3)
    app = WizardApp(workspace=str(ws.root))
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot, 3)
        app.action_clients()
        page = app.screen
        for _tick in range(400):
            if page._below_started:  # noqa: SLF001 - the moment this test is about
                break
            await pilot.pause(0.01)
        assert page._below_started and not page._below_mounted  # noqa: SLF001
        await pilot.press("escape")
        await settle(pilot)
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "ClientScreen" and app.return_code is None
        monkeypatch.setattr(screens.clients, "BELOW_STEP", 0.01)
        app.action_clients()  # and the page comes back whole
        await settle(pilot)
        for _tick in range(100):
            if app.screen._below_mounted:  # noqa: SLF001
                break
            await pilot.pause(0.05)
        assert app.screen.query_one(LongTable).row_count == 1 and app.screen.selected() == "client"
