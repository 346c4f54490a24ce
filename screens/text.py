"""Light text helpers for the screens: the step texts' small Markdown subset rendered with
Rich (headings, paragraphs, lists, **bold**, *italic*, `code`, links), and paths shown
with ~ for the home folder.

Textual's Markdown widget would pull in a full Markdown parser and mount a widget per
block; the texts use a handful of constructs, so a few regular expressions do, and the
first screen paints sooner.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text

# An *italic* run may touch Chinese (which has no spaces between words), not a Latin word or digit:
# 2*3*4 stays as it is.
_INLINE = re.compile(r"\*\*(?P<bold>.+?)\*\*|`(?P<code>[^`]+)`|(?<![A-Za-z0-9_*])\*(?P<italic>[^*\s][^*]*?)\*(?![A-Za-z0-9_])|\[(?P<link>[^\]]+)\]\([^)]*\)")
_ITEM = re.compile(r"^(?P<indent>\s*)(?P<marker>[-*]|\d+[.)])\s+(?P<text>.*)$")
_HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<text>.*?)\s*#*$")
# Chinese breaks between any two characters (Rich breaks only at spaces): one CJK character,
# or a run of other non-space characters (an ASCII word stays whole), with its trailing spaces.
_CJK_CHARS = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\u2018-\u201d"
_CJK_RANGES = (("\u2e80", "\u9fff"), ("\uf900", "\ufaff"), ("\uff00", "\uffef"), ("\u3000", "\u303f"))
_NO_LINE_START = set("，。、；：？！）」』”’》】…%")
_NO_LINE_END = set("（「『“‘《【")


def _has_cjk(plain: str) -> bool:
    # Most texts are English: one max() in C decides (compiling a range regex at import cost
    # the first paint a few milliseconds). Curly quotes alone do not make a text Chinese.
    if not plain or max(plain) < "\u2e80":
        return False
    return any(low <= char <= high for char in plain for low, high in _CJK_RANGES)


@lru_cache(maxsize=1)
def _unit() -> re.Pattern[str]:
    return re.compile(f"(?:[{_CJK_CHARS}]|[^\\s{_CJK_CHARS}]+)\\s*|\\s+")


def padded(label: str, width: int, at_least: int = 0) -> str:
    """`label` filled to `width` terminal cells (a Chinese character takes two), followed by
    at least `at_least` spaces (so a label as long as its column never touches its value)."""
    return label + " " * max(at_least, width - cell_len(label))


def display_path(path: str | Path) -> str:
    """A path as shown on screen: the home folder as ~ (shorter, and the same on every machine)."""
    text = str(path)
    home = os.path.expanduser("~")
    if home and home != "/" and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home):]
    return text


def inline(source: str) -> Text:
    """One paragraph's inline markup as styled text."""
    text = Text()
    position = 0
    for match in _INLINE.finditer(source):
        text.append(source[position:match.start()])
        if match.group("bold") is not None:
            start = len(text)
            text.append_text(inline(match.group("bold")))
            text.stylize("bold", start, len(text))
        elif match.group("code") is not None:
            text.append(match.group("code"), style="bold cyan")
        elif match.group("italic") is not None:
            text.append(match.group("italic"), style="italic")
        else:
            text.append(match.group("link"), style="underline")
        position = match.end()
    text.append(source[position:])
    return text


class _Paragraph:
    """Styled text that wraps Chinese between characters; text without Chinese is left to Rich."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        if not _has_cjk(self.text.plain):
            return Measurement.get(console, options, self.text)
        return Measurement(min(4, self.text.cell_len), self.text.cell_len)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not _has_cjk(self.text.plain):
            yield self.text
            return
        lines = self.text.divide(_break_offsets(self.text.plain, options.max_width))
        for line in lines:
            line.rstrip()
        yield Text("\n").join(lines)


def wrapped(text: Text) -> RenderableType:
    """`text` (its lines kept) wrapping Chinese between characters, e.g. in a table cell, where
    Rich alone would cut a long Chinese line with "…" for want of spaces."""
    lines = text.split("\n", allow_blank=True)
    return _Paragraph(text) if len(lines) == 1 else Group(*(_Paragraph(line) for line in lines))


def _units(plain: str) -> list[tuple[int, str]]:
    """(offset, unit) pairs; closing punctuation sticks to what precedes it, opening to what follows."""
    units: list[tuple[int, str]] = []
    for match in _unit().finditer(plain):
        unit = match.group()
        if units and (unit[0] in _NO_LINE_START or units[-1][1][-1] in _NO_LINE_END):
            units[-1] = (units[-1][0], units[-1][1] + unit)
        else:
            units.append((match.start(), unit))
    return units


def _break_offsets(plain: str, width: int) -> list[int]:
    offsets: list[int] = []
    used = 0
    for start, unit in _units(plain):
        length = cell_len(unit.rstrip())
        if used + length > width and length > width:  # longer than a line: fold it from here
            for position, char in enumerate(unit, start):
                if used + cell_len(char) > width and not char.isspace():
                    offsets += [position] if position else []
                    used = 0
                used += cell_len(char)
            continue
        if used + length > width and used and start:
            offsets.append(start)
            used = 0
        used += cell_len(unit)
    return offsets


def _blocks(source: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in source.strip().splitlines():
        if not line.strip():
            if blocks[-1]:
                blocks.append([])
            continue
        starts_list = _ITEM.match(line) and blocks[-1] and not _ITEM.match(blocks[-1][0])
        if (_HEADING.match(line) or starts_list) and blocks[-1]:
            blocks.append([])  # a heading or a list may follow a paragraph without a blank line
        blocks[-1].append(line)
        if _HEADING.match(line):
            blocks.append([])
    return [block for block in blocks if block]


def markdown(source: str) -> RenderableType:
    """The step texts' Markdown as a Rich renderable (blank line between blocks)."""
    parts: list[RenderableType] = []
    for block in _blocks(source):
        heading = _HEADING.match(block[0])
        if heading:
            level = len(heading.group("level"))
            style = "bold underline" if level == 1 else "bold"
            parts.append(Text(heading.group("text"), style=style, justify="center" if level == 1 else "left"))
        elif _ITEM.match(block[0]):
            parts.append(_list(block))
        else:
            parts.append(_Paragraph(inline(" ".join(line.strip() for line in block))))
        parts.append(Text(""))
    if parts:
        parts.pop()
    return _Document(Group(*parts))


def _list(block: list[str]) -> _List:
    items: list[tuple[str, str]] = []
    for line in block:
        match = _ITEM.match(line)
        if match:
            marker = match.group("marker")
            items.append(("•" if marker in "-*" else marker, match.group("text").strip()))
        elif items:
            items[-1] = (items[-1][0], items[-1][1] + " " + line.strip())
    return _List([(marker, inline(text)) for marker, text in items])


class _List:
    """A list with hanging indents: each marker right-aligned in its column, a space, and the item
    wrapped beside it. It draws what a two-column Rich grid drew, at about half the cost: the grid
    measured every cell before drawing it."""

    def __init__(self, items: list[tuple[str, Text]]) -> None:
        self.items = [(" " + marker, _Paragraph(text)) for marker, text in items]
        self.marker_width = max(cell_len(marker) for marker, _paragraph in self.items)

    def _measures(self, console: Console, options: ConsoleOptions) -> list[Measurement]:
        room = options.update_width(max(1, options.max_width - self.marker_width - 1))
        return [Measurement.get(console, room, paragraph) for _marker, paragraph in self.items]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        indent = self.marker_width + 1
        measures = self._measures(console, options)
        return Measurement(indent + max(m.minimum for m in measures), indent + max(m.maximum for m in measures))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # As wide as the widest item allows, no wider (as the grid was): short items are not padded out.
        width = max(m.maximum for m in self._measures(console, options))
        item_options = options.update(width=max(1, width), height=None)
        hanging = Segment(" " * (self.marker_width + 1))
        for marker, paragraph in self.items:
            first = Segment(" " * (self.marker_width - cell_len(marker)) + marker + " ")
            for index, line in enumerate(console.render_lines(paragraph, item_options, pad=True)):
                yield first if index == 0 else hanging
                yield from line
                yield Segment.line()


class _Document:
    """A text's drawing kept per width. Textual draws a text to learn its height and again to show
    it, at each width a page is laid out at: the welcome text was drawn six times as it opened."""

    _KEPT = 8  # widths kept (a terminal being resized passes through many)

    def __init__(self, parts: Group) -> None:
        self.parts = parts
        self._drawn: dict[tuple[object, ...], list[Segment]] = {}

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.parts)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # The parts ignore the height (they are as tall as their lines): it is left out of the key.
        key = (options.max_width, options.justify, options.overflow, options.no_wrap, options.encoding)
        drawn = self._drawn.get(key)
        if drawn is None:
            if len(self._drawn) >= self._KEPT:
                self._drawn.clear()
            drawn = self._drawn[key] = list(console.render(self.parts, options.update(height=None)))
        yield from drawn
