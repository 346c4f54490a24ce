"""The first five minutes at 80x24, keyboard only: each finding of a newcomer's first walk (issue
27), pinned on every page it could happen on, in English and in Chinese.

- Enter does the same in every form: the next field, and from the last one the page's main action.
- Every page opens at its title.
- Notifications never cover the action bar or a field.
- A field the focus comes to keeps its text, the cursor at its end.
- No error-like text right after a success (step 3).
- No choice is cut at 80 columns (step 7's trust), step 6 names the load balancer type.
- Help names the language switch, the practice route and the keys.
- Addresses typed in steps 6 and 7 are read as strictly as `check` reads them.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from support.i18n_helpers import screen_text
from support.pilot_helpers import SIZE, focus, press_button, resume, settle, start, tables_shown, type_into
from support.screen_scenes import home, no_blink, prepare, with_clients  # noqa: F401 - home is a fixture
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, Select, SelectionList, Static, TextArea

from screens.keys import shown
from screens.welcome import WelcomeScreen
from wizard import assets_loader, i18n
from wizard.app import SUMMARY, WizardApp

Pilot = Any
Reach = Callable[[Pilot], Awaitable[None]]
LANGUAGES = [i18n.ENGLISH, i18n.CHINESE]


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest, english: None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(i18n.LANGUAGE_ENV, request.param)
    assert i18n.set_language(request.param) == request.param
    return request.param


# ---------------------------------------------------------------------------
# the pages: how each is reached, and the button Enter presses from its last field
# ---------------------------------------------------------------------------


async def at_rest(pilot: Pilot) -> None:
    await settle(pilot)
    await tables_shown(pilot)
    no_blink(pilot.app)


def on_step(step: int) -> Reach:
    async def reach(pilot: Pilot) -> None:
        await resume(pilot, step)
        await at_rest(pilot)

    return reach


async def welcome(pilot: Pilot) -> None:
    await start(pilot)
    no_blink(pilot.app)


async def clients(pilot: Pilot) -> None:
    await on_step(3)(pilot)
    pilot.app.action_clients()
    await at_rest(pilot)


def dialog(step: int, make: Callable[[WizardApp], None]) -> Reach:
    async def reach(pilot: Pilot) -> None:
        await on_step(step)(pilot)
        make(pilot.app)
        await at_rest(pilot)

    return reach


def bring(role: str) -> Callable[[WizardApp], None]:
    def make(app: WizardApp) -> None:
        from screens.bring_modal import BringModal

        app.push_screen(BringModal(role))

    return make


def upload(listener: bool) -> Callable[[WizardApp], None]:
    def make(app: WizardApp) -> None:
        from screens.upload_modal import UploadModal

        app.push_screen(UploadModal(listener=listener))

    return make


# page -> (prepare's arguments, or None for a first run; how to reach it; the main button's id)
PAGES: dict[str, tuple[dict[str, Any] | None, Reach, str | None]] = {
    "welcome": (None, welcome, "start"),
    **{f"step{step}": ({"step": step}, on_step(step), main) for step, main in
       ((1, "create"), (2, "issue"), (3, "issue"), (4, "done"), (5, "done"), (6, "done"), (7, "run"))},
    "summary": ({"step": SUMMARY, "done_upto": 7}, on_step(SUMMARY), None),
    "clients": ({"step": 3, "done_upto": 3, "clients": True}, clients, "issue"),
    "bring-ca": ({"step": 1}, dialog(1, bring("ca")), "use"),
    "bring-server": ({"step": 2}, dialog(2, bring("server")), "use"),
    "upload": ({"step": 4}, dialog(4, upload(listener=False)), "upload"),
    "upload-listener": ({"step": 6, "done_upto": 5}, dialog(6, upload(listener=True)), "upload"),
}
STEP_PAGES = [name for name in PAGES if name.startswith("step")]


def made(home: Path, page: str) -> WizardApp:
    session = PAGES[page][0]
    if session is not None:
        answers = dict(session)
        step = answers.pop("step")
        if answers.pop("clients", False):
            with_clients(home)
        else:
            prepare(home, step, **answers)
    return WizardApp()


def fields(app: WizardApp) -> list[Input]:
    """The page's text fields in Tab order (the ones the person can reach)."""
    return [widget for widget in app.screen.focus_chain if isinstance(widget, Input)]


def visible_region(app: WizardApp, widget: Widget):  # noqa: ANN201 - a Region
    """Where the widget shows on the screen now (clipped by what scrolls it), None when it does not."""
    try:
        geometry = app.screen.find_widget(widget)
    except Exception:  # noqa: BLE001 - not on the screen at all
        return None
    region = geometry.visible_region
    return region if region.area else None


# ---------------------------------------------------------------------------
# 1. Enter: the next field, and from the last one the page's main action
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES))
async def test_enter_goes_on_to_the_next_field_and_does_the_main_action_from_the_last(home: Path, page: str) -> None:
    app = made(home, page)
    async with app.run_test(size=SIZE) as pilot:
        await PAGES[page][1](pilot)
        screen = app.screen
        expected = PAGES[page][2]
        assert (button.id if (button := screen.main_button()) else None) == expected
        calls: list[int] = []
        screen.main_action = lambda: calls.append(1)  # what Enter would do, counted instead of done
        walked = fields(app)
        assert walked or page == "summary", "a form without a field"
        for index, field in enumerate(walked):
            await focus(pilot, f"#{field.id}")
            await pilot.press("enter")
            await pilot.pause()
            if index < len(walked) - 1:
                assert app.focused is walked[index + 1], f"{page}: Enter in #{field.id} went to {app.focused!r}"
                assert calls == []
            else:
                assert calls == [1], f"{page}: Enter in the last field #{field.id} did not do the main action"


async def test_step_1_is_done_with_the_keyboard_by_enter_alone(home: Path) -> None:
    ws = prepare(home, 1)
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await on_step(1)(pilot)
        assert app.focused is app.screen.query_one("#org", Input)  # the first field, in view under the title
        await pilot.press("enter", "enter", "enter")  # organisation, CA name, validity: create the CA
        await settle(pilot)
        assert app.session.is_done(1) and ws.cert("ca").exists()


async def test_step_3_and_the_clients_page_issue_from_the_confirmation_field(home: Path) -> None:
    ws = prepare(home, 3)
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await on_step(3)(pilot)
        await type_into(pilot, "#password", "first-5-minutes")
        await pilot.press("enter")  # on to Confirm
        await pilot.press(*"first-5-minutes", "enter")
        await settle(pilot)
        assert app.session.is_done(3) and ws.p12.exists()
        app.action_clients()
        await at_rest(pilot)
        await type_into(pilot, "#names", "alice")
        await pilot.press("enter", *"first-5-minutes", "enter", *"first-5-minutes", "enter")
        await settle(pilot)
        await tables_shown(pilot)
        assert (ws.root / "clients" / "alice" / "alice.p12").exists()


async def test_enter_on_a_disabled_main_action_says_why_and_does_nothing(home: Path) -> None:
    prepare(home, 7)
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await on_step(7)(pilot)
        await type_into(pilot, "#address", "not-an-address")
        await focus(pilot, "#sni")
        await pilot.press("enter")
        await pilot.pause()
        said = [str(notification.message) for notification in app._notifications]  # noqa: SLF001 - what was notified
        assert said and said[-1].startswith("Run: ") and "no port" in said[-1], said
        assert not app.busy and not app.session.last_verdict


@pytest.fixture
def folder_read_held(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The welcome page's reading of its folder waits until the event is set (a slow disk)."""
    released = threading.Event()
    read = WelcomeScreen._read

    def held_read(store: object, folder: str) -> Any:
        released.wait(30)
        return read(store, folder)

    monkeypatch.setattr(WelcomeScreen, "_read", staticmethod(held_read))
    yield released
    released.set()


async def test_enter_pressed_while_the_folder_is_read_starts_once_it_is(tmp_path: Path, folder_read_held: threading.Event) -> None:
    """Enter in the first moment, the folder still being read, is kept: the wizard starts as soon
    as the folder is read, with no second key."""
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        assert str(app.screen.query_one("#start-hint", Static).content) == "starting once the folder is read…"
        folder_read_held.set()
        for _tick in range(100):
            await pilot.pause()
            if getattr(app.screen, "STEP", None) == 1:
                break
        assert getattr(app.screen, "STEP", None) == 1


async def test_enter_typed_ahead_is_dropped_when_the_folder_is_changed(tmp_path: Path, folder_read_held: threading.Event) -> None:
    """Enter meant the folder shown then: another folder typed after it does not start by itself."""
    app = WizardApp(workspace=str(tmp_path / "ws"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "2")
        await pilot.pause()
        assert str(app.screen.query_one("#start-hint", Static).content) == "reading the folder…"
        folder_read_held.set()
        await start(pilot)
        assert isinstance(app.screen, WelcomeScreen) and app.screen.folder_text() == str(tmp_path / "ws2")
        assert not app.screen.query_one("#start", Button).disabled


# ---------------------------------------------------------------------------
# 2. Every page opens at its title
# ---------------------------------------------------------------------------

OPENED = {**{f"step{step}": ({"step": step}, step) for step in range(1, 8)},
          **{f"step{step}-done": ({"step": step, "done_upto": step}, step) for step in range(1, 8)},
          "summary": ({"step": SUMMARY, "done_upto": 7}, SUMMARY)}


def title_of(step: int) -> str:
    text = assets_loader.read_text("summary.md") if step == SUMMARY else assets_loader.step_text(step)
    return text.splitlines()[0].lstrip("# ").strip()


@pytest.mark.parametrize("page", list(OPENED))
async def test_every_page_opens_at_its_title(home: Path, language: str, page: str) -> None:
    session, step = OPENED[page]
    prepare(home, **session)
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await on_step(step)(pilot)
        body = app.screen.query_one("#body", VerticalScroll)
        lines = screen_text(app).splitlines()
        assert body.scroll_y == 0 and lines[1].strip() == title_of(step), "\n".join(lines)
        focused = app.focused
        if focused is not None:  # a field with the focus is in view: typing never goes somewhere unseen
            assert body.content_region.contains_region(focused.region) or app.screen.query_one("#nav").region.contains_region(focused.region)


# ---------------------------------------------------------------------------
# 3. Notifications never cover the action bar or a field
# ---------------------------------------------------------------------------

COVERABLE = (Input, Select, Button, SelectionList, Checkbox, TextArea, DataTable, Footer)


@pytest.mark.parametrize("page", list(PAGES))
async def test_notifications_cover_no_field_and_not_the_action_bar(home: Path, page: str) -> None:
    from textual.widgets._toast import Toast

    app = made(home, page)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await PAGES[page][1](pilot)
        app.notify("Noted. Next ▶ (or Alt+N) continues.", title="Step 4 done")
        app.notify("the folder cannot be read: permission denied; " * 3, title="That did not work", severity="error")
        await pilot.pause(0.2)
        toasts = [region for toast in app.screen.query(Toast) if (region := visible_region(app, toast))]
        assert len(toasts) == 2, "both notifications are shown whole"
        protected = [widget for widget in app.screen.query("*") if isinstance(widget, COVERABLE) and shown(widget)]
        protected += list(app.screen.query("#nav, #nav-hint, .why-disabled, .note, #workspace-note, #start-hint"))
        for widget in protected:
            region = visible_region(app, widget)
            if region is None:
                continue
            for toast in toasts:
                assert not toast.overlaps(region), f"{page}: a notification covers {widget!r}"


# ---------------------------------------------------------------------------
# 4. A field the focus comes to keeps its text
# ---------------------------------------------------------------------------

FILLED = {"welcome": (None, welcome), "step1": ({"step": 1}, on_step(1)), "step2": ({"step": 2, "done_upto": 2}, on_step(2)),
          "step6": ({"step": 6, "done_upto": 6}, on_step(6)), "step7": ({"step": 7, "done_upto": 6}, on_step(7))}


@pytest.mark.parametrize("page", list(FILLED))
async def test_tab_into_a_filled_field_keeps_its_text_with_the_cursor_at_the_end(home: Path, page: str) -> None:
    session, reach = FILLED[page]
    if session is not None:
        prepare(home, **session)
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await reach(pilot)
        filled = [field for field in fields(app) if field.value]
        assert filled
        for field in filled:
            before = field.value
            await focus(pilot, f"#{field.id}")
            assert field.selection.is_empty and field.cursor_position == len(before)
            await pilot.press("backspace")
            await pilot.pause()
            assert field.value == before[:-1], f"one Backspace in #{field.id} left {field.value!r}"
            await pilot.press(before[-1] if before[-1] != " " else "space")
            await pilot.pause()
        await pilot.press("tab")  # and once more for the first field, left and come back to
        await focus(pilot, f"#{filled[0].id}")
        assert filled[0].selection.is_empty and filled[0].cursor_position == len(filled[0].value)


# ---------------------------------------------------------------------------
# 5. No error-like text right after a success (step 3)
# ---------------------------------------------------------------------------


async def page_text(pilot: Pilot) -> str:
    """Everything the page shows, PageDown by PageDown."""
    app = pilot.app
    seen = [screen_text(app)]
    for _page in range(10):
        await pilot.press("pagedown")
        await pilot.pause()
        if screen_text(app) == seen[-1]:
            break
        seen.append(screen_text(app))
    return "\n".join(seen)


async def test_step_3_right_after_issuing_shows_nothing_that_reads_as_an_error(home: Path, language: str) -> None:
    prepare(home, 3)
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await on_step(3)(pilot)
        await type_into(pilot, "#password", "first-5-minutes")
        await type_into(pilot, "#confirm", "first-5-minutes")
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.is_done(3)
        screen = app.screen
        alarming = [widget for widget in screen.query(".why-disabled, .note.-error, .note.-warning") if shown(widget)
                    and str(widget.content).strip()]
        assert alarming == [], [str(widget.content) for widget in alarming]
        assert str(screen.query_one("#nav-hint", Static).content) == ""
        assert not screen.query_one("#reissue", Button).disabled  # and it says what it needs when pressed
        text = await page_text(pilot)
        advice = i18n._("Choose legacy only if macOS Keychain, older Windows, Java 8 or IE 11 must import it: "
                        "they misreport the modern format as a wrong password.")
        assert text.count("Keychain") == advice.count("Keychain") == 1, "the legacy .p12 advice, once"
        await press_button(pilot, "#reissue")
        assert app.focused is screen.query_one("#password", Input)  # where the new password goes


# ---------------------------------------------------------------------------
# 6. Words at 80 columns: no choice cut, step 6's load balancer type
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", [*STEP_PAGES, "clients"])
async def test_no_choice_is_cut_at_80_columns(home: Path, language: str, page: str) -> None:
    app = made(home, page)
    async with app.run_test(size=SIZE) as pilot:
        await PAGES[page][1](pilot)
        for select in app.screen.query(Select):
            if not shown(select):  # hidden until another choice shows it (step 1's CCM questions: tests/tui/test_ccm_tui.py)
                continue
            room = select.query_one("SelectCurrent").content_region.width - 2  # the label, then " ▼"
            for prompt, _value in select._options:  # noqa: SLF001 - every choice it can show
                assert cell_len(str(prompt)) <= room, f"{page} #{select.id}: {prompt!r} is cut at 80 columns"


async def test_step_6_names_the_load_balancer_type(home: Path, language: str) -> None:
    prepare(home, 6)
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await on_step(6)(pilot)
        text = await page_text(pilot)
        label, unknown = i18n._("Load balancer type"), i18n._("not known yet (every policy is listed)")
        assert any(label in line and unknown in line for line in text.splitlines()), text


# ---------------------------------------------------------------------------
# 7. Help names the language switch, the practice route and the keys
# ---------------------------------------------------------------------------


async def test_help_names_the_language_switch_the_practice_route_and_the_keys(home: Path, language: str) -> None:
    prepare(home, 2)
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await on_step(2)(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        text = re.sub(r"[│╭╮╰╯─\u2580-\u259f\s]", "", await page_text(pilot))  # as read: wrapped lines joined, spaces aside
    for words in ("Language / 语言", "Ctrl+P", "mtls-wizard practice", "mtls-wizard --lang zh_CN", "Alt+N", "Alt+P", "Tab",
                  "Enter", "Esc", "PgUp", "Space", "F1", "Ctrl+Q"):
        assert words.replace(" ", "") in text, f"the help does not name {words}"
    practice = {i18n.ENGLISH: "practice on this machine", i18n.CHINESE: "在本机演练"}[language]
    assert practice.replace(" ", "") in text


# ---------------------------------------------------------------------------
# 8. The pages read addresses strictly, and the workspace says it keeps out of git
# ---------------------------------------------------------------------------


async def test_steps_6_and_7_refuse_an_address_the_system_would_read_otherwise(home: Path) -> None:
    prepare(home, 7, done_upto=6)
    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await on_step(7)(pilot)
        await type_into(pilot, "#address", "127.1:8443")
        await pilot.pause()
        note = app.screen.query_one("#address-note", Static)
        assert shown(note) and "'127.1' would be read as 127.0.0.1" in str(note.content)
        assert app.screen.query_one("#run", Button).disabled
        app.goto(6)
        await at_rest(pilot)
        await type_into(pilot, "#address", "0x7f.1")
        await pilot.pause()
        note = app.screen.query_one("#address-note", Static)
        assert shown(note) and "'0x7f.1' would be read as 127.0.0.1" in str(note.content)
        assert app.screen.query_one("#done", Button).disabled


async def test_a_new_workspace_in_a_checkout_says_it_keeps_out_of_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    app = WizardApp(workspace=str(checkout / "mtls-workspace"))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("enter")  # Start
        await at_rest(pilot)
        await press_button(pilot, "#create")
        await settle(pilot)
        assert app.session.is_done(1)
    assert any("lies inside the git work tree" in warning and str(checkout) in warning for warning in app.warnings_shown)
    status = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=all"], capture_output=True, text=True)
    assert status.stdout == ""
