"""The step texts' Markdown subset and the ~ paths, rendered without Textual."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import screens.text as text_module
from screens.text import display_path, inline, markdown
from wizard import assets_loader


def render(source: str, width: int = 60) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(markdown(source))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def test_paragraphs_headings_and_lists() -> None:
    text = render("## Step 9 – Title\n\nSome **bold** and `code`\nwrapped on.\nIn the console:\n1. First\n2. Second\n   continued\n\n- a dash item")
    lines = text.splitlines()
    assert lines[0] == "Step 9 – Title"
    assert "Some bold and code wrapped on. In the console:" in text
    assert " 1. First" in lines and " 2. Second continued" in lines and " • a dash item" in lines


def test_a_list_item_wraps_beside_its_marker_and_a_word_longer_than_the_column_folds() -> None:
    """Markers right-aligned in their column; the item's lines hang beside it. A header name wider
    than a narrow terminal is folded whole, not cut with an ellipsis."""
    word = "X-Forwarded-Clientcert-serialnumber"
    lines = render(f"1. use {word} here\n10. ten", width=20).splitlines()
    assert lines[0] == "  1. use" and lines[-1] == " 10. ten"
    assert all(line.startswith("     ") and len(line) <= 20 for line in lines[1:-1])
    assert word in "".join(line[5:] for line in lines[:-1]).replace(" ", "")


def test_a_text_is_drawn_once_per_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual draws a text to learn its height, then again to show it: the second is the first's."""
    drawn: list[int] = []
    draw = text_module._Paragraph.__rich_console__

    def counted(self: Any, console: Console, options: Any) -> Any:
        drawn.append(options.max_width)
        return draw(self, console, options)

    monkeypatch.setattr(text_module._Paragraph, "__rich_console__", counted)
    document = markdown("A paragraph.\n\n- an item\n- another")
    console = Console(width=40, file=io.StringIO())
    first = list(console.render(document, console.options))
    assert list(console.render(document, console.options)) == first and len(drawn) == 3
    list(console.render(document, console.options.update_width(30)))
    assert len(drawn) == 6


def test_inline_styles_and_links() -> None:
    styled = inline("a **b** `c` *d* [e](https://example.com)")
    assert styled.plain == "a b c d e"
    styles = {styled.plain[span.start:span.end]: str(span.style) for span in styled.spans}
    assert "bold" in styles["b"] and "italic" in styles["d"] and "underline" in styles["e"]


def test_italic_may_touch_chinese_but_not_a_latin_word() -> None:
    """Chinese has no spaces around a word in italics; 2*3*4 and snake*case* are left alone."""
    styled = inline("配置*练习负载均衡器*，它")
    assert styled.plain == "配置练习负载均衡器，它"
    assert any("italic" in str(span.style) for span in styled.spans)
    assert inline("2*3*4 and a*b*").plain == "2*3*4 and a*b*"


@pytest.mark.parametrize("name", ["welcome.md", "help.md", "summary.md", *(f"steps/step{i}.md" for i in range(1, 8))])
def test_every_shipped_text_renders_without_markdown_syntax(name: str) -> None:
    source = assets_loader.read_text(name)
    assert source, f"assets/{name} is missing"
    text = render(source, width=78)
    assert "**" not in text and "`" not in text and "## " not in text


def test_home_is_shown_as_tilde(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert display_path(tmp_path / "ws" / "ca.crt") == "~/ws/ca.crt"
    assert display_path("/srv/ws") == "/srv/ws"


@pytest.mark.parametrize("name", ["wizard.tcss", "welcome.md", "steps/step7.md"])
def test_texts_come_from_the_installed_package_not_only_the_source_tree(name: str) -> None:
    # The source-tree fallback must not hide a broken package lookup: after a
    # non-editable install it is the only way the texts are found.
    assert assets_loader._read_packaged(name)


def test_step_7_attempts_wrap_inside_their_column_at_80() -> None:
    from screens.step7_verify import attempts_text

    attempt = {"ok": True, "label": "without a client certificate", "outcome": "rejected",
               "detail": "TLS alert: certificate required (the listener demands one, as it should)"}
    console = Console(width=78, record=True, file=io.StringIO())
    console.print(attempts_text([attempt]))
    lines = [line.rstrip() for line in console.export_text().splitlines()]
    assert len(lines) > 1 and all(line for line in lines)  # no blank line
    detail_column = lines[0].index("TLS alert")
    assert all(line[:detail_column].strip() == "" for line in lines[1:])  # never back to column 1


def test_the_summary_names_a_practice_verdict_and_shows_whole_fingerprints() -> None:
    from screens.summary import against_practice_listener

    assert against_practice_listener({"host": "127.0.0.1"}) and against_practice_listener({"host": "::1"})
    assert not against_practice_listener({"host": "192.0.2.10"}) and not against_practice_listener({"host": "lb.example.com"})


def test_the_ca_fingerprint_is_shown_whole_on_two_lines() -> None:
    from screens.handoff import fingerprint_text

    fingerprint = ":".join(f"{b:02X}" for b in range(32))
    lines = fingerprint_text({"fingerprint": fingerprint}).plain.splitlines()
    assert lines[1].strip() + ":" + lines[2].strip() == fingerprint


def _wizard_options() -> set[str]:
    """Every option of the mtls-wizard command line (all commands)."""
    import argparse

    from wizard.cli import build_parser

    options: set[str] = set()

    def collect(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:  # noqa: SLF001 - argparse has no public list of its options
            options.update(o for o in action.option_strings if o.startswith("--"))
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                for sub in action.choices.values():
                    collect(sub)

    collect(build_parser())
    return options - {"--help", "--version"}


def test_no_core_message_reaches_the_wizard_with_a_command_line_option() -> None:
    """The core writes fixes for both faces; in the wizard, for_tui turns every option it
    mentions into the field or action to use instead."""
    import ast
    import re

    from screens.wording import for_tui

    root = Path(__file__).resolve().parents[2] / "wizard"
    faces = {root / "cli", root / "app"}
    options = _wizard_options()
    pattern = re.compile("|".join(re.escape(o) for o in sorted(options, key=len, reverse=True)) + r"(?![\w-])")
    leftovers = []
    for path in sorted(root.rglob("*.py")):
        if any(face in path.parents for face in faces) or path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
        for node in ast.walk(tree):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            texts = [node.value] if is_text else []
            for text in texts:
                if pattern.search(text) and pattern.search(for_tui(text)):
                    leftovers.append(f"{path.name}: {for_tui(text)[:100]}")
    assert leftovers == []


def test_the_readme_pictures_are_the_snapshot_tests() -> None:
    import re

    root = Path(__file__).resolve().parents[2]
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+\.svg)\)", (root / "README.md").read_text(encoding="utf-8"))
    assert pictures and all(p.startswith("tests/tui/__snapshots__/") and (root / p).is_file() for p in pictures)


def test_a_chinese_verdict_wraps_whole_at_80_columns(pki_workspace) -> None:  # noqa: ANN001 - fixture
    """A real FAIL in Chinese (a listener that asks for no certificate): its long lines have no
    spaces to break at, and must wrap inside their column instead of ending in "…"."""
    import re

    from screens.step7_verify import attempts_text, verdict_text
    from wizard import i18n
    from wizard.handshake import probe
    from wizard.practice import PracticeLoadBalancer

    i18n.set_language(i18n.CHINESE)
    try:
        with PracticeLoadBalancer(pki_workspace, request_client_cert=False) as server:
            verdict = probe(server.host, server.port, pki_workspace, timeout=5).to_dict()
        console = Console(width=76, record=True, file=io.StringIO())  # the page's width at 80x24
        console.print(attempts_text(verdict["attempts"]))
        console.print(verdict_text(verdict))
    finally:
        i18n.set_language(i18n.ENGLISH)
    shown = console.export_text()
    assert verdict["status"] == "fail" and verdict["diagnosis"]
    assert "…" not in shown, shown
    flat = re.sub(r"\s+", "", shown)
    for line in [verdict["summary"].split("：", 1)[-1], *verdict["diagnosis"], *(a["detail"] for a in verdict["attempts"])]:
        assert re.sub(r"\s+", "", line) in flat, (line, shown)
