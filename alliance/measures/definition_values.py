"""The values of a JSON instrument definition, checked one at a time.

Each check returns the value it was given (or its canonical form) or raises `InstrumentError`
naming the JSON path and the rule broken; `schema.py` assembles a definition from them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from alliance.measures.instrument import Method


class InstrumentError(ValueError):
    """An instrument definition breaks the schema."""

    def __init__(self, path: str, rule: str) -> None:
        super().__init__(f"{path}: {rule}")
        self.path = path
        self.rule = rule


def require(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data:
        raise InstrumentError(f"{path}.{key}", "is required")
    return data[key]


def string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InstrumentError(path, "must be a non-empty string")
    return value


def optional_string(value: Any, path: str) -> str | None:
    return None if value is None else string(value, path)


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise InstrumentError(path, "must be true or false")
    return value


def number(value: Any, path: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InstrumentError(path, "must be a finite number")
    return int(value) if isinstance(value, int) else float(value)


def integer(value: Any, path: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InstrumentError(path, f"must be an integer >= {minimum}")
    return int(value)


def texts(value: Any, path: str) -> dict[str, str]:
    """Per-language text: {"en": "..."}; English is always required."""
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, Mapping) or "en" not in value:
        raise InstrumentError(path, 'must be an object of language -> text with an "en" entry')
    return {string(lang, path): string(text, f"{path}.{lang}") for lang, text in value.items()}


def json_list(value: Any, path: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise InstrumentError(path, "must be a list")
    return value


def scoring_method(value: Any, path: str) -> Method:
    if value == "sum":
        return "sum"
    if value == "mean":
        return "mean"
    raise InstrumentError(path, 'must be "sum" or "mean"')
