"""The TUI in another language: switched from the command palette without losing the form,
chosen at start from the environment, and no visible text left unmarked (pseudo-locale).

The pages are made with the snapshot tests' stable data (tests/support/screen_scenes.py).
The Markdown texts (assets/) are translated as files, not through the catalog: the sweep
shows them pseudo-translated so that only the catalog's texts are judged.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from support.i18n_helpers import screen_text, untranslated_words
from support.pilot_helpers import (
    choose,
    focus,
    press_button,
    resume,
    start,
    tables_shown,
    type_into,
)
from support.screen_scenes import PASS_VERDICT, home, no_blink, prepare  # noqa: F401 - home is a fixture
from support.server_process import free_port
from textual.command import CommandList
from textual.widgets import Button, Input, Select, SelectionList

from wizard import assets_loader, i18n
from wizard.app import SUMMARY, WizardApp
from wizard.defaults import DEFAULT_CLIENT_CN, DEFAULT_ORG
from wizard.pki.names import default_ca_cn

CJK = re.compile(r"[\u4e00-\u9fff]")
TALL = (100, 70)  # no page scrolls: what is shown before and after a switch compares line by line
LARGE = (140, 60)
SERVER_ID, CA_ID = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", "5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"

Pilot = Any
Step = Callable[[Pilot], Awaitable[None]]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


async def settled(pilot: Pilot) -> None:
    """Workers done and what they sent shown (a table read in a thread has its rows)."""
    await tables_shown(pilot)
    no_blink(pilot.app)


async def open_step(pilot: Pilot, step: int) -> None:
    """Continue from the welcome page (the session of `prepare`), then show `step`."""
    await resume(pilot, step)
    await settled(pilot)


async def open_clients(pilot: Pilot) -> None:
    await open_step(pilot, 3)
    pilot.app.action_clients()
    await settled(pilot)


async def switch_language_from_the_palette(pilot: Pilot, language: str) -> None:
    """What a person does: ctrl+p, type part of "Language / 语言", pick the entry."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*"Language")
    for _attempt in range(100):  # the palette searches its providers in the background
        await pilot.pause(0.02)
        found = app.screen.query(CommandList)
        if found and found.first().option_count:
            break
    names = [str(found.first().get_option_at_index(i).prompt) for i in range(found.first().option_count)]
    assert len(names) == 1 and i18n.LANGUAGES[language] in names[0], names
    await pilot.press("down", "enter")
    await pilot.pause()
    await settled(pilot)
    assert i18n.current_language() == language


def form_values(app: WizardApp, selectors: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for selector in selectors:
        widget = app.screen.query_one(selector)
        if isinstance(widget, SelectionList):
            values[selector] = sorted(widget.selected)
        elif isinstance(widget, (Input, Select)):
            values[selector] = widget.value
    return values


# ---------------------------------------------------------------------------
# 1. switching from the palette keeps the form, shows Chinese, and comes back exactly
# ---------------------------------------------------------------------------


async def fill_welcome(pilot: Pilot) -> None:
    await start(pilot)
    await type_into(pilot, "#workspace", "~/typed-folder")
    await start(pilot)  # the page has read the typed folder


async def fill_step2(pilot: Pilot) -> None:
    await open_step(pilot, 2)
    await type_into(pilot, "#server-cn", "api.example.net")
    await type_into(pilot, "#sans", "www.example.net 192.0.2.20")


async def fill_step6(pilot: Pilot) -> None:
    await open_step(pilot, 6)
    await choose(pilot, "#lb-type", "dedicated")
    await choose(pilot, "#policy", "tls-1-2-fs-with-1-3")
    await type_into(pilot, "#pool", "3f8e2b1c-4d5a-4e6f-8a9b-0c1d2e3f4a5b")
    await focus(pilot, "#forward")
    await pilot.press("space", "down", "down", "space")
    await type_into(pilot, "#address", "lb.example.com")
    await type_into(pilot, "#port", "8443")


async def fill_step7(pilot: Pilot) -> None:
    await open_step(pilot, 7)
    await type_into(pilot, "#address", "lb.example.com:8443")


async def fill_clients(pilot: Pilot) -> None:
    await open_clients(pilot)
    await type_into(pilot, "#names", "alice bob")


SWITCH_CASES = {
    "welcome": (None, fill_welcome, ("#workspace",)),
    "step2": (2, fill_step2, ("#server-cn", "#sans")),
    "step6": (6, fill_step6, ("#lb-type", "#policy", "#pool", "#forward", "#address", "#port")),
    "step7": (7, fill_step7, ("#address",)),
    "clients": (3, fill_clients, ("#names",)),
}


@pytest.mark.parametrize("case", list(SWITCH_CASES))
async def test_switching_the_language_from_the_palette_keeps_the_form(home: Path, case: str) -> None:
    step, fill, fields = SWITCH_CASES[case]
    if step is not None:
        ids = {"server_cert_id": SERVER_ID, "ca_cert_id": CA_ID} if step >= 6 else {}
        prepare(home, step, done_upto=3 if case == "clients" else None, **ids)
    app = WizardApp()
    async with app.run_test(size=TALL) as pilot:
        await fill(pilot)
        await settled(pilot)
        typed, english = form_values(app, fields), screen_text(app)
        page = type(app.screen)

        await switch_language_from_the_palette(pilot, i18n.CHINESE)
        chinese = screen_text(app)
        assert type(app.screen) is page and form_values(app, fields) == typed
        assert CJK.search(chinese), chinese
        # The page itself speaks Chinese, not only the footer.
        assert any(CJK.search(line) for line in chinese.splitlines()[:-1]), chinese

        await switch_language_from_the_palette(pilot, i18n.ENGLISH)
        assert form_values(app, fields) == typed
        assert screen_text(app) == english


async def test_a_message_arriving_while_a_page_is_rebuilt_waits_for_the_whole_new_page(home: Path) -> None:
    """A switch rebuilds every page; the welcome page's folder survey can answer right then (on a
    loaded machine it did). The answer is handled once the new page is whole, never against a
    page half taken down."""
    app = WizardApp()
    async with app.run_test(size=TALL) as pilot:
        await start(pilot)
        welcome, seen = app.screen, []
        surveyed = welcome.surveyed
        assert surveyed is not None
        mount_all = welcome.mount_all

        async def answer_in_between(*widgets: Any, **where: Any) -> Any:
            # The old page is down and the new one not yet up: the survey answers now.
            seen.append(len(welcome.query("#workspace")))
            welcome.post_message(type(surveyed)(surveyed.folder, surveyed.session, surveyed.survey, None))
            for _tick in range(10):
                await asyncio.sleep(0)
            return await mount_all(*widgets, **where)

        welcome.mount_all = answer_in_between  # type: ignore[method-assign]
        await app.switch_language(i18n.CHINESE)
        welcome.mount_all = mount_all  # type: ignore[method-assign]
        await pilot.pause()
        assert seen == [0]  # the survey's answer did come while the page was down
        assert app.return_code is None and app.is_running
        assert not welcome.query_one("#start", Button).disabled and CJK.search(screen_text(app))
        await app.switch_language(i18n.ENGLISH)


# ---------------------------------------------------------------------------
# 2. MTLS_WIZARD_LANG=zh_CN: the wizard starts in Chinese
# ---------------------------------------------------------------------------


def test_the_wizard_starts_in_chinese_when_the_environment_asks(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wizard import cli

    monkeypatch.setenv("MTLS_WIZARD_LANG", "zh_CN")
    shown: dict[str, str] = {}

    def run_headless(workspace: str | None = None) -> int:
        app = WizardApp(workspace=workspace)

        async def look(pilot: Pilot) -> None:
            await start(pilot)
            no_blink(app)
            shown["text"], shown["screen"] = screen_text(app), type(app.screen).__name__
            app.exit(0)

        app.run(headless=True, size=(80, 24), auto_pilot=look)
        return 0

    monkeypatch.setattr("wizard.app.run_app", run_headless)
    assert cli.main([]) == 0  # the real start: the language is chosen before the TUI starts
    assert i18n.current_language() == i18n.CHINESE
    lines = shown["text"].splitlines()
    assert shown["screen"] == "WelcomeScreen"
    assert any(CJK.search(line) for line in lines[:-1]), shown["text"]  # the page
    footer = lines[-1]
    assert i18n._("Help") in footer and i18n._("Quit") in footer and "Help" not in footer, footer


# ---------------------------------------------------------------------------
# 3. the pseudo-locale: no visible English left on any screen
# ---------------------------------------------------------------------------


def pseudo_verdict() -> dict[str, Any]:
    """The recorded verdict as a test made under the pseudo-locale would have written it
    (its words come from the core's catalog); status and outcomes stay machine values."""
    verdict = dict(PASS_VERDICT)
    verdict["summary"] = i18n.pseudo(verdict["summary"])
    verdict["attempts"] = [{**attempt, "label": i18n.pseudo(attempt["label"]), "detail": i18n.pseudo(attempt["detail"])}
                           for attempt in PASS_VERDICT["attempts"]]
    return verdict


async def then(pilot: Pilot, *keys: str) -> None:
    if keys:
        await pilot.press(*keys)
    await settled(pilot)


def on_step(step: int, *keys: str) -> Step:
    async def run(pilot: Pilot) -> None:
        await open_step(pilot, step)
        await then(pilot, *keys)

    return run


def after_opening(step: int, make: Callable[[WizardApp], None]) -> Step:
    """Open `step`, then have the App do something (open a dialog, notify)."""
    async def run(pilot: Pilot) -> None:
        await open_step(pilot, step)
        make(pilot.app)
        await settled(pilot)

    return run


def pressing(step: int, button: str) -> Step:
    async def run(pilot: Pilot) -> None:
        await open_step(pilot, step)
        await press_button(pilot, button)
        await settled(pilot)

    return run


def upload_dialog(listener: bool) -> Callable[[WizardApp], None]:
    def make(app: WizardApp) -> None:
        from screens.upload_modal import UploadModal

        app.push_screen(UploadModal(listener=listener, loadbalancer_id=""))

    return make


def long_error(app: WizardApp) -> None:
    app.show_error(i18n.pseudo("the folder cannot be read: " * 6))  # the core's words (its catalog's)


def expanding(step: int, selector: str) -> Step:
    """A choice list opened: every option's label is on the screen."""
    async def run(pilot: Pilot) -> None:
        await open_step(pilot, step)
        await focus(pilot, selector)
        await pilot.press("enter")
        await settled(pilot)

    return run


async def palette(pilot: Pilot) -> None:
    await open_step(pilot, 7)
    await pilot.press("ctrl+p")
    for _attempt in range(100):
        await pilot.pause(0.02)
        found = pilot.app.screen.query(CommandList)
        if found and found.first().option_count:
            break
    await settled(pilot)


async def welcome(pilot: Pilot) -> None:
    await start(pilot)
    await settled(pilot)


async def clients_page(pilot: Pilot) -> None:
    await open_clients(pilot)


async def practising(pilot: Pilot) -> None:
    """The practice route: steps 4-6 on the practice load balancer, then step 7 beside it."""
    await open_step(pilot, 4)
    for _step in (4, 5):
        await press_button(pilot, "#add")
        await settled(pilot)
        await pilot.press("alt+n")
        await settled(pilot)
    await type_into(pilot, "#port", str(free_port()))  # not 8443: a test beside this one may hold it
    await press_button(pilot, "#done")
    await settled(pilot)
    await pilot.press("alt+n")
    await settled(pilot)


# case -> (the session: prepare()'s arguments, or None for a first run; how to get there)
SWEEP: dict[str, tuple[dict[str, Any] | None, Step]] = {
    "welcome-first-run": (None, welcome),
    "welcome-resume": ({"step": 3}, welcome),
    **{f"step{step}-form": ({"step": step, "server_cert_id": "", "ca_cert_id": ""}, on_step(step)) for step in range(1, 8)},
    **{f"step{step}-done": ({"step": step, "done_upto": step}, on_step(step)) for step in range(1, 8)},
    **{f"practice-step{step}": ({"step": step, "route": "practice"}, on_step(step)) for step in (4, 5, 6)},
    "step7-practice": ({"step": 4, "done_upto": 3, "route": "practice"}, practising),
    "summary": ({"step": SUMMARY, "done_upto": 7}, on_step(SUMMARY)),
    "clients": ({"step": 3, "done_upto": 3, "clients": True}, clients_page),
    "help": ({"step": 2}, on_step(2, "f1")),
    "bring-modal": ({"step": 1}, pressing(1, "#bring")),
    "upload-modal": ({"step": 4}, after_opening(4, upload_dialog(listener=False))),
    "listener-api-modal": ({"step": 6, "done_upto": 5}, after_opening(6, upload_dialog(listener=True))),
    "confirm-modal": ({"step": SUMMARY, "done_upto": 7}, pressing(SUMMARY, "#renew-server")),
    "error-modal": ({"step": 2}, after_opening(2, long_error)),
    "notification": ({"step": 4}, pressing(4, "#done")),
    "notification-unreachable": ({"step": 4}, after_opening(4, lambda app: app.action_goto(7))),
    "notification-copied": ({"step": 5}, pressing(5, "#copy-ca_cert")),
    "notification-saved": ({"step": 5}, pressing(5, "#save-ca_cert")),
    "notification-workspace": ({"step": 5}, after_opening(5, lambda app: app.action_show_workspace())),
    "step6-load-balancer-types": ({"step": 6}, expanding(6, "#lb-type")),
    "step6-policies": ({"step": 6}, expanding(6, "#policy")),
    "step7-trust-choices": ({"step": 7}, expanding(7, "#trust")),
    "command-palette": ({"step": 7}, palette),
}
# The palette's language entry is named in both languages on purpose ("Language / 语言: English").
PALETTE_WORDS = ("Language", "English")
# The data on the screens, not the wizard's words: the default CA name, the named clients and
# the Clients page's example names; key names in the footer stay as Textual shows them ("esc").
DATA_WORDS = (*default_ca_cn(DEFAULT_ORG).split(), "alice", "bob", "esc")
# Data that must match exactly (the allowed words above match in any case, and "Server" or
# "Client" would be a label left in English): the client's CN, the workspace's certificates.
EXACT_DATA_WORDS = frozenset((DEFAULT_CLIENT_CN, "ca", "server"))


def pem_words(root: Path) -> list[str]:
    """The PEM texts the step pages show for pasting (headers and base64 lines are data)."""
    folder = root / "mtls-workspace"
    return [word for path in folder.rglob("*") if path.suffix in (".crt", ".key") and path.is_file()
            for word in path.read_text(encoding="ascii", errors="replace").split()] if folder.exists() else []


def make_session(root: Path, session: dict[str, Any]) -> None:
    answers = dict(session)
    step = answers.pop("step")
    with_clients = answers.pop("clients", False)
    done = answers.get("done_upto", step - 1)
    answers.setdefault("server_cert_id", SERVER_ID if done >= 4 else "")
    answers.setdefault("ca_cert_id", CA_ID if done >= 5 else "")
    if done >= 7:
        answers["last_verdict"] = pseudo_verdict()
    ws = prepare(root, step, **answers)
    if with_clients:
        from wizard import clients

        clients.issue_clients(ws, ["alice", "partner-7"], "snapshot-password", clients.ClientOptions(key_type="ec-p256"))
        clients.revoke(ws, "partner-7", "keyCompromise")


async def every_page_of(pilot: Pilot) -> str:
    """The screen, then PageDown until the end of a long page."""
    pages = [screen_text(pilot.app)]
    for _page in range(12):
        await pilot.press("pagedown")
        await pilot.pause()
        no_blink(pilot.app)
        shown = screen_text(pilot.app)
        if shown == pages[-1]:
            break
        pages.append(shown)
    return "\n".join(pages)


@pytest.mark.parametrize("case", list(SWEEP))
async def test_no_screen_shows_text_left_out_of_the_catalog(home: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    session, reach = SWEEP[case]
    if session is not None:
        make_session(home, session)
    english_asset = assets_loader.read_text
    monkeypatch.setattr(assets_loader, "read_text", lambda name: i18n.pseudo(english_asset(name)))
    monkeypatch.setenv("MTLS_WIZARD_LANG", "qps")
    assert i18n.set_language(i18n.PSEUDO) == i18n.PSEUDO
    app = WizardApp()
    async with app.run_test(size=LARGE) as pilot:
        await reach(pilot)
        shown = await every_page_of(pilot)
        app.stop_practice()
    allowed = (*DATA_WORDS, *pem_words(home), *(PALETTE_WORDS if case == "command-palette" else ()))
    left = [word for word in untranslated_words(shown, allowed=allowed) if word not in EXACT_DATA_WORDS | command_words()]
    assert not left, f"{case}: English left on the screen: {sorted(set(left))}\n{shown}"


# ---------------------------------------------------------------------------
# the Chinese edition: no English of the wizard's own (issue 27)
# ---------------------------------------------------------------------------


async def palette_without_a_match(pilot: Pilot) -> None:
    """The palette after a search that finds nothing: Textual's own words for it are replaced."""
    await palette(pilot)
    await pilot.press(*"qqzzxx")
    for _attempt in range(100):
        await pilot.pause(0.02)
        found = pilot.app.screen.query(CommandList)
        if found and found.first().option_count == 1 and found.first().get_option_at_index(0).disabled:
            break
    await settled(pilot)


def glossary_kept_words() -> set[str]:
    """The Latin words the glossary's Chinese column keeps (ELB, TLS, SNI, X-Forwarded-Clientcert…)."""
    text = (Path(__file__).resolve().parents[2] / "assets" / "i18n" / "glossary.md").read_text(encoding="utf-8")
    rows = [line.split("|") for line in text.splitlines() if line.startswith("|") and CJK.search(line)]
    return {word for cells in rows if len(cells) > 2 for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", cells[2])}


def command_words() -> frozenset[str]:
    """mtls-wizard's commands and the placeholders of their options (`elb upload --region REGION`),
    as the parser has them: never translated (the glossary), matched exactly."""
    import argparse

    from wizard.cli import build_parser

    words: set[str] = set()

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:  # noqa: SLF001 - argparse keeps them there
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                for name, sub in action.choices.items():
                    words.add(name)
                    walk(sub)
            elif action.option_strings and action.nargs != 0:
                words.add(action.metavar if isinstance(action.metavar, str) else action.dest.upper())
            elif not action.option_strings and action.choices:  # `ca-passphrase add`: a command's word too
                words.update(str(choice) for choice in action.choices)

    walk(build_parser())
    return frozenset(words)


# Words the help sets off as code that are neither commands nor glossary terms: tmux's
# `set -g set-clipboard on`, `scp`, `.gitignore`, and the command `practice` (issue 27, item 1).
HELP_CODE_WORDS = frozenset(("set", "on", "tmux", "scp", "gitignore", "practice"))
CHINESE_CHARACTER = re.compile(r"([\u4e00-\u9fff\u3000-\u303f\uff00-\uffef“”‘’])")
ZH_SWEEP = {**SWEEP, "command-palette-no-match": ({"step": 7}, palette_without_a_match)}


@pytest.mark.parametrize("case", list(ZH_SWEEP))
async def test_the_chinese_edition_shows_no_english_of_the_wizards_own(home: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """Every page, dialog, notification, choice list and the palette in zh_CN: the Latin words on
    the screen are the glossary's kept terms, technical names or the data, never a sentence of
    the wizard's or Textual's left in English (as "以English显示" and "No matches found" were)."""
    session, reach = ZH_SWEEP[case]
    if session is not None:
        make_session(home, session)
    monkeypatch.setenv(i18n.LANGUAGE_ENV, i18n.CHINESE)
    assert i18n.set_language(i18n.CHINESE) == i18n.CHINESE
    app = WizardApp()
    async with app.run_test(size=LARGE) as pilot:
        await reach(pilot)
        shown = await every_page_of(pilot)
        app.stop_practice()
    assert CJK.search(shown), shown
    palette_words = PALETTE_WORDS if case.startswith("command-palette") or case == "help" else ()  # help names the entry
    typed = ("qqzzxx",) if case == "command-palette-no-match" else ()
    allowed = (*DATA_WORDS, *pem_words(home), *glossary_kept_words(), *palette_words, *typed)
    exact = EXACT_DATA_WORDS | command_words() | (HELP_CODE_WORDS if case == "help" else frozenset())
    apart = CHINESE_CHARACTER.sub(r" \1 ", shown)  # "以English显示" is three words, not one token
    left = [word for word in untranslated_words(apart, allowed=allowed) if word not in exact]
    assert not left, f"{case}: English on a Chinese screen: {sorted(set(left))}\n{shown}"
