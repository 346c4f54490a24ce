"""The two kinds of failure every command reports, with their exit codes."""

from __future__ import annotations


class WizardError(Exception):
    """The work failed (exit 1): a refused overwrite, a failed verdict, an API error.

    The message is one line that names the problem and, where there is one, the fix.
    """

    exit_code = 1


class InputError(WizardError):
    """Bad usage or invalid input (exit 2, argparse's own convention)."""

    exit_code = 2
