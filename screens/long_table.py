"""A DataTable for lists of thousands of one-line rows (the Clients page's 5,000 clients).

Textual's DataTable already draws only the lines on screen, but its bookkeeping grows with the
list: each `add_row` costs a reactive assignment and a cache invalidation, every batch of rows is
measured cell by cell through a Rich console on the next idle, and the line index (`_y_offsets`)
and the row positions (`_get_row_region`) are rebuilt or summed over every row after each change.
5,000 rows cost about a second of the event loop that way, in steps a person feels.

`LongTable` keeps the DataTable (its rendering, cursor, keys, mouse, messages and API: the page's
tests and snapshots see a DataTable) and replaces only that bookkeeping, for tables whose rows are
all one line high (no auto height, no labels): `append_rows` adds a batch in one step, measuring
each cell by its text's width; a row's line is its index, so the line index and the regions
are computed, not built. It leans on DataTable's private fields (`_row_locations`, `_data`,
`_update_count`), pinned by tests/tui/test_long_table.py against the installed Textual.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Region, Size
from textual.message import Message
from textual.render import measure
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets._data_table import DuplicateKey, Row, RowKey, default_cell_formatter


def text_width(cell: Text) -> int:
    """The width a one-line cell takes (its widest line: a DataTable cuts the rest, but measures it)."""
    plain = cell.plain
    if plain.isascii() and plain.isprintable():
        return len(plain)  # one cell per character: most cells, measured without Rich's tables
    return cell_len(plain) if "\n" not in plain else max(map(cell_len, plain.split("\n")))


class _LineIndex:
    """DataTable's `_y_offsets` for rows one line high: line y is row y, its first line. Computed
    on each look-up instead of a list of every line rebuilt after every change."""

    def __init__(self, table: DataTable[Any]) -> None:
        self.table = table

    def __len__(self) -> int:
        return len(self.table.rows)

    def __getitem__(self, y: int) -> tuple[RowKey, int]:
        if not 0 <= y < len(self.table.rows):
            raise IndexError(y)
        return self.table._row_locations.get_key(y), 0

    def clear(self) -> None:
        """DataTable.clear empties its list; there is none here."""


class RowsDrawn(Message):
    """A LongTable has drawn lines of its rows, the first since it was empty: work that would hold
    up the event loop can start once a person sees the rows. (Declared beside the widget, not in
    it: it is the widget's news for whatever holds it, not a page's request or answer.)"""

    def __init__(self, table: LongTable) -> None:
        super().__init__()
        self.table = table

    @property
    def control(self) -> LongTable:
        return self.table


class LongTable(DataTable[Text]):
    """A DataTable of one-line rows of `Text` cells that takes thousands of them in batches."""

    _rows_to_announce = False  # rows came to an empty table and are not drawn yet

    def append_rows(self, rows: Sequence[tuple[str, Sequence[Text]]]) -> None:
        """(key, cells) rows at the bottom in one step: one size change for the batch, and the
        lines already drawn kept unless a column grew. Cells are Text (a str cell would be read as
        Rich markup)."""
        if not rows:
            return
        columns = self.ordered_columns
        column_keys = [column.key for column in columns]
        widths = [column.content_width for column in columns]
        start = len(self.rows)
        locations, data, metadata = self._row_locations, self._data, self.rows
        for index, (key, cells) in enumerate(rows, start):
            if len(cells) > len(columns):
                raise ValueError("More values provided than there are columns.")
            row_key = RowKey(key)
            if row_key in locations:
                raise DuplicateKey(f"The row key {row_key!r} already exists.")
            locations[row_key] = index
            data[row_key] = dict(zip(column_keys, cells))
            metadata[row_key] = Row(row_key, 1)
            for column, cell in enumerate(cells):
                widths[column] = max(widths[column], text_width(cell))
        if start == 0 or any(column.content_width != width for column, width in zip(columns, widths)):
            for column, width in zip(columns, widths):
                column.content_width = width
            self._update_count += 1  # every line drawn again; else the lines already drawn stay as they are
        self._resize_virtual()
        if start == 0:
            self._rows_to_announce = True
            if self.show_cursor and self.cursor_type != "none":
                self._highlight_cursor()  # as add_row does: the first row is now under the cursor
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        if self._rows_to_announce and self.row_count:
            self._rows_to_announce = False
            # made in the table's own turn: made while the screen draws, the message would stop at the screen's child
            self.call_later(lambda: self.post_message(RowsDrawn(self)))
        return lines

    def add_row(self, *cells: Any, height: int | None = 1, key: str | None = None, label: Any = None) -> RowKey:
        """One row (DataTable's own path, measured on idle); only one line high and unlabelled."""
        if height != 1 or label is not None:
            raise ValueError("a LongTable's rows are one line high, without a label")
        return super().add_row(*cells, height=height, key=key)

    # -- DataTable's bookkeeping, for rows one line high ---------------------------------------
    @property
    def _y_offsets(self) -> _LineIndex:  # type: ignore[override]
        return _LineIndex(self)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """On idle, after add_row or clear: the new rows' widths, then the scrollable size."""
        columns = self.ordered_columns
        for row_key in new_rows:
            cells = self._data.get(row_key)
            for column in columns if cells is not None else ():
                cell = default_cell_formatter(cells.get(column.key), wrap=False, height=1)
                width = text_width(cell) if isinstance(cell, Text) else measure(self.app.console, cell, 1)
                column.content_width = max(column.content_width, width)
        self._resize_virtual()

    def _resize_virtual(self) -> None:
        width = sum(column.get_render_width(self) for column in self.columns.values())
        size, before = Size(width, len(self.rows) + (self.header_height if self.show_header else 0)), self.virtual_size
        if size.width == before.width and size.height >= before.height and self.show_vertical_scrollbar:
            # Only taller, and already scrolling: the table keeps its place and size on the screen and only its
            # scrollbar changes (a layout of the whole screen for each batch was most of the cost of a long list).
            self.set_reactive(DataTable.virtual_size, size)
            self._scroll_update(size)
            self.refresh()
        else:
            self.virtual_size = size

    def _get_row_region(self, row_index: int) -> Region:
        if not self.is_valid_row_index(row_index):
            return Region(0, 0, 0, 0)
        width = sum(column.get_render_width(self) for column in self.columns.values())
        return Region(0, row_index + (self.header_height if self.show_header else 0), max(self.size.width, width), 1)

    def _get_cell_region(self, coordinate: Any) -> Region:
        if not self.is_valid_coordinate(coordinate):
            return Region(0, 0, 0, 0)
        row_index, column_index = coordinate
        columns = self.ordered_columns
        x = sum(column.get_render_width(self) for column in columns[:column_index])
        return Region(x, row_index + (self.header_height if self.show_header else 0), columns[column_index].get_render_width(self), 1)
