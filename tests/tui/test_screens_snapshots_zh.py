"""The Chinese edition at 80x24: an SVG snapshot of every screen in zh_CN, beside the English
ones (tests/tui/test_screens_snapshots.py; the same stable data, tests/support/screen_scenes.py), and a check that nothing
on them is cut: every button, field label, section and dialog title, collapsible title, the step
bar and the footer's key descriptions appear whole on the screen (CJK characters take two cells).

Update with `pytest tests/tui/test_screens_snapshots_zh.py --snapshot-update` after the catalog changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from support.i18n_helpers import screen_text
from support.screen_scenes import (  # noqa: F401 - home is a fixture
    PASS_VERDICT,
    SIZE,
    clients_page,
    home,
    no_blink,
    prepare,
    resume_then,
    settle,
    still,
    with_clients,
)
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Collapsible,
    DataTable,
    Footer,
    Label,
    Select,
)

from screens.base import STEP_NAMES, StepIndicator
from wizard import i18n
from wizard.app import WizardApp
from wizard.handshake.model import FOREIGN_CERT, LABELS, WITH_CERT, WITHOUT_CERT

RunBefore = Callable[[Any], Awaitable[None]]
LB_ID = "3f2b8c1e0a4d4b7e9c215d6e7f8a9b0c"
CERT_IDS = {"server_cert_id": "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", "ca_cert_id": "5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}


@pytest.fixture(autouse=True)
def chinese(english: None, monkeypatch: pytest.MonkeyPatch) -> None:  # after conftest's English
    monkeypatch.setenv(i18n.LANGUAGE_ENV, i18n.CHINESE)
    assert i18n.set_language(i18n.CHINESE) == i18n.CHINESE, "no zh_CN catalog: pybabel compile -d wizard/locale -D mtls_wizard"


# ---------------------------------------------------------------------------
# the screens: how each one is reached (the same data as the English snapshots)
# ---------------------------------------------------------------------------


def chinese_verdict() -> dict[str, Any]:
    """The recorded verdict as a run in Chinese writes it (a saved verdict keeps the words of its run)."""
    verdict = {**PASS_VERDICT, "attempts": [dict(attempt) for attempt in PASS_VERDICT["attempts"]]}
    verdict["summary"] = i18n._("PASS: {where} demands a client certificate, accepts ours and refuses strangers").format(where=verdict["address"])
    details = {WITH_CERT: "HTTP/1.1 200 OK", WITHOUT_CERT: i18n._("TLS alert: {alert}").format(alert="certificate required"),
               FOREIGN_CERT: i18n._("TLS alert: {alert}").format(alert="unknown CA")}
    for attempt in verdict["attempts"]:
        attempt["label"], attempt["detail"] = i18n._(LABELS[attempt["name"]]), details[attempt["name"]]
    return verdict



def then_press(step: int, button: str) -> RunBefore:
    """Open `step`, then press the button `button` (a confirmation or a modal opens)."""

    async def run_before(pilot) -> None:  # noqa: ANN001
        await resume_then(step)(pilot)
        pilot.app.screen.query_one(button, Button).press()
        await settle(pilot)  # the confirmation or modal is up and at rest
        no_blink(pilot.app)

    return run_before


def then_upload_modal(step: int, **modal: Any) -> RunBefore:
    """Open `step`, then the API modal it offers (the button shows only with AK/SK in the environment)."""

    async def run_before(pilot) -> None:  # noqa: ANN001
        from screens.upload_modal import UploadModal

        await resume_then(step)(pilot)
        pilot.app.push_screen(UploadModal(**modal))
        await settle(pilot)
        no_blink(pilot.app)

    return run_before


def then_bad_server_name(typed: str) -> RunBefore:
    async def run_before(pilot) -> None:  # noqa: ANN001
        await resume_then(2)(pilot)
        await pilot.press("end", "ctrl+u")  # the server name field has the focus
        await pilot.press(*typed)
        await pilot.pause()
        no_blink(pilot.app)

    return run_before


async def summary_expiry(pilot) -> None:  # noqa: ANN001
    """The summary scrolled to its expiry table (read in a thread, then shown)."""
    await resume_then(8)(pilot)
    screen = pilot.app.screen
    heading = screen.query(".section").first()  # "Expiry", above the table
    screen.query_one("#body", VerticalScroll).scroll_to_widget(heading, top=True, animate=False)
    await pilot.pause()


SCREENS: dict[str, tuple[Callable[[Path], Any], RunBefore]] = {
    "welcome_first_run": (lambda root: None, still),
    "welcome_offers_resume": (lambda root: prepare(root, 3), still),
    "step1_form": (lambda root: prepare(root, 1), resume_then(1, "tab")),
    "step1_done": (lambda root: prepare(root, 1, done_upto=1), resume_then(1, "pagedown", "pagedown")),
    "step1_replace_confirmation": (lambda root: prepare(root, 1, done_upto=3), then_press(1, "#replace")),
    "step1_bring_modal": (lambda root: prepare(root, 1), then_press(1, "#bring")),
    "step2_bad_name": (lambda root: prepare(root, 2), then_bad_server_name("https://www.example.com")),
    "step2_done": (lambda root: prepare(root, 2, done_upto=2), resume_then(2, "pagedown", "pagedown")),
    "step2_bring_modal": (lambda root: prepare(root, 2, done_upto=2), then_press(2, "#bring")),
    "step3_form": (lambda root: prepare(root, 3), resume_then(3, "pagedown", "pagedown")),
    "step4_server_to_elb": (lambda root: prepare(root, 4), resume_then(4, "pagedown")),
    "step4_upload_modal": (lambda root: prepare(root, 4), then_upload_modal(4)),
    "step5_ca_to_elb": (lambda root: prepare(root, 5), resume_then(5, "pagedown", "pagedown")),
    "step6_listener": (lambda root: prepare(root, 6, **CERT_IDS), resume_then(6, "pagedown", "pagedown")),
    "step6_api_modal": (lambda root: prepare(root, 6, loadbalancer_id=LB_ID, **CERT_IDS),
                        then_upload_modal(6, listener=True, loadbalancer_id=LB_ID)),
    "step7_verdict": (lambda root: prepare(root, 7, done_upto=7, last_verdict=chinese_verdict()), resume_then(7, "pagedown", "pagedown")),
    "summary": (lambda root: prepare(root, 8, done_upto=7, last_verdict=chinese_verdict(), **CERT_IDS), resume_then(8, "pagedown")),
    "summary_expiry": (lambda root: prepare(root, 8, done_upto=7, last_verdict=chinese_verdict(), **CERT_IDS), summary_expiry),
    "clients_page": (with_clients, clients_page),
    "help": (lambda root: prepare(root, 2), resume_then(2, "f1")),
}


@pytest.mark.parametrize("name", SCREENS)
def test_zh_snapshot(name: str, home: Path, snap_compare) -> None:  # noqa: ANN001, F811
    prepare_data, run_before = SCREENS[name]
    prepare_data(home)
    assert snap_compare(WizardApp(), terminal_size=SIZE, run_before=run_before)


# ---------------------------------------------------------------------------
# nothing cut
# ---------------------------------------------------------------------------


def shown(widget: Widget) -> bool:
    """Displayed: neither it nor anything around it is hidden (a closed Collapsible hides its contents)."""
    node: Any = widget
    while node is not None and isinstance(node, Widget):
        if not node.display:
            return False
        node = node.parent
    return True


def whole_texts(screen: Any) -> dict[str, str]:
    """What must appear whole on `screen`: which one (the same in every language) -> its text."""
    wanted: dict[str, str] = {}

    def add(kind: str, texts: list[str]) -> None:
        wanted.update({f"{kind} {number}": text.strip() for number, text in enumerate(texts) if text.strip()})

    add("button", [str(button.label) for button in filter(shown, screen.query(Button))])
    add("label", [str(label.content) for label in filter(shown, screen.query(Label))
                  if label.classes & {"field-label", "section", "dialog-title"}])
    add("collapsible title", [collapsible.title for collapsible in filter(shown, screen.query(Collapsible))])
    add("checkbox", [str(checkbox.label) for checkbox in filter(shown, screen.query(Checkbox))])
    add("choice shown", [str(select.query_one("SelectCurrent").label) for select in filter(shown, screen.query(Select))])
    add("column", [str(column.label) for table in filter(shown, screen.query(DataTable)) for column in table.columns.values()])
    if screen.query(Footer):
        add("footer", [active.binding.description for active in screen.active_bindings.values()
                       if active.binding.show and active.binding.description])
    if screen.query(StepIndicator):
        add("step", [f"{step} {i18n._(name)}" for step, name in STEP_NAMES.items()])
        if getattr(screen, "STEP", 0) == 8:
            add("summary", [i18n._("Summary")])
    return wanted


async def every_view(pilot) -> list[str]:  # noqa: ANN001
    """The screen as shown, then its page from the top, one PageDown at a time."""
    app = pilot.app
    views = [screen_text(app)]
    scrollers = [s for s in app.screen.query(VerticalScroll) if s.id in ("body", "welcome-body", "help-body")]
    for scroller in scrollers:
        scroller.scroll_home(animate=False)
        await pilot.pause()
        views.append(screen_text(app))
        for _page in range(15):
            if scroller.scroll_y >= scroller.max_scroll_y:
                break
            scroller.scroll_page_down(animate=False)
            await pilot.pause()
            views.append(screen_text(app))
    return views


async def cut_texts(name: str) -> tuple[dict[str, str], str]:
    """What `name` cannot show whole at 80x24 (the step bar on its first line), and its last view."""
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await SCREENS[name][1](pilot)
        wanted = whole_texts(app.screen)
        views = await every_view(pilot)
    lines = [line for view in views for line in view.splitlines()]
    top_lines = [view.splitlines()[0] for view in views]
    cut = {which: text for which, text in wanted.items()
           if not any(text in line for line in (top_lines if which.startswith(("step", "summary")) else lines))}
    return cut, views[-1]


@pytest.mark.parametrize("name", SCREENS)
async def test_zh_nothing_cut(name: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Whole in Chinese; where the English is cut too (a long choice in a narrow field) it may be."""
    SCREENS[name][0](home)
    cut, view = await cut_texts(name)
    if cut:
        monkeypatch.setenv(i18n.LANGUAGE_ENV, i18n.ENGLISH)
        i18n.set_language(i18n.ENGLISH)
        cut_in_english, _view = await cut_texts(name)
        cut = {which: text for which, text in cut.items() if which not in cut_in_english}
    assert not cut, f"{name}: not shown whole at 80x24 in Chinese:\n" + "\n".join(
        f"{which}: {text!r}" for which, text in cut.items()) + "\n\n" + view


# ---------------------------------------------------------------------------
# switching the language while the wizard runs
# ---------------------------------------------------------------------------


async def switch(pilot, language: str) -> None:  # noqa: ANN001
    await pilot.app.switch_language(language)
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def chinese_for(english: str) -> str:
    """`english` in Chinese (from the catalog), which must translate it."""
    translated = i18n._(english)
    assert translated != english and not translated.isascii(), f"no Chinese for {english!r}"
    return translated


async def test_a_switch_keeps_what_was_typed_and_redraws_what_the_page_filled_in(home: Path) -> None:  # noqa: F811
    from textual.widgets import Input, Static

    from screens.clients import COLUMNS

    with_clients(home)
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await still(pilot)
        assert str(app.screen.query_one("#start", Button).label) == chinese_for("Continue at step {step}").format(step=4)
        await switch(pilot, i18n.ENGLISH)
        assert str(app.screen.query_one("#start", Button).label) == "Continue at step 4"  # what the folder holds, again
        await switch(pilot, i18n.CHINESE)
        await pilot.press("enter")
        await pilot.pause()
        app.goto(1)
        await pilot.pause()
        app.screen.query_one("#org", Input).value = "Example Org"
        await pilot.pause()
        await switch(pilot, i18n.ENGLISH)
        screen = app.screen
        assert screen.query_one("#org", Input).value == "Example Org"
        assert screen.query_one("#ca-cn", Input).placeholder  # load_form's default name, shown again
        assert screen_text(app).splitlines()[0].startswith("▶1 CA ✔2 Server ✔3 Client")  # the step bar, redrawn
        assert "The CA is ready" in str(screen.query_one("#existing", Static).content)

        app.action_clients()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.screen.query_one("#names", Input).value = "carol dave"
        await switch(pilot, i18n.CHINESE)
        table = app.screen.query_one(DataTable)
        assert [str(column.label) for column in table.columns.values()] == [chinese_for(title) for title in COLUMNS]
        assert table.row_count == 3 and chinese_for("revoked") in screen_text(app)
        assert app.screen.query_one("#names", Input).value == "carol dave"
        why = chinese_for("Issue: {reason}").format(reason=chinese_for("a password is required: browsers ask for it when importing client.p12"))
        assert str(app.screen.query_one("#actions-hint", Static).content) == why  # Issue waits for the password: said again
