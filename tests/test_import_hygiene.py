"""The core never depends on the UI: no module of wizard/ (but app.py) imports Textual or
screens; cli.py may only import the TUI lazily, inside a function."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

WIZARD = Path(__file__).resolve().parent.parent / "wizard"
UI_PACKAGES = ("textual", "screens", "rich")
UI_MODULES = ("wizard.app",)


def _imports(tree: ast.AST) -> list[tuple[str, ast.AST, bool]]:
    """(module, node, at_module_level) for every import in the tree."""
    found: list[tuple[str, ast.AST, bool]] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((alias.name, child, not nested) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.module, child, not nested))
                found.extend((f"{child.module}.{alias.name}", child, not nested) for alias in child.names)
            visit(child, inner)

    visit(tree, False)
    return found


def _is_ui(module: str) -> bool:
    return module.split(".")[0] in UI_PACKAGES or any(module == m or module.startswith(m + ".") for m in UI_MODULES)


CORE = sorted(p for p in WIZARD.glob("*.py") if p.name != "app.py")


@pytest.mark.parametrize("path", CORE, ids=[p.name for p in CORE])
def test_core_module_does_not_import_the_ui(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for module, node, top_level in _imports(tree):
        if not _is_ui(module):
            continue
        if path.name == "cli.py" and not top_level:
            continue  # the TUI starts from a function, so plain commands never load Textual
        raise AssertionError(f"{path.name}:{node.lineno} imports {module}: the core must not depend on the UI")


def test_the_checker_notices_a_ui_import() -> None:
    tree = ast.parse("import os\nfrom textual.app import App\ndef f():\n    import screens.base\n")
    flagged = [(m, top) for m, _, top in _imports(tree) if _is_ui(m)]
    assert ("textual.app", True) in flagged and ("screens.base", False) in flagged


def test_plain_commands_do_not_load_textual() -> None:
    code = "import sys, wizard.cli, wizard.steps, wizard.handshake, wizard.elb, wizard.rehearsal; print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'screens')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
