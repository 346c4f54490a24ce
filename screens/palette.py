"""The command palette: Textual's own, with its one sentence of its own in the reader's language.

Textual writes "No matches found" into the list itself when a search finds nothing; the wizard's
words for it replace that option's text as the list is shown."""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import OptionDoesNotExist

from wizard.i18n import _


class WizardPalette(CommandPalette):
    def _watch__list_visible(self) -> None:
        super()._watch__list_visible()
        try:
            self.query_one(CommandList).replace_option_prompt(self._NO_MATCHES, Align.center(Text(_("No matches found"), style="not bold")))
        except OptionDoesNotExist:
            pass  # a search that found something: nothing of Textual's to say
