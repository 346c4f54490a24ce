"""The Chinese step texts and help (assets/zh_CN/): one for every English text, the same
Markdown skeleton and the very same technical tokens, no English prose left, and found by
wizard.assets_loader in the installed package when the language is zh_CN.

A twin may phrase a sentence differently (Chinese word order, the console's field names in
bold where the English had none), but what a person copies or compares must not change:
code spans, code blocks and links are compared as they are; headings and list items are
counted, so no step or bullet is lost or invented.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console
from support.i18n_helpers import TECHNICAL

from screens.text import markdown
from wizard import assets_loader, i18n

ASSETS = Path(__file__).resolve().parents[2] / "assets"
TRANSLATION = ASSETS / "zh_CN"
# Every English Markdown the wizard shows (the glossary under i18n/ is bilingual already).
ENGLISH = sorted(
    path.relative_to(ASSETS).as_posix()
    for path in ASSETS.rglob("*.md")
    if path.relative_to(ASSETS).parts[0] not in ("zh_CN", "i18n")
)

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]*)\)")
_HEADING = re.compile(r"^(#{1,6})\s", re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*([-*]|\d+[.)])\s", re.MULTILINE)
# A message quoted as a program prints it ("ca md too weak") stays in English, like code.
_QUOTED_ASCII = re.compile(r'"[\x20-\x7e]*?"')
_WORD_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ \t]+[A-Za-z][A-Za-z'’-]*)+")
_CJK = re.compile(r"[\u3400-\u9fff]")
# An ASCII comma, colon... touching a Chinese character: the style wants ，：；（） there.
_HALF_WIDTH_BY_CJK = re.compile(r"[\u3400-\u9fff][,;:?!()]|[,;:?!()][\u3400-\u9fff]")


def english(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def chinese(name: str) -> str:
    return (TRANSLATION / name).read_text(encoding="utf-8")


def code_blocks(source: str) -> list[str]:
    return [match.group(0) for match in _FENCE.finditer(source)]


def code_spans(source: str) -> list[str]:
    return _CODE_SPAN.findall(_FENCE.sub("", source))


def prose(source: str) -> str:
    """What a translator writes: the text without code, link targets or quoted messages."""
    text = _CODE_SPAN.sub(" ", _FENCE.sub(" ", source))
    text = _LINK.sub(lambda match: match.group(1), text)
    return _QUOTED_ASCII.sub(" ", text)


def english_runs(text: str) -> list[str]:
    """Runs of three or more plain English words in a row (technical names do not count)."""
    found = []
    for match in _WORD_RUN.finditer(text):
        run: list[str] = []
        for word in match.group(0).split() + [""]:
            if word and word not in TECHNICAL:
                run.append(word)
                continue
            if len(run) >= 3:
                found.append(" ".join(run))
            run = []
    return found


def rendered(source: str, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(markdown(source))
    return console.export_text()


def test_the_english_texts_are_all_there() -> None:
    expected = {"help.md", "summary.md", "welcome.md", *(f"steps/step{i}.md" for i in range(1, 8)),
                "steps/step1-why.md", "steps/step2-why.md", "steps/step3-why.md", "steps/step6-revocation.md"}
    assert expected <= set(ENGLISH)


def test_every_english_text_has_a_chinese_twin_and_nothing_else() -> None:
    twins = sorted(path.relative_to(TRANSLATION).as_posix() for path in TRANSLATION.rglob("*.md"))
    assert twins == ENGLISH


@pytest.mark.parametrize("name", ENGLISH)
def test_the_technical_tokens_are_kept_exactly(name: str) -> None:
    assert Counter(code_spans(chinese(name))) == Counter(code_spans(english(name)))
    assert Counter(code_blocks(chinese(name))) == Counter(code_blocks(english(name)))
    assert [target for _text, target in _LINK.findall(chinese(name))] == [target for _text, target in _LINK.findall(english(name))]


@pytest.mark.parametrize("name", ENGLISH)
def test_the_markdown_skeleton_is_kept(name: str) -> None:
    zh, en = _FENCE.sub("", chinese(name)), _FENCE.sub("", english(name))
    assert _HEADING.findall(zh) == _HEADING.findall(en), "the same headings, at the same levels"
    assert _LIST_ITEM.findall(zh) == _LIST_ITEM.findall(en), "the same list items, with the same markers"


@pytest.mark.parametrize("name", ENGLISH)
def test_no_english_prose_is_left(name: str) -> None:
    text = prose(chinese(name))
    assert _CJK.search(text), "the twin is not Chinese"
    assert english_runs(text) == []
    assert _HALF_WIDTH_BY_CJK.findall(text) == [], "full-width punctuation in Chinese text"


def test_the_prose_check_would_see_english() -> None:
    assert english_runs(prose("证书 the server certificate `openssl req -new` ELB TLS CA")) == ["the server certificate"]
    assert english_runs(prose('拒绝（"ca md too weak"）')) == []


@pytest.mark.parametrize("name", ENGLISH)
def test_the_markup_renders_and_is_no_longer_than_the_english(name: str) -> None:
    """The wizard's Markdown subset understands every mark (no * or ` left on screen), and the
    Chinese takes no more lines than the English at the width a step page gives its text."""
    zh, en = rendered(chinese(name), 76), rendered(english(name), 76)
    assert "*" not in zh and "`" not in zh and "#" not in zh
    assert len(zh.splitlines()) <= len(en.splitlines())


def test_nothing_is_cut_at_80_columns() -> None:
    for name in ENGLISH:
        text = rendered(chinese(name), 74)
        assert "…" not in text, name
        shown = "".join(text.split())
        for char in _CJK.findall(chinese(name)):
            assert char in shown, (name, char)


@pytest.mark.parametrize("name", ENGLISH)
def test_the_loader_reads_the_chinese_from_the_package(name: str) -> None:
    assert assets_loader._read_packaged(f"zh_CN/{name}") == chinese(name)  # noqa: SLF001 - the installed lookup itself
    assert i18n.set_language("zh_CN") == "zh_CN"
    assert assets_loader.read_text(name) == chinese(name)
    i18n.set_language("en")
    assert assets_loader.read_text(name) == english(name)


def test_the_step_pages_follow_the_language() -> None:
    i18n.set_language("zh_CN")
    assert assets_loader.step_text(4) == chinese("steps/step4.md")
    assert assets_loader.why_text(1) == chinese("steps/step1-why.md")
    assert assets_loader.why_text(4) == ""  # no such text in either language
    i18n.set_language("en")
    assert assets_loader.step_text(4) == english("steps/step4.md")
    assert assets_loader.why_text(1) == english("steps/step1-why.md")


# ---------------------------------------------------------------------------
# The glossary (assets/i18n/glossary.md) is what the catalog and the texts say
# ---------------------------------------------------------------------------

GLOSSARY = (ASSETS / "i18n" / "glossary.md").read_text(encoding="utf-8")


def glossary_rows(section: str) -> list[list[str]]:
    """The cells of each table row under the heading `section` (the header row left out)."""
    body = GLOSSARY.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in body.splitlines() if line.startswith("|")]
    return [row for row in rows[1:] if not set(row[0]) <= set("-: ")]


def catalog_strings() -> dict[str, str]:
    from babel.messages.pofile import read_po

    # The source catalog of this checkout (the installed package carries only the compiled .mo).
    with (ASSETS.parent / "wizard" / "locale" / "zh_CN" / "LC_MESSAGES" / "mtls_wizard.po").open("rb") as source:
        catalog = read_po(source, locale="zh_CN")
    return {(m.id if isinstance(m.id, str) else m.id[0]): (m.string if isinstance(m.string, str) else m.string[0])
            for m in catalog if m.id}


def test_the_wizards_own_words_are_the_glossarys() -> None:
    """Buttons, the summary and the step titles as the glossary gives them (pairs split at " / ")."""
    from wizard.progress import STEP_TITLES

    strings = catalog_strings()
    pairs: list[tuple[str, str]] = []
    for english_cell, chinese_cell, *_note in glossary_rows("The wizard's own words (as the Markdown texts name them)"):
        if english_cell.startswith("the step titles"):
            pairs += zip((STEP_TITLES[step] for step in range(1, 8)), chinese_cell.split(" / "))
        elif english_cell in strings or all(part in strings for part in english_cell.split(" / ")):
            pairs += zip(english_cell.split(" / "), chinese_cell.split(" / "))
    assert len(pairs) >= 12, pairs
    wrong = [(en, strings.get(en), zh) for en, zh in pairs if strings.get(en) != zh]  # a missing entry is wrong too
    assert not wrong, wrong


def test_no_word_the_glossary_replaced_is_left() -> None:
    banned = [row[0] for row in glossary_rows("Words not used")]
    assert "总结" in banned
    found = [(word, text[:60]) for text in catalog_strings().values() for word in banned if word in text]
    found += [(word, path.name) for path in TRANSLATION.rglob("*.md") for word in banned if word in path.read_text(encoding="utf-8")]
    assert not found, found


def test_a_step_in_a_sentence_is_di_n_bu_and_only_headings_say_buzhou_n() -> None:
    """The glossary: "## 步骤4 – …" as a heading, 第4步 in a sentence (the catalog and the texts)."""
    in_sentence = re.compile(r"步骤\s*\d")
    found = [text[:60] for text in catalog_strings().values() if in_sentence.search(text)]
    found += [f"{path.name}: {line}" for path in TRANSLATION.rglob("*.md")
              for line in path.read_text(encoding="utf-8").splitlines() if in_sentence.search(line) and not line.startswith("#")]
    assert not found, found



# Names and abbreviations written against the Chinese around them (the glossary's style), as
# opposed to code (commands, options, placeholders), which keeps its spaces.
_NAMES = ("ELB CA CAs TLS SSL mTLS HTTPS HTTP SNI PEM DER CSR CN SAN RSA ECDSA API SDK SSH IP IPv4 IPv6 DNS CRL OCSP "
          "AK SK ID JSON URL OBS CCM PCA IAM PKI REST ISO Web Apple macOS Windows Linux Java AES SHA SVG").split()
_NAME = rf"(?:{'|'.join(_NAMES)})"
_SPACED_NAME = re.compile(rf"[\u4e00-\u9fff] {_NAME}(?![\w.\-/])|(?<![\w.\-/]){_NAME} [\u4e00-\u9fff]")


def test_a_name_or_abbreviation_touches_the_chinese_around_it() -> None:
    """"CA证书", "用ELB API", "旧版Windows": one spacing everywhere (issue 27 found both)."""
    assert _SPACED_NAME.search("新的工作区：七个步骤从 CA 开始") and not _SPACED_NAME.search("运行 mtls-wizard ca 命令")
    found = [text[:60] for text in catalog_strings().values() if _SPACED_NAME.search(text)]
    found += [f"{path.name}: {line}" for path in TRANSLATION.rglob("*.md")
              for line in _FENCE.sub("", path.read_text(encoding="utf-8")).splitlines() if _SPACED_NAME.search(line)]
    assert not found, found
