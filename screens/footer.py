"""The pages' footer: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer composes no key until the screen announces its bindings, then rebuilds itself (a
widget per key, 20-30 of them here) at each announcement: three times as a page opens (it is
resumed, the page below is suspended, a field takes the focus) and at every focus change, Tab
included. Each rebuild lays the whole page out again, 7-12 ms a time on a 2-core machine, for a
footer that showed the same keys. This one rebuilds only when what it would show differs from
what it shows (a key enabled or disabled, another language, the focus on a widget with keys of its
own). Its keys still come after the page's first layout, as Textual's do: made with the page, they
would lengthen its longest pause, and entering a page is what must not stall.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer


class PageFooter(Footer):
    _shown: tuple[Any, ...] | None = None  # what the keys shown were made from (None: no key made yet)

    def keys_shown(self) -> tuple[Any, ...]:
        """Everything Footer.compose makes the keys from."""
        active = self.screen.active_bindings
        shown = tuple((key, binding, enabled, tooltip, self.app.get_key_display(binding))
                      for key, (_node, binding, enabled, tooltip) in active.items() if binding.show)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING) if self.show_command_palette else None
        return self.compact, shown, palette

    def compose(self) -> ComposeResult:
        # (Footer composes no key until the screen has announced its bindings once.)
        self._shown = self.keys_shown() if getattr(self, "_bindings_ready", True) else None
        yield from super().compose()

    async def recompose(self) -> None:
        if self.is_attached and (self._shown is None or self.keys_shown() != self._shown):
            await super().recompose()
