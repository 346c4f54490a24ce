"""The messages the pages declare: every request reaches a handler in the App (the name Textual
derives from the message, or an `@on` for it), every answer the App posts back a handler on its
page; and the pages are made with what they read, the App's work seen through a protocol."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator

import pytest
from textual.message import Message
from textual.message_pump import MessagePump

import screens
from screens.base import StepScreen, WorkInProgress
from wizard.app import WizardApp

# Messages a page posts up that are news rather than requests (the App still handles them).
NEWS = {"AnswersChanged", "StoreFound"}


def page_messages() -> Iterator[tuple[type, type[Message]]]:
    """(page class, message class) for every Message declared inside a class of screens/."""
    for info in pkgutil.iter_modules(screens.__path__):
        module = importlib.import_module(f"screens.{info.name}")
        for _name, page in inspect.getmembers(module, inspect.isclass):
            if page.__module__ != module.__name__:
                continue
            for nested in vars(page).values():
                if isinstance(nested, type) and issubclass(nested, Message):
                    yield page, nested


def handles(pump: type[MessagePump], message: type[Message]) -> bool:
    """Whether `pump` (a class) has a handler for `message`: by Textual's name, or decorated."""
    for cls in pump.__mro__:
        if message.handler_name in vars(cls) or f"_{message.handler_name}" in vars(cls):
            return True
        if any(message is handled for handled in vars(cls).get("_decorated_handlers", {})):
            return True
    return False


MESSAGES = sorted(page_messages(), key=lambda pair: pair[1].__qualname__)


def test_the_pages_declare_their_requests() -> None:
    names = {message.__qualname__ for _page, message in MESSAGES}
    assert {"VerifyScreen.TestRequested", "CertificateStepScreen.IssueRequested", "HandOffScreen.ReadinessRequested",
            "ClientsScreen.RevocationRequested", "StepScreen.PageRequested", "WelcomeScreen.StartRequested"} <= names


@pytest.mark.parametrize(("page", "message"), MESSAGES, ids=lambda item: getattr(item, "__qualname__", ""))
def test_every_request_has_a_handler_in_the_app_and_every_answer_one_on_its_page(page: type, message: type[Message]) -> None:
    if message.__name__.endswith("Requested") or message.__name__ in NEWS:
        assert handles(WizardApp, message), f"the App has no {message.handler_name} for {message.__qualname__}"
        assert message.bubble, f"{message.__qualname__} must bubble up to the App"
    else:  # an answer the App posts back to the page that asked, or the page's own worker's result
        assert handles(page, message), f"{page.__name__} does not handle its own {message.__qualname__}"


def test_the_checker_sees_a_missing_handler() -> None:
    class Orphan(StepScreen):
        class NothingRequested(Message):
            pass

    assert not handles(WizardApp, Orphan.NothingRequested)
    assert handles(WizardApp, StepScreen.PageRequested)


def test_the_app_gives_the_pages_what_they_read() -> None:
    """The App is the pages' WorkInProgress: every member the protocol names, it has."""
    members = [name for name, _value in inspect.getmembers(WorkInProgress) if not name.startswith("_")]
    assert set(members) == {"busy", "live_attempts", "clients_progress", "practice_address", "practice_problem", "gone_listener"}
    app = WizardApp()
    for name in members:
        assert hasattr(app, name), name
