"""Text that came from a file or a peer, made safe to show.

A certificate subject, a SAN or a server's status line is chosen by whoever made it: an
ESC or BEL in it could retitle the terminal, clear the screen or hide a FAIL line, and a
bidirectional override can reorder what is shown. `printable` replaces every such
character by a visible escape (`\\x1b`, `\\u202e`), so the text reads the same and does
nothing.
"""

from __future__ import annotations

import unicodedata

# Format characters that reorder or hide text (bidi controls, zero-width joiners aside).
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """`text` with control, bidi and other non-printing characters shown as escapes."""
    value = str(text)
    if value.isprintable():
        return value
    out = []
    for char in value:
        category = unicodedata.category(char)
        if char in _BIDI or category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)


def has_control_characters(text: str) -> bool:
    """True when `text` holds a character `printable` would escape (a space is fine)."""
    return printable(text) != text


def first_control_character(text: str) -> str | None:
    """The first C0 control character or DEL (NUL, ESC, a tab, a line break) in `text`,
    escaped, or None: a password holding one cannot be typed back, and a NUL ends it early in
    C libraries. (Unicode's other separators may stay: they are typed and kept like letters.)"""
    found = next((char for char in text if ord(char) < 0x20 or char == "\x7f"), None)
    return None if found is None else _escape(found)
