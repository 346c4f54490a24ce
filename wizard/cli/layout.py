"""Columns and wrapping measured in terminal cells, not characters.

A Chinese character takes two cells: a label padded with str.ljust or a paragraph wrapped by
textwrap would misalign the columns or run past 80 columns. Text without wide characters is
laid out exactly as before (the English output does not change by a byte).
"""

from __future__ import annotations

import re
import textwrap
import unicodedata

# Full-width punctuation that must not start a line (it stays with the character before it),
# and that must not end one (it stays with the character after it).
_CLOSING = set("，。、；：！？）」』》〉】”’")
_OPENING = set("（「『《〈【“‘")
_TOKEN = re.compile(r"\s+|[^\s]")


def cells(text: str) -> int:
    """How many terminal cells `text` takes."""
    if text.isascii():  # one cell each (the common case, and `client list` measures thousands of names)
        return len(text)
    return sum(0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
               for char in text)


def pad(text: str, width: int, at_least: int = 0) -> str:
    """`text` left-aligned in `width` cells (never cut), followed by at least `at_least` spaces."""
    return text + " " * max(at_least, width - cells(text))


def pad_left(text: str, width: int) -> str:
    """`text` right-aligned in `width` cells (never cut)."""
    return " " * max(0, width - cells(text)) + text


def label(text: str, width: int) -> str:
    """A label column `width` cells wide: a label as long as the column still gets one space."""
    return pad(text, width, at_least=1)


def fill(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "", break_on_hyphens: bool = True) -> str:
    """textwrap.fill by cells: a line breaks between words or between two wide characters."""
    return "\n".join(wrap(text, width, initial_indent, subsequent_indent, break_on_hyphens))


def wrap(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "", break_on_hyphens: bool = True) -> list[str]:
    """textwrap.wrap by cells (the very same lines for text without wide characters). Without
    `break_on_hyphens` a header name or an --option stays whole on its line, to be copied as it is."""
    if cells(text) == len(text):
        return textwrap.wrap(text, width=width, initial_indent=initial_indent, subsequent_indent=subsequent_indent,
                             break_on_hyphens=break_on_hyphens)
    lines, line, space = [], initial_indent, False
    for token in _tokens(text):
        if token.isspace():
            space = True
            continue
        piece = (" " if space and line.strip() else "") + token
        if line.strip() and cells(line) + cells(piece) > width:
            lines.append(line)
            line = subsequent_indent + token
        else:
            line += piece
        space = False
    if line.strip():
        lines.append(line)
    return lines


def _tokens(text: str) -> list[str]:
    """Words of narrow characters, single wide characters (punctuation kept with its
    neighbour) and runs of spaces."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        piece = match.group(0)
        wide = not piece.isspace() and cells(piece) == 2
        previous = tokens[-1] if tokens else ""
        if piece in _CLOSING and previous and not previous.isspace() or previous[-1:] in _OPENING and not piece.isspace():
            tokens[-1] += piece
        elif not piece.isspace() and not wide and previous and not previous.isspace() and cells(previous[-1]) == 1:
            tokens[-1] += piece  # a narrow character continues a narrow word
        else:
            tokens.append(piece)
    return tokens
