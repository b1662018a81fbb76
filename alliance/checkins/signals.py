"""The alert rules' signals that other parts measure: messages per week (conversations), the
co-agreed goals (goals) and the client's answer to the treatment plan (records).

Those parts sit above check-ins (they call its services), so check-ins does not import
them: each provides its signals in its `alert_signals.py` (`SIGNALS = {name: function}`),
found among INSTALLED_APPS (core/parts.py). Every signal in REQUIRED must come from exactly
one part, or `manage.py check` fails (alliance.E004): a renamed function can never silently
switch a rule off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from alliance.core.parts import part_modules

REQUIRED = (
    "messages_per_week",  # (ids, *, weeks) -> {partnership id: client messages per week}
    "goals_status",  # (ids) -> {partnership id: measures.alerts.GoalsStatus}
    "plan_status",  # (ids) -> {partnership id: measures.alerts.PlanStatus}
)


def _provided() -> dict[str, list[Callable[..., Any]]]:
    found: dict[str, list[Callable[..., Any]]] = {name: [] for name in REQUIRED}
    for module in part_modules("alert_signals"):
        for name, function in getattr(module, "SIGNALS", {}).items():
            found.setdefault(name, []).append(function)
    return found


def _problems() -> list[str]:
    return [
        f"the alert signal {name!r} comes from {len(found)} parts; exactly one must provide it"
        for name, found in _provided().items()
        if name in REQUIRED and len(found) != 1
    ]


def signal(name: str) -> Callable[..., Any]:
    found = _provided().get(name, [])
    if len(found) != 1:
        raise ImproperlyConfigured("; ".join(_problems()) or f"unknown signal {name!r}")
    return found[0]


@checks.register()
def check_alert_signals(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            problem,
            hint="A part provides it in alliance/<part>/alert_signals.py "
            "(alliance/checkins/signals.py says what).",
            id="alliance.E004",
        )
        for problem in _problems()
    ]
