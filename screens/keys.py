"""What the keyboard does the same way on every page and dialog of the wizard (screens.language's
Translated, the base of them all, mixes this in):

- Enter in a text field goes on to the next text field; in the last one it does the page's main
  action, the button `MAIN_ACTION` names (the first of them shown; the page's primary button by
  default). A disabled one is not pressed: the reason it is disabled is said instead. A page without
  such a button does nothing on Enter. (Enter on a button presses it, on a choice opens it: Textual's.)
- A field the focus comes to keeps its text, with the cursor at the end: Textual's Input selects
  all of it on focus, so one Backspace after Tab would erase an address.
- A page opens at its title (`open_at_title`): its first field gets the focus only when it is in
  view from there; otherwise Tab reaches it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from wizard.i18n import _

if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen[Any]
else:
    _Base = object


class FormKeys(_Base):
    """Enter, focus and the first view, for a Screen (listed before Screen in the bases)."""

    # The page's main action: the first shown button matching this selector. Its primary button by default.
    MAIN_ACTION: ClassVar[str] = "#body Button.-primary"
    # Where a page says why its main action is disabled (shown next to it).
    WHY_NOT: ClassVar[str] = ".why-disabled"

    # -- Enter ---------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = [widget for widget in self.focus_chain if isinstance(widget, Input)]
        if event.input in fields and event.input is not fields[-1]:
            fields[fields.index(event.input) + 1].focus()
            return
        self.main_action()

    def main_button(self) -> Button | None:
        """The button of the page's main action, as the page is now (None: there is none)."""
        if not self.MAIN_ACTION:
            return None
        return next((button for button in self.query(self.MAIN_ACTION).results(Button) if shown(button)), None)

    def main_action(self) -> None:
        """What Enter does from the form's last field: press the main button, or say why not."""
        button = self.main_button()
        if button is None:
            return
        if button.disabled:
            reason = self.why_not_now() or _("{button} is not possible yet: see what the page marks above").format(button=button.label)
            self.notify(reason, severity="warning")
            return
        button.press()

    def why_not_now(self) -> str:
        """The page's own words for why its main action is disabled ('' when it shows none), with
        the first field's complaint: at 80x24 the field it points to may be out of view."""
        reason = next(iter(self._shown_texts(self.WHY_NOT)), "")
        problem = next(iter(self._shown_texts(".note.-error")), "")
        return _("{reason} ({problem})").format(reason=reason, problem=problem) if reason and problem else reason

    def _shown_texts(self, selector: str) -> list[str]:
        return [text for widget in self.query(selector).results(Static) if shown(widget) and (text := str(widget.content).strip())]

    # -- focus ---------------------------------------------------------------------------
    def set_focus(self, widget: Widget | None, scroll_visible: bool = True, from_app_focus: bool = False) -> None:
        if isinstance(widget, Input) and widget is not self.focused and not from_app_focus:
            widget.select_on_focus = False  # (Textual's default selects it all)
            widget.cursor_position = len(widget.value)  # a mouse click then puts the cursor where it points
        super().set_focus(widget, scroll_visible, from_app_focus)  # type: ignore[misc]

    def open_at_title(self, scroller: str, first_field: str) -> None:
        """Show the page from its top (its title), and give the focus to its first field only
        when that is in view there: the focus never scrolls the title away."""
        body = self.query_one(scroller, VerticalScroll)
        body.scroll_home(animate=False, immediate=True)
        field = next((widget for widget in self.query(first_field) if widget in self.focus_chain), None)
        if field is not None and body.content_region.contains_region(field.region):
            self.set_focus(field, scroll_visible=False)


def shown(widget: Widget) -> bool:
    """Displayed, and so is everything it is in (a collapsed panel hides what it holds)."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))
