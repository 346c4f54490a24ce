"""argparse's own words (`usage:`, `options`, its error messages) through our catalogs.

argparse translates with gettext's global domain, which is not ours: pointing its `_` at
ours lets `--help` and argparse's errors speak the chosen language too. The texts are
listed here so the extractor puts them in the catalog (as Python 3.11-3.13 word them).
"""

from __future__ import annotations

import argparse

from wizard import i18n
from wizard.i18n import N_

ARGPARSE_TEXTS = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("expected at most one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("ignored explicit argument %r"),
    N_("can't open '%(filename)s': %(error)s"),
)


def speak_our_language() -> None:
    argparse._ = i18n._  # type: ignore[attr-defined]
    argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]
