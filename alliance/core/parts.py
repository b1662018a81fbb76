"""The parts of the project are its installed apps: the one place modules are looked up by name.

A part contributes by having a module of a known name — `lifecycle` (care/lifecycle.py),
`privacy` (export and erasure, privacy/rights.py), `nav` (core/nav.py), `api` (api/api.py),
`demo` (core/demo.py) — so adding a part touches only its own folder and INSTALLED_APPS.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from django.apps import AppConfig, apps


def part_modules(name: str, configs: Iterable[AppConfig] | None = None) -> Iterator[ModuleType]:
    """Each installed part's module `name`, in INSTALLED_APPS order. A module that exists
    but fails to import raises, rather than silently switching a part off."""
    for config in configs if configs is not None else apps.get_app_configs():
        if not config.name.startswith("alliance."):
            continue
        dotted = f"{config.name}.{name}"
        if find_spec(dotted) is not None:
            yield import_module(dotted)


def part_label(module: ModuleType) -> str:
    """ "checkins" for alliance.checkins.privacy."""
    return module.__name__.split(".")[1]
