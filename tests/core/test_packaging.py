"""What `pip install .` ships: every package of the source tree, and the assets beside them."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_of_the_source_tree_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("wizard", "screens")
        for init in (ROOT / top).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found <= listed, f"missing from pyproject.toml [tool.setuptools] packages: {sorted(found - listed)}"
    assert "wizard.assets" in listed


def test_the_installed_package_finds_its_chinese_catalog_and_texts(tmp_path: Path) -> None:
    """Run from an empty folder, so what is imported is the installed package (non-editable in
    CI), not the source tree: its compiled catalog and its zh_CN Markdown must be there."""
    import subprocess

    probe = (
        "from wizard import assets_loader, i18n\n"
        "assert i18n.set_language('zh_CN') == 'zh_CN', 'no zh_CN catalog at ' + str(i18n.catalog_path('zh_CN'))\n"
        "assert i18n._('Quit') != 'Quit'\n"
        "assert '证书' in assets_loader.read_text('steps/step4.md')\n"
        "i18n.set_language('en')\n"
        "assert i18n._('Quit') == 'Quit' and '证书' not in assets_loader.read_text('steps/step4.md')\n"
        "print(i18n.catalog_path('zh_CN'))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
