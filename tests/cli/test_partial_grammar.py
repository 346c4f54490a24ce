"""The command line is parsed with the grammar of its own command only (wizard.cli.partial_grammar):
every command line parses to what the whole grammar makes of it, help included, and a wrong
guess of the command starts again with everything."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from wizard.cli import parser as grammar
from wizard.cli.partial_grammar import OptionsLeftOut, command_named


def every_command_path(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for action in parser._actions:  # argparse keeps them there
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*path, name))
                found += every_command_path(sub, (*path, name))
    return found


COMMANDS = every_command_path(grammar.build_parser())


def outcome(parse: object, arguments: list[str]) -> tuple[object, str, str]:
    """What parsing `arguments` gives: the namespace (its handler by module and function) or the
    exit code, with what was printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            namespace = parse(arguments)  # type: ignore[operator]
        except SystemExit as leaving:
            return leaving.code, out.getvalue(), err.getvalue()
    fields = vars(namespace).copy()
    handler = fields.pop("handler", None)
    named = tuple(cell.cell_contents for cell in handler.__closure__ or ()) if handler else None
    return (fields, named), out.getvalue(), err.getvalue()


def whole_grammar(arguments: list[str]) -> argparse.Namespace:
    return grammar.build_parser().parse_args(arguments)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_each_command_help_is_the_same_from_its_own_grammar(path: tuple[str, ...]) -> None:
    arguments = [*path, "--help"]
    assert outcome(grammar.parse_arguments, arguments) == outcome(whole_grammar, arguments)


@pytest.mark.parametrize("arguments", [
    ["--help"],
    ["--workspace", "ws", "status", "--json"],
    ["-w", "ws", "status"],
    ["-wws", "status", "--days", "40"],
    ["--workspace=ws", "--lang", "zh_CN", "client", "list", "--json"],
    ["--work", "check", "status"],  # a workspace named like a command, its option abbreviated
    ["--lang=en", "check", "127.0.0.1:8443", "--timeout", "3", "--sni", "example.com"],
    ["check", "127.0.0.1:8443", "--trust", "system", "--client", "alice"],
    ["client", "issue", "alice", "--workspace", "ws"],
    ["elb", "export", "--workspace", "ws"],
    ["renew", "server", "--workspace", "ws"],
    ["chek", "127.0.0.1:8443"],  # not a command: the full list of choices
    ["check"],  # an address is needed
    ["status", "--no-such-option"],
    ["--workspace"],
    [],
], ids=repr)
def test_a_command_line_parses_as_with_the_whole_grammar(arguments: list[str]) -> None:
    assert outcome(grammar.parse_arguments, arguments) == outcome(whole_grammar, arguments)


def test_the_grammar_of_one_command_names_every_command_but_builds_one() -> None:
    only_check = grammar.build_parser("check")
    assert every_command_path(only_check) == [path for path in COMMANDS if len(path) == 1]
    assert only_check.parse_args(["check", "127.0.0.1:8443"]).command == "check"
    with pytest.raises(OptionsLeftOut):
        only_check.parse_args(["status"])


def test_a_wrong_guess_of_the_command_parses_again_with_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grammar, "command_named", lambda _arguments: "check")
    arguments = ["status", "--days", "40", "--json"]
    assert outcome(grammar.parse_arguments, arguments) == outcome(whole_grammar, arguments)


@pytest.mark.parametrize(("arguments", "named"), [
    (["check", "x"], "check"),
    (["--workspace", "check", "status"], "status"),
    (["--workspace=check", "status"], "status"),
    (["-w", "check", "status"], "status"),
    (["-wcheck", "status"], "status"),
    (["--w", "check", "status"], "status"),
    (["--lang", "en", "client", "list"], "client"),
    (["--version"], None),
    (["--", "status"], None),
    ([], None),
])
def test_the_command_named_is_the_first_word_no_option_takes(arguments: list[str], named: str | None) -> None:
    assert command_named(arguments) == named
