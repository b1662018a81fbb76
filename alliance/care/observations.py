"""What care learns from: the measured alliance and outcome of each partnership, and
which clients have an open safety alert (the waiting list offers them a therapist first).

Matching's records and the learning of its weights need, per partnership, the session-3
alliance (and its bond, goals and tasks subscales) and the risk-adjusted outcome change.
The part that measures them (check-ins) provides them in its `observations.py`, found among
INSTALLED_APPS (core/parts.py): care sits below the parts that use it and never imports
them. Exactly one part must provide them, or `manage.py check` fails (alliance.E002), so a
renamed function can never silently switch learning off.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from alliance.core.parts import part_modules

FUNCTIONS = (
    "early_alliance_by_partnership",  # {partnership id: session-3 alliance}
    "early_pillars_by_partnership",  # {partnership id: {"bond": x, "goals": y, "tasks": z}}
    "outcome_change_by_partnership",  # {partnership id: risk-adjusted change}
    "open_safety_client_ids",  # {client id} with an open safety alert (waiting list order)
)


def _modules() -> list[ModuleType]:
    # This module has the same name as the providers' but is care's own, the consumer.
    return [m for m in part_modules("observations") if m.__name__ != __name__]


def _providers() -> list[ModuleType]:
    return [m for m in _modules() if all(hasattr(m, f) for f in FUNCTIONS)]


def _problems() -> list[str]:
    modules = _modules()
    problems = [
        f"{m.__name__} lacks {', '.join(f for f in FUNCTIONS if not hasattr(m, f))}"
        for m in modules
        if not all(hasattr(m, f) for f in FUNCTIONS)
    ]
    if len(_providers()) != 1:
        problems.append(f"{len(_providers())} parts provide observations; exactly one must")
    return problems


def provider() -> ModuleType:
    found = _providers()
    if len(found) != 1 or _problems():
        raise ImproperlyConfigured("; ".join(_problems()))
    return found[0]


def early_alliance(ids: Iterable[int]) -> dict[int, Any]:
    return dict(provider().early_alliance_by_partnership(list(ids)))


def early_pillars(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    return dict(provider().early_pillars_by_partnership(list(ids)))


def outcome_change(ids: Iterable[int]) -> dict[int, Any]:
    return dict(provider().outcome_change_by_partnership(list(ids)))


def open_safety_clients() -> set[int]:
    return set(provider().open_safety_client_ids())


@checks.register()
def check_observations(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            problem,
            hint="The measuring part provides alliance/<part>/observations.py "
            "(alliance/care/observations.py says what).",
            id="alliance.E002",
        )
        for problem in _problems()
    ]
