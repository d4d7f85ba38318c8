"""Lazy exports for the stage packages (PEP 562): a package names each public object and the module defining it,
and the module is imported on first use, so importing the package stays cheap and its heavy dependencies
(statsmodels, lifelines, Great Expectations, matplotlib) load only where they are used."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, exports: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` for ``package``: ``exports`` maps a public name to its defining module; the
    value found is cached in ``namespace`` (the package's ``globals()``) so the lookup runs once per name."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
