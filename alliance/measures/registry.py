"""Load instrument definitions shipped as JSON data files in `instruments/`."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from alliance.measures.instrument import Instrument
from alliance.measures.schema import InstrumentError, instrument_from_dict


class UnknownInstrumentError(KeyError):
    """No shipped instrument has this id."""

    def __str__(self) -> str:
        known = ", ".join(instrument_ids())
        return f"unknown instrument {self.args[0]!r} (known: {known})"


def _directory() -> Traversable:
    return resources.files("alliance.measures").joinpath("instruments")


def instrument_from_json(text: str) -> Instrument:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstrumentError("$", f"is not valid JSON ({exc})") from exc
    return instrument_from_dict(data)


def load_instrument_file(path: str | Path) -> Instrument:
    """Load a practice-supplied instrument (e.g. a licensed one) from a file."""
    return instrument_from_json(Path(path).read_text(encoding="utf-8"))


@cache
def instrument_ids() -> tuple[str, ...]:
    files = _directory().iterdir()
    return tuple(sorted(f.name.removesuffix(".json") for f in files if f.name.endswith(".json")))


@cache
def get_instrument(instrument_id: str) -> Instrument:
    """The shipped instrument with this id (validated once, then cached)."""
    if instrument_id not in instrument_ids():
        raise UnknownInstrumentError(instrument_id)
    text = _directory().joinpath(f"{instrument_id}.json").read_text("utf-8")
    instrument = instrument_from_json(text)
    if instrument.id != instrument_id:
        raise InstrumentError("$.id", f"must match the file name {instrument_id!r}")
    return instrument


def all_instruments() -> tuple[Instrument, ...]:
    return tuple(get_instrument(i) for i in instrument_ids())
