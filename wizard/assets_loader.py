"""Read the wizard's texts and styles (assets/) at run time.

Installed, assets/ ships as the package `wizard.assets`; in a source checkout without an
install the top-level assets/ folder is read instead. Plain Python, no Textual.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from wizard import i18n

_SOURCE_ASSETS = Path(__file__).resolve().parent.parent / "assets"


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
    text = _read_packaged(name)
    if text is None:
        try:
            text = (_SOURCE_ASSETS / name).read_text(encoding="utf-8")
        except OSError:
            text = ""
    return text


def stylesheet_path() -> str:
    """A file path to wizard.tcss (Textual's CSS_PATH, so `textual run --dev` live-reloads it)."""
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
