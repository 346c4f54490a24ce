"""The command-line face: no command starts the TUI; every step also runs as a plain command.

Exit codes: 0 success; 1 the work failed; 2 bad usage or invalid input. Argument parsing,
the command handlers and all printing for the terminal live in this package; the core
(the rest of `wizard`) never prints and never imports it. Textual is imported only when
the TUI starts, so plain commands start fast.
"""

from __future__ import annotations

import gc
import sys
import warnings
from collections.abc import Callable, Sequence
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


def _streams_that_never_fail() -> None:
    """Output that cannot be encoded (an ASCII-only or GBK terminal, PYTHONIOENCODING=ascii)
    is escaped, never an error after the files are written; and Chinese that the terminal
    cannot show falls back to English."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass
    if i18n.current_language() == i18n.CHINESE and not all(_can_encode(stream, "中文：") for stream in (sys.stdout, sys.stderr)):
        i18n.set_language(i18n.ENGLISH)


def _can_encode(stream: object, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      file: object = None, line: str | None = None) -> None:
    """A library's warning (e.g. a certificate name over X.509's length limit) as one of our
    warning lines, without the source path and line it came from."""
    print(_("{prog}: warning: {message}").format(prog=PROG, message=printable(message)), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    collecting = gc.isenabled()
    # Starting allocates a great deal and frees almost nothing: collecting meanwhile only costs time.
    # A command turns the collector on before it runs (_run_command), the wizard once it is up
    # (wizard.app.quiet_collection).
    gc.disable()
    try:
        return _main(argv)
    finally:
        (gc.enable if collecting else gc.disable)()  # as it was found


def _main(argv: Sequence[str] | None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    i18n.set_language(i18n.choose_language(requested_language(arguments)))
    _streams_that_never_fail()
    warnings.showwarning = _one_line_warning
    try:
        if arguments:
            from wizard.cli.parser import parse_arguments

            args = parse_arguments(arguments)
        else:
            # The wizard itself, as most people start it: no grammar to build (faster first paint).
            args = SimpleNamespace(workspace=None, handler=None)
        handler = getattr(args, "handler", None) or start_tui
        return handler(args) if handler is start_tui else _run_command(handler, args)
    except WizardError as error:
        print(_("{prog}: error: {message}").format(prog=PROG, message=printable(error)), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return _interrupted()
    except BrokenPipeError:
        return 1
    except Exception as error:  # noqa: BLE001 - the promise is: never a traceback
        if isinstance(error.__cause__, KeyboardInterrupt):  # Ctrl+C inside an import (a class being made)
            return _interrupted()
        print(_("{prog}: error: unexpected {error_type}: {message} (please report this)").format(
            prog=PROG, error_type=type(error).__name__, message=printable(error)), file=sys.stderr)
        return 1


def _run_command(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """A command, saying at once (on stderr) when taking the workspace lock finished or rolled back
    a replacement a killed run left, whatever the command."""
    from wizard.cli.common import warn
    from wizard.workspace import tell_recoveries_to

    tell_recoveries_to(warn)
    gc.enable()  # some commands run long (serve, web, thousands of clients)
    try:
        return handler(args)
    finally:
        tell_recoveries_to(None)


def _interrupted() -> int:
    print(_("{prog}: interrupted").format(prog=PROG), file=sys.stderr)
    return 130
