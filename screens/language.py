"""The TUI in the chosen language, and switching it while the wizard runs.

Texts are translated where they are built (`wizard.i18n._`), so a screen speaks the new
language once it is composed again. `Translated` does that without losing anything the
person typed: it keeps every field's value (and which field had the focus), recomposes the
screen, and puts them back. Key bindings are declared in English on the class; their
footer descriptions are translated per instance, when the screen mounts and on a switch.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from textual._context import active_message_pump
from textual.binding import Binding
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget

from screens.keys import FormKeys
from wizard.i18n import _

_NO_VALUE = object()  # a message that carries no value
_SOURCES = "_binding_sources"  # per node: (key, action) -> (description, tooltip) as declared


def translate_bindings(node: DOMNode) -> None:
    """The node's binding descriptions in the current language (from the English declared)."""
    sources: dict[tuple[str, str], tuple[str, str]] = node.__dict__.setdefault(_SOURCES, {})
    bindings = node._bindings.key_to_bindings  # noqa: SLF001 - Textual has no public way to relabel
    for key, declared in bindings.items():
        relabelled: list[Binding] = []
        for binding in declared:
            description, tooltip = sources.setdefault((key, binding.action), (binding.description, binding.tooltip))
            relabelled.append(dataclasses.replace(binding, description=_(description) if description else "",
                                                  tooltip=_(tooltip) if tooltip else ""))
        bindings[key] = relabelled


def form_state(screen: Screen[Any]) -> dict[str, tuple[str, Any]]:
    """What the person entered or opened on `screen`, by widget id."""
    # Imported here: only a language switch needs them, and the first paint comes sooner.
    from textual.widgets import Checkbox, Collapsible, Input, RadioButton, Select, SelectionList, Switch, TextArea

    state: dict[str, tuple[str, Any]] = {}
    for widget in screen.query("*"):
        if not widget.id:
            continue
        if isinstance(widget, Input):
            state[widget.id] = ("value", widget.value)
        elif isinstance(widget, TextArea) and not widget.read_only:
            state[widget.id] = ("text", widget.text)
        elif isinstance(widget, Select):
            state[widget.id] = ("value", widget.value)
        elif isinstance(widget, (Checkbox, RadioButton, Switch)):
            state[widget.id] = ("value", widget.value)
        elif isinstance(widget, SelectionList):
            state[widget.id] = ("selected", list(widget.selected))
        elif isinstance(widget, Collapsible):
            state[widget.id] = ("collapsed", widget.collapsed)
    return state


def restore_form_state(screen: Screen[Any], state: dict[str, tuple[str, Any]]) -> None:
    from textual.widgets import SelectionList, TextArea

    for widget_id, (kind, value) in state.items():
        found = screen.query(f"#{widget_id}")
        if not found:
            continue
        widget = found.first()
        try:
            if kind == "text" and isinstance(widget, TextArea):
                widget.load_text(value)
            elif kind == "selected" and isinstance(widget, SelectionList):
                widget.deselect_all()
                for selected in value:
                    widget.select(selected)
            else:
                setattr(widget, kind, value)
        except Exception:  # noqa: BLE001 - a choice the new form no longer offers: keep its default
            continue


def outdated(message: Message) -> bool:
    """A field's Changed carrying a value the field no longer holds."""
    field: Any = getattr(message, "control", None)
    announced: Any = getattr(message, "value", _NO_VALUE)
    if announced is _NO_VALUE or not hasattr(field, "value"):
        return False
    try:
        return bool(field.value != announced)
    except Exception:  # noqa: BLE001 - values that cannot be compared: keep the message
        return False


class Translated(FormKeys, Screen[Any]):
    """A screen that can be shown again in another language without losing its form: every page
    and dialog of the wizard is one, and so shares the keys of screens.keys (Enter, focus)."""

    def on_mount(self) -> None:
        translate_bindings(self)

    async def _on_message(self, message: Message) -> None:
        # A field's Changed that no longer matches the field is old news: a newer one follows. A
        # rebuilt page's fields announce their first values and are then set back to what was
        # typed; handled after that, the first announcements would undo it.
        if not outdated(message):
            await super()._on_message(message)

    async def retranslate(self) -> None:
        """The page again in the current language. Rebuilt inside the page's own message loop: a
        message for it (a worker's result) that arrives meanwhile waits for the whole new form
        instead of finding it half taken down."""
        if active_message_pump.get(None) is self or not self.is_running:
            await self._rebuild_in_language()
            return
        rebuilt: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def rebuild() -> None:
            try:
                await self._rebuild_in_language()
            except Exception as error:  # noqa: BLE001 - handed to the caller, which raises it
                rebuilt.set_exception(error)
            else:
                rebuilt.set_result(None)

        if not self.call_later(rebuild):  # the page closed meanwhile: nothing left to translate
            return
        while not rebuilt.done() and self.is_running:  # a page closed before its turn came: done too
            await asyncio.wait([rebuilt], timeout=0.1)
        if rebuilt.done():
            rebuilt.result()

    async def _rebuild_in_language(self) -> None:
        kept = form_state(self)
        focused = self.focused.id if self.focused is not None else None
        await self.recompose()
        restore_form_state(self, kept)
        translate_bindings(self)
        self.after_retranslate()
        if focused:
            target = self.query(f"#{focused}")
            if target and isinstance(target.first(), Widget) and target.first().focusable:
                target.first().focus()
        self.refresh_bindings()

    def after_retranslate(self) -> None:
        """What on_mount did beyond composing (fill tables, watch fields, redraw the outcome)."""
