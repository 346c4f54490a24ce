"""A package's names, each loaded from its submodule on first use (PEP 562 `__getattr__`).

Why: a package that imports all its submodules up front makes every command pay for all of
them (`check` used to load the client-issuing code and a process pool through
`wizard.clients`). With `__getattr__ = lazy_names(__name__, {...})` in the package's
`__init__`, `from wizard.clients import list_clients` imports `wizard.clients.registry` only.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_names(package: str, exports: Mapping[str, Iterable[str]]) -> Callable[[str], Any]:
    """The package's `__getattr__`: `exports` maps each submodule (relative name) to the names it
    gives the package. A name is looked up once, then kept on the package."""
    home = {name: f"{package}.{module}" for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:  # noqa: N807 - the name PEP 562 asks for
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


def exported(exports: Mapping[str, Iterable[str]]) -> list[str]:
    """Every name of `exports`, for the package's `__all__`."""
    return sorted(name for names in exports.values() for name in names)
