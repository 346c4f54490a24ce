"""The Chinese edition's machinery: choosing the language, the catalogs (complete, with the
same placeholders and technical tokens as the English, compiled from their sources), and
the per-string fallback to English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from wizard import i18n

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "wizard" / "locale" / "zh_CN" / "LC_MESSAGES" / "mtls_wizard.po"
MO = PO.with_suffix(".mo")
SOURCES = sorted(p for folder in ("wizard", "screens") for p in (ROOT / folder).rglob("*.py"))
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([^)]*\)[a-z]|%[a-z]")
TECHNICAL_TOKEN = re.compile(r"--[a-z][a-z0-9-]*|\b[\w.-]+/[\w./-]*[\w-]|`[^`]+`")  # a path's last character is no full stop


def marked_texts() -> dict[str, str]:
    """Every text marked for translation in the code, with where it is."""
    found: dict[str, str] = {}
    for path in SOURCES:
        for lineno, message, _comments, _context in extract_from_file("python", str(path), keywords=DEFAULT_KEYWORDS):
            for text in message if isinstance(message, tuple) else (message,):
                if text:
                    found.setdefault(text, f"{path.relative_to(ROOT)}:{lineno}")
    return found


def _texts(value: str | tuple[str, ...]) -> tuple[str, ...]:
    """A catalog entry's texts (a plural entry has several)."""
    return tuple(v for v in (value if isinstance(value, tuple) else (value,)) if v)


def _hashable(value: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else value  # read_mo gives a plural entry as a list


@pytest.fixture(scope="module")
def catalog():  # noqa: ANN201 - babel's Catalog
    with PO.open("rb") as source:
        return read_po(source, locale="zh_CN")


# ---------------------------------------------------------------------------
# choosing the language
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("requested", "environ", "expected"), [
    (None, {}, "en"),
    (None, {"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    (None, {"LANG": "C"}, "en"),
    (None, {"LANG": "C.UTF-8", "LANGUAGE": "zh_CN"}, "en"),  # as GNU gettext: the C locale ignores LANGUAGE
    (None, {"LANG": "de_DE.UTF-8", "LANGUAGE": "fr:zh_CN"}, "zh_CN"),  # the first language we have
    (None, {"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),  # LC_ALL before LANG
    (None, {"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_GB.UTF-8"}, "zh_CN"),
    (None, {"LANG": "zh_TW.UTF-8"}, "en"),  # traditional characters: not this edition
    (None, {"LANG": "zh_CN.UTF-8", "MTLS_WIZARD_LANG": "en"}, "en"),
    (None, {"LANG": "C", "MTLS_WIZARD_LANG": "zh-CN"}, "zh_CN"),
    ("zh_CN", {"MTLS_WIZARD_LANG": "en"}, "zh_CN"),  # --lang first
    ("en", {"LANG": "zh_CN.UTF-8"}, "en"),
])
def test_the_language_comes_from_lang_then_the_variable_then_the_locale(requested: str | None, environ: dict[str, str], expected: str) -> None:
    assert i18n.choose_language(requested, environ) == expected


def test_a_missing_translation_falls_back_to_the_english_text_per_string() -> None:
    assert i18n.set_language("zh_CN") == "zh_CN"
    assert i18n._("a text no catalog has") == "a text no catalog has"
    assert i18n.ngettext("one thing", "{count} things", 3) == "{count} things"
    assert i18n.set_language("xx_YY") == "en" and i18n._("Quit") == "Quit"


def test_the_compiled_catalog_has_no_empty_translation() -> None:
    with MO.open("rb") as compiled:
        entries = read_mo(compiled)
    assert all(message.string for message in entries if message.id)


def test_the_pseudo_locale_keeps_placeholders_and_markup() -> None:
    shown = i18n.pseudo("Revoke {name}? %(count)s [b]now[/b]")
    assert "{name}" in shown and "%(count)s" in shown and "[b]" in shown and "[/b]" in shown
    assert "Revoke" not in shown and "now" not in shown


# ---------------------------------------------------------------------------
# the catalogs
# ---------------------------------------------------------------------------


def test_every_marked_text_has_a_chinese_translation(catalog) -> None:  # noqa: ANN001
    translated = {text for message in catalog if message.id and _texts(message.string) and not message.fuzzy for text in _texts(message.id)}
    missing = [f"{where}: {text!r}" for text, where in marked_texts().items() if text not in translated]
    assert not missing, f"{len(missing)} texts have no zh_CN translation (pybabel update, then translate):\n" + "\n".join(missing[:40])


def test_the_catalog_holds_no_text_the_code_no_longer_has(catalog) -> None:  # noqa: ANN001
    texts = marked_texts()
    stale = [message.id for message in catalog if message.id and not set(_texts(message.id)) <= texts.keys()]  # (obsolete ones live in catalog.obsolete)
    assert not stale, "entries left from removed texts (pybabel update drops them):\n" + "\n".join(map(repr, stale[:40]))


def test_translations_keep_the_placeholders_and_technical_tokens(catalog) -> None:  # noqa: ANN001
    problems = []
    for message in catalog:
        if not message.id or not _texts(message.string):
            continue
        source, target = _texts(message.id)[-1], _texts(message.string)[-1]  # a plural entry: its plural form
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
            problems.append(f"placeholders {sorted(PLACEHOLDER.findall(source))} != {sorted(PLACEHOLDER.findall(target))}: {source!r}")
        lost = [token for token in TECHNICAL_TOKEN.findall(source) if token not in target]
        if lost:
            problems.append(f"technical tokens {lost} translated or lost: {source!r}")
    assert not problems, "\n".join(problems[:40])


def test_the_compiled_catalog_is_compiled_from_the_source(catalog) -> None:  # noqa: ANN001
    with MO.open("rb") as compiled:
        shipped = {_hashable(m.id): _hashable(m.string) for m in read_mo(compiled) if m.id}
    expected = {_hashable(m.id): _hashable(m.string) for m in catalog if m.id and _texts(m.string) and not m.fuzzy}
    assert shipped == expected, "run: pybabel compile -d wizard/locale -D mtls_wizard"


def test_no_module_that_translates_uses_underscore_as_a_throwaway_name() -> None:
    # `key, _ = ...` in a function would make `_("...")` there an unbound local.
    offenders = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports_it = any(isinstance(node, ast.ImportFrom) and node.module == "wizard.i18n" and any(a.name == "_" for a in node.names)
                         for node in ast.walk(tree))
        if imports_it:
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(tree)
                          if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store)]
    assert not offenders, offenders
