"""The layers hold: the core (wizard/ minus its faces, wizard/cli/ and wizard/app/) imports no
face, no screen and no Textual, not even inside a function; nothing imports in a circle; files
and functions stay small enough to read.

The TUI face's own arrow points one way too: the App (wizard/app/) uses the screens, and no
screen imports the App, not even for typing, or calls its `start_*` methods: a page asks for
work with a message (see wizard/app/__init__.py), and only the App's workers write into the
workspace.

Imports are read from the source with `ast` (every import, function-level ones included;
those under `if TYPE_CHECKING:` are typing only and never run, and count only where a rule
says so).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("wizard", "screens")
FACES = ("wizard.cli", "wizard.app", "wizard.__main__")  # a face counts with every module under it
FORBIDDEN_IN_CORE = ("wizard.cli", "wizard.app", "screens", "textual", "rich")
# The core's functions that write into a workspace: the App's workers call them, never a page.
WORKSPACE_WRITERS = frozenset({
    "create_ca", "issue_server", "issue_client", "generate", "adopt_existing", "bring_ca", "bring_server",
    "renew_server", "renew_ca", "renew_client", "issue_clients", "revoke", "export", "save_paste_text",
    "save_full_script", "upload", "write_files", "atomic_write",
})
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk_runtime(node: ast.AST) -> Iterator[ast.AST]:
    """Every node that can run: skips the bodies of `if TYPE_CHECKING:` blocks."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for other in child.orelse:
                yield other
                yield from _walk_runtime(other)
            continue
        yield child
        yield from _walk_runtime(child)


def imports_of(source: str, importer: str, is_package: bool = False, *, typing_too: bool = False) -> list[Import]:
    """The modules `importer` imports at run time (relative imports resolved); `typing_too`:
    with those under `if TYPE_CHECKING:`."""
    found: list[Import] = []
    tree = ast.parse(source)
    for node in (ast.walk(tree) if typing_too else _walk_runtime(tree)):
        if isinstance(node, ast.Import):
            found.extend(Import(importer, alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = importer.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(Import(importer, base, node.lineno))
            # `from package import submodule` imports the submodule too.
            found.extend(Import(importer, f"{base}.{alias.name}", node.lineno) for alias in node.names)
    return found


def all_imports(*, typing_too: bool = False) -> list[Import]:
    found: list[Import] = []
    for path in source_files():
        found += imports_of(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py", typing_too=typing_too)
    return found


def is_face(module: str) -> bool:
    return any(module == face or module.startswith(face + ".") for face in FACES) or module.split(".")[0] == "screens"


def is_forbidden_in_core(target: str) -> bool:
    return any(target == name or target.startswith(name + ".") for name in FORBIDDEN_IN_CORE)


def core_violations(imports: list[Import]) -> list[Import]:
    return [i for i in imports if not is_face(i.importer) and is_forbidden_in_core(i.target)]


def is_screen(module: str) -> bool:
    return module.split(".")[0] == "screens"


def is_app(module: str) -> bool:
    return module == "wizard.app" or module.startswith("wizard.app.")


def screen_imports_of_the_app(imports: list[Import]) -> list[Import]:
    return [i for i in imports if is_screen(i.importer) and is_app(i.target)]


def calls_up_and_writes(source: str) -> list[str]:
    """What a page must not do, with the line: name the App's `start_*` methods (a call, a
    callback, a getattr string) or call one of the core's workspace writers."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("start_"):
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("start_"):
            found.append((node.lineno, repr(node.value)))
        elif isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in WORKSPACE_WRITERS:
                found.append((node.lineno, f"{called}()"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def cycles(imports: list[Import], modules: set[str]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), plus self-imports."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for item in imports:
        if item.importer in graph and item.target in modules and item.target != item.importer:
            graph[item.importer].add(item.target)
            # A package's __init__ runs before any of its submodules: importing a submodule
            # imports its package first.
            parent = item.target.rsplit(".", 1)[0]
            if parent in modules and parent != item.importer and not item.importer.startswith(parent + "."):
                graph[item.importer].add(parent)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


# ---------------------------------------------------------------------------
# The rules, on the real code
# ---------------------------------------------------------------------------


def test_the_core_imports_no_face_no_screen_and_no_textual() -> None:
    assert core_violations(all_imports()) == []


_MODULE_PATH = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*")


def named_modules(source: str) -> list[tuple[str, int]]:
    """Strings that name a module (what importlib.import_module would be given), with their line."""
    return [(node.value, node.lineno) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_PATH.fullmatch(node.value)]


def test_the_core_names_no_face_module_for_a_dynamic_import() -> None:
    """importlib.import_module escapes the import check: no core module may even name a face."""
    found = [f"{module_name(path)}:{line} {name}" for path in source_files() if not is_face(module_name(path))
             for name, line in named_modules(path.read_text(encoding="utf-8")) if is_forbidden_in_core(name)]
    assert found == []
    assert named_modules('LAZY = {"probe": "wizard.cli.check"}') == [("probe", 1), ("wizard.cli.check", 1)]


def test_there_is_no_import_cycle() -> None:
    modules = {module_name(path) for path in source_files()}
    assert cycles(all_imports(), modules) == []


def test_the_app_is_a_face_with_every_module_in_it() -> None:
    app_modules = [module_name(path) for path in (ROOT / "wizard" / "app").glob("*.py")]
    assert {"wizard.app", "wizard.app.wizard_app", "wizard.app.outcomes"} <= set(app_modules)
    assert all(is_face(module) for module in app_modules)


def test_no_screen_imports_the_app_not_even_for_typing() -> None:
    assert screen_imports_of_the_app(all_imports(typing_too=True)) == []


def test_no_screen_calls_the_apps_start_methods_or_writes_the_workspace() -> None:
    found = {module_name(path): calls_up_and_writes(path.read_text(encoding="utf-8"))
             for path in sorted((ROOT / "screens").glob("*.py"))}
    assert {module: lines for module, lines in found.items() if lines} == {}


def test_the_tui_face_has_no_import_cycle_not_even_for_typing() -> None:
    """The App may name the screens (typing included), never the other way round."""
    modules = {module_name(path) for path in source_files()}
    tui = {module for module in modules if is_screen(module) or is_app(module)}
    assert cycles(all_imports(typing_too=True), tui) == []


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_readable(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{path.name} has over {MAX_MODULE_LINES} lines: split it along its seams"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_plain_commands_do_not_load_textual_or_the_crypto_library_for_help() -> None:
    code = ("import sys, wizard.cli, wizard.steps, wizard.handshake, wizard.elb, wizard.practice, wizard.practice.records, wizard.record; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'screens', 'rich'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
    code = "import sys, wizard.cli; wizard.cli.build_parser(); print('cryptography' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_the_tests_live_in_folders_by_face() -> None:
    tests = ROOT / "tests"
    folders = {path.name for path in tests.iterdir() if path.is_dir() and not path.name.startswith((".", "__"))}
    assert folders == {"core", "cli", "tui", "support"}
    assert [path.name for path in tests.glob("*.py")] == ["conftest.py"]
    assert list((tests / "support").glob("test_*.py")) == []


def test_no_test_module_imports_another() -> None:
    """What tests share lives in tests/support/ (`from support.x import ...`) or tests/conftest.py."""
    found = [f"{path.relative_to(ROOT)}:{i.line} {i.target}" for path in sorted((ROOT / "tests").rglob("test_*.py"))
             for i in imports_of(path.read_text(encoding="utf-8"), path.stem, typing_too=True)
             if i.target.split(".")[0].startswith("test_")]
    assert found == []


# ---------------------------------------------------------------------------
# The checker itself notices what it must
# ---------------------------------------------------------------------------


def test_the_checker_sees_function_level_imports_and_skips_type_checking_blocks() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from textual.app import App\n"
        "def f():\n    import screens.base\n"
        "def g():\n    from wizard.cli.common import warn\n"
    )
    violations = core_violations(imports_of(source, "wizard.steps"))
    assert {v.target for v in violations} >= {"screens.base", "wizard.cli.common"}
    assert not any(v.target.startswith("textual") for v in violations)
    assert core_violations(imports_of(source, "wizard.cli.check")) == []  # a face may


def test_the_checker_finds_a_cycle_through_a_function_level_import() -> None:
    imports = [
        *imports_of("from wizard import b\n", "wizard.a"),
        *imports_of("def late():\n    from wizard.a import x\n", "wizard.b"),
        *imports_of("import wizard.a\n", "wizard.c"),
    ]
    assert cycles(imports, {"wizard", "wizard.a", "wizard.b", "wizard.c"}) == [["wizard.a", "wizard.b"]]


def test_the_checker_sees_a_screen_naming_the_app_for_typing_only() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from wizard.app import WizardApp\n"
    assert screen_imports_of_the_app(imports_of(source, "screens.base")) == []  # at run time: nothing
    found = screen_imports_of_the_app(imports_of(source, "screens.base", typing_too=True))
    assert [i.target for i in found] == ["wizard.app", "wizard.app.WizardApp"]
    assert screen_imports_of_the_app(imports_of("from wizard import app\n", "screens.welcome")) != []
    assert screen_imports_of_the_app(imports_of("from screens.base import StepScreen\n", "wizard.app.work")) == []
    assert is_face("wizard.app.elb_work") and core_violations(imports_of("from wizard.app.outcomes import X\n", "wizard.steps"))


def test_the_checker_finds_a_page_calling_up_or_writing() -> None:
    source = ("def run(self):\n    self.wizard.start_handshake('h', 443)\n"
              "def bring(self):\n    self.confirm(then=self.app.start_bring)\n"
              "def dodge(self):\n    getattr(self.app, 'start_upload')(request)\n"
              "def save(self):\n    elb.export(ws, answers)\n    save_full_script(ws)\n"
              "def fine(self):\n    server.start()\n    text.startswith('x')\n    self.post_message(self.TestRequested())\n")
    assert calls_up_and_writes(source) == ["2: .start_handshake", "4: .start_bring", "6: 'start_upload'", "8: export()", "9: save_full_script()"]


def test_the_checker_finds_a_typing_only_cycle() -> None:
    imports = [
        *imports_of("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from wizard.app import WizardApp\n",
                    "screens.base", typing_too=True),
        *imports_of("from screens.base import StepScreen\n", "wizard.app"),
    ]
    assert cycles(imports, {"screens.base", "wizard.app"}) == [["screens.base", "wizard.app"]]


def test_the_checker_resolves_relative_imports() -> None:
    found = imports_of("from .payloads import x\nfrom .. import app\n", "wizard.elb.uploader")
    assert {i.target for i in found} >= {"wizard.elb.payloads", "wizard.app"}
