"""Read the wizard's texts and styles (assets/) at run time.

Installed, assets/ ships as the package `wizard.assets`; in a source checkout without an
install the top-level assets/ folder is read instead. Plain Python, no Textual.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from wizard import i18n

# Installed, the assets are a folder inside the package; in a source checkout (editable
# installs too) they are the top-level assets/. Read as plain files: importlib.resources costs
# the wizard's start-up an import of zipfile, and is kept for an install that is not a folder.
_INSTALLED_ASSETS = Path(__file__).resolve().parent / "assets"
_SOURCE_ASSETS = Path(__file__).resolve().parent.parent / "assets"


@lru_cache(maxsize=1)
def _assets_folder() -> Path | None:
    for folder in (_INSTALLED_ASSETS, _SOURCE_ASSETS):
        if (folder / "wizard.tcss").is_file():
            return folder
    return None


def _read_packaged(name: str) -> str | None:
    try:
        from importlib.resources import files

        resource = files("wizard.assets")
        # One segment at a time: assets/ is a namespace package, whose MultiplexedPath
        # takes a single segment per joinpath on Python 3.11.
        for part in name.split("/"):
            resource = resource.joinpath(part)
        return resource.read_text(encoding="utf-8")
    except (ImportError, OSError, ValueError, TypeError):
        return None


def read_text(name: str) -> str:
    """The text of assets/`name` (e.g. "steps/step1.md") in the current language: its
    translation in assets/<language>/ where there is one, else the English; empty when missing."""
    language = i18n.current_language()
    if language != i18n.ENGLISH:
        translated = _read(f"{language}/{name}")
        if translated:
            return translated
    return _read(name)


@lru_cache(maxsize=128)
def _read(name: str) -> str:
    folder = _assets_folder()
    if folder is None:
        return _read_packaged(name) or ""
    try:
        return (folder / name).read_text(encoding="utf-8")
    except OSError:
        return ""


def stylesheet_path() -> str:
    """A file path to wizard.tcss (Textual's CSS_PATH, so `textual run --dev` live-reloads it)."""
    folder = _assets_folder()
    if folder is not None:
        return str(folder / "wizard.tcss")
    try:
        from importlib.resources import files

        path = files("wizard.assets").joinpath("wizard.tcss")
        if isinstance(path, Path) and path.is_file():
            return str(path)
    except (ImportError, OSError, ValueError, TypeError):
        pass
    return str(_SOURCE_ASSETS / "wizard.tcss")


def step_text(step: int) -> str:
    return read_text(f"steps/step{step}.md")


def why_text(step: int) -> str:
    """The "why we differ from the tutorial" paragraph of a generating step ('' if none)."""
    return read_text(f"steps/step{step}-why.md")
