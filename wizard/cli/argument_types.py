"""The values the command line's options take (argparse `type=` converters): each refuses what it
cannot use with a one-line reason argparse prints after the option's name.
"""

from __future__ import annotations

import argparse

from wizard.i18n import _


def whole_days(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{value} is not a whole number of days").format(value=repr(text))) from None


def positive_days(text: str) -> int:
    """A number of days, at least 1 (0 must never quietly mean the default)."""
    value = whole_days(text)
    if value < 1:
        raise argparse.ArgumentTypeError(_("{value}: give at least 1 day").format(value=repr(text)))
    return value


def days_ahead(text: str) -> int:
    """A number of days from today, 0 or more (--warn-days 0: only what has expired)."""
    value = whole_days(text)
    if value < 0:
        raise argparse.ArgumentTypeError(_("{value}: give a number of days, 0 or more").format(value=repr(text)))
    return value


def timeout_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{value} is not a number of seconds").format(value=repr(text))) from None
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(_("{value}: give a timeout of more than 0 and at most 600 seconds").format(value=repr(text)))
    return value


def listen_host(text: str) -> str:
    """An address to listen on: an IP address (0.0.0.0 and :: too) or a host name within DNS
    limits, read as strictly as an address to connect to (wizard.handshake.names.host_problem)."""
    from wizard.handshake.names import host_problem

    problem = host_problem(text, listening=True)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{value} is not a port number").format(value=repr(text))) from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(_("{value} is not a port number (0-65535)").format(value=repr(text)))
    return value


def workspace_folder(text: str) -> str:
    # Path("") is the current folder: an empty value must never quietly mean "here".
    if not text.strip():
        raise argparse.ArgumentTypeError(_("is empty: give a folder, e.g. --workspace ./mtls-workspace"))
    return text
