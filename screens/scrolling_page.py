"""The base of every page whose text scrolls (the welcome page, the step pages, the Clients page),
in a module of its own: the welcome page, the first one painted, imports it without the step pages'
widgets and dialogs in screens/base.py (Textual builds each widget class as it is imported, and
those took about 3 ms of start-up)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Select

from screens.language import Translated
from screens.quick_page import QuickPage
from wizard.i18n import N_

if TYPE_CHECKING:
    from textual.widget import Widget


class ScrollingPage(Translated, QuickPage):
    """A page whose long text scrolls with PgUp/PgDn, so the text itself is no focus stop:
    Tab moves between fields and buttons only."""

    BINDINGS = [
        Binding("pageup", "scroll_page(-1)", N_("Scroll"), show=False),
        Binding("pagedown", "scroll_page(1)", N_("Scroll"), show=False),
    ]
    SCROLLER = "#body"

    def action_scroll_page(self, direction: int) -> None:
        body = self.query_one(self.SCROLLER, VerticalScroll)
        (body.scroll_page_down if direction > 0 else body.scroll_page_up)(animate=False)

    def fit_menus(self, within: Widget | None = None) -> None:
        """A choice list opens below its field: scroll the field to the top of the page first,
        so the list fits above the footer at 80x24 instead of covering it and the labels.
        (`within`: only the choice lists mounted there since.)"""
        for select in (self if within is None else within).query(Select):
            self.watch(select, "expanded", self._room_maker(select), init=False)

    def _room_maker(self, select: Select[Any]) -> Callable[[bool], None]:
        def make_room(expanded: bool) -> None:
            if expanded:
                self.query_one(self.SCROLLER, VerticalScroll).scroll_to_widget(select, top=True, animate=False)
                self.call_after_refresh(self._fit_below, select)

        return make_room

    def _fit_below(self, select: Select[Any]) -> None:
        """Near the end of a page the field cannot scroll to the top: shorten the list (it
        scrolls) so it ends above the footer."""
        footer = self.query(Footer)
        limit = footer.first().region.y if footer else self.size.height
        top = select.region.bottom + 1  # the list opens one row below its field (its border)
        select.query_one("SelectOverlay").styles.max_height = min(max(3, limit - top), 12)
