"""The step texts' Markdown subset and the ~ paths, rendered without Textual."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

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


def test_inline_styles_and_links() -> None:
    styled = inline("a **b** `c` *d* [e](https://example.com)")
    assert styled.plain == "a b c d e"
    styles = {styled.plain[span.start:span.end]: str(span.style) for span in styled.spans}
    assert "bold" in styles["b"] and "italic" in styles["d"] and "underline" in styles["e"]


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
