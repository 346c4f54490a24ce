"""The README opens with a quick start, and docs/reference.md, the command reference it links,
names every command and option the parser has (issue 27: the reference was 58% of the README)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from wizard.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
REFERENCE = ROOT / "docs" / "reference.md"
FIRST_SCREEN = 30  # lines of Markdown: what a terminal or a repository page shows before scrolling


def commands_and_options() -> list[tuple[str, str]]:
    """(command, option) for every long option of every command, ('command', '') for each command."""
    found: list[tuple[str, str]] = []

    def walk(parser: argparse.ArgumentParser, command: str) -> None:
        for action in parser._actions:  # noqa: SLF001 - argparse keeps them there
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                for name, sub in action.choices.items():
                    found.append((f"{command} {name}".strip(), ""))
                    walk(sub, f"{command} {name}".strip())
            else:
                found.extend((command, option) for option in action.option_strings if option.startswith("--") and option != "--help")

    walk(build_parser(), "")
    return found


def test_the_readme_opens_with_a_quick_start() -> None:
    first = "\n".join(README.read_text(encoding="utf-8").splitlines()[:FIRST_SCREEN])
    for needed in ("## Quick start", "python3-venv", "python3 -m venv .venv", "pip install .", "\nmtls-wizard",
                   "practice on this machine", "mtls-wizard practice", "Tab", "Enter", "Alt+N", "Ctrl+P", "Language / 语言",
                   "F1", "](docs/reference.md)"):
        assert needed in first, f"the README's first screen does not have {needed!r}"


def test_the_reference_names_every_command_and_option() -> None:
    reference = REFERENCE.read_text(encoding="utf-8")
    headings = "\n".join(line for line in reference.splitlines() if line.startswith("#"))
    missing = [(command, option) for command, option in commands_and_options()
               if (option and option not in reference) or (not option and command.split()[-1] not in headings)]
    assert len(commands_and_options()) > 50
    assert not missing, missing


def test_the_readme_links_only_files_that_exist() -> None:
    for document in (README, REFERENCE):
        for target in re.findall(r"\]\(([^)#\s]+)[^)]*\)", document.read_text(encoding="utf-8")):
            if "://" not in target:
                assert (document.parent / target).exists(), f"{document.name} links {target}, which does not exist"
