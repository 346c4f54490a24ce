"""Only the grammar of the command being run.

Building every command's options costs more than a fast command's own work (argparse makes a
help formatter, asking the terminal its size, for each of some two hundred options), so the
parser names every command, for `--help` and for the check of a command's name, but fills in
the options of the one command the arguments name. When that guess is wrong (a command
whose options were left out is the one argparse picks), parsing starts again with everything.
"""

from __future__ import annotations

import argparse
from typing import Any

# The top level's options that take a value (what follows them is not a command's name).
_TOP_LEVEL_WITH_VALUE = ("--workspace", "--lang")
_SHORT_WITH_VALUE = ("-w",)


class OptionsLeftOut(Exception):
    """argparse chose a command whose options were not built: parse again with every command."""


class _Unfilled:
    """What the grammar of a command not being run is written into: nowhere. Every call
    (add_argument, set_defaults, add_subparsers, add_parser, ...) is taken and dropped."""

    def __getattr__(self, _name: str) -> Any:
        return self._take

    def _take(self, *_args: object, **_kwargs: object) -> _Unfilled:
        return self


class OnlyCommand:
    """`add_subparsers`' action as the grammar's builders use it: every command is named (with
    its help, for the list in --help), and only `only`'s parser is handed back to be filled in."""

    def __init__(self, commands: argparse._SubParsersAction, only: str | None) -> None:
        self._commands, self._only = commands, only

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if self._only is None or name == self._only:
            return self._commands.add_parser(name, **kwargs)
        parser = self._commands.add_parser(name, **kwargs, add_help=False)  # not even -h: nothing parses with it
        parser.options_left_out = True
        return _Unfilled()


def command_named(arguments: list[str]) -> str | None:
    """The command `arguments` name: their first word that is neither an option nor the value of
    a top-level option (None when there is none, or after `--`)."""
    takes_value = False
    for token in arguments:
        if takes_value:
            takes_value = False
        elif token == "--":
            return None
        elif token.startswith("-"):
            takes_value = token in _SHORT_WITH_VALUE or (
                token.startswith("--") and "=" not in token and any(option.startswith(token) for option in _TOP_LEVEL_WITH_VALUE))
        else:
            return token
    return None
