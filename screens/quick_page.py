"""How a page opens quickly: Textual's steps for a new screen that were done twice are done once.

Measured in bench/bench_stall.py, entering a page was, besides building its widgets, restyling all
of them again on its first ScreenResume and laying the whole page out and drawing it twice (once
for the resume, once more for the Resize that first layout sends the page itself), all in one
pause of the event loop. A page shown for the first time keeps the styles it got as it mounted, is
laid out once, and lets the loop run once between being built and being drawn.
"""

from __future__ import annotations

import asyncio

from textual import events, on
from textual.screen import Screen


class QuickPage(Screen):
    """A screen that opens with each of Textual's steps done once; `back_on_page` when shown again."""

    _shown = False  # resumed once: a page's first resume is its first showing

    @on(events.ScreenResume)
    def _resumed(self, event: events.ScreenResume) -> None:
        if self._shown:
            self.back_on_page()
            return
        # Shown for the first time: it was styled and synced as it mounted, a moment ago. Textual
        # restyles every widget on every resume; here that was a third of entering a page.
        self._shown = True
        event.refresh_styles = False

    @on(events.Mount)
    async def _between_building_and_drawing(self) -> None:
        # The page is built (composed, styled, filled); its layout and drawing come next. Letting the
        # loop run once in between (a key, a timer) makes entering a page two shorter pauses, not one.
        await asyncio.sleep(0.001)

    @on(events.Resize)
    def _laid_out_already(self, event: events.Resize) -> None:
        # A page's first layout sends the page itself a Resize to the size it was just laid out at,
        # and Textual lays the whole page out and draws it again for it: skipped when nothing changed
        # (a terminal resized arrives with a size the page does not have yet).
        if event.size == self.size and event.virtual_size == self.virtual_size:
            event.prevent_default()

    def back_on_page(self) -> None:
        """This page is on top again (a dialog over it closed): show what happened meanwhile."""
