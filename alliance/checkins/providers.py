"""Functions another part may provide, looked up only when that part is installed."""

from __future__ import annotations

from typing import Any


def optional_provider(module: str, name: str) -> Any:
    """A function another part may provide; None when that part (or function) is absent."""
    import importlib
    import importlib.util

    try:
        if importlib.util.find_spec(module) is None:
            return None
    except ModuleNotFoundError:
        return None
    return getattr(importlib.import_module(module), name, None)
