"""The command-line face: no command starts the TUI; every step also runs as a plain command.

Exit codes: 0 success; 1 the work failed; 2 bad usage or invalid input. Argument parsing,
the command handlers and all printing for the terminal live in this package; the core
(the rest of `wizard`) never prints and never imports it. Textual is imported only when
the TUI starts, so plain commands start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING

from wizard import i18n
from wizard.defaults import PROG
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.safe_text import printable

if TYPE_CHECKING:
    import argparse

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from wizard.cli.parser import build_parser as build

    return build()


def start_tui(args: argparse.Namespace | SimpleNamespace) -> int:
    try:
        from wizard.app import run_app
    except ImportError as error:
        raise WizardError(_("the wizard's screens cannot start ({error}): reinstall with pip install mtls-wizard").format(error=error)) from None
    workspace = args.workspace
    if workspace is not None and not workspace.strip():
        raise InputError(_("--workspace is empty: give a folder, e.g. --workspace ./mtls-workspace"))
    return int(run_app(workspace=workspace) or 0)


def requested_language(arguments: Sequence[str]) -> str | None:
    """The value of --lang, wherever it is given (the texts of --help need it before argparse runs)."""
    for index, argument in enumerate(arguments):
        if argument == "--":
            break
        if argument == "--lang" and index + 1 < len(arguments):
            return arguments[index + 1]
        if argument.startswith("--lang="):
            return argument.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    i18n.set_language(i18n.choose_language(requested_language(arguments)))
    if arguments:
        args = build_parser().parse_args(arguments)
    else:
        # The wizard itself, as most people start it: no grammar to build (faster first paint).
        args = SimpleNamespace(workspace=None, handler=None)
    handler = getattr(args, "handler", None) or start_tui
    try:
        return handler(args)
    except WizardError as error:
        print(_("{prog}: error: {message}").format(prog=PROG, message=printable(error)), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(_("{prog}: interrupted").format(prog=PROG), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as error:  # noqa: BLE001 - the promise is: never a traceback
        print(_("{prog}: error: unexpected {error_type}: {message} (please report this)").format(
            prog=PROG, error_type=type(error).__name__, message=printable(error)), file=sys.stderr)
        return 1
