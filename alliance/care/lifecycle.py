"""The partnership lifecycle: what every part must answer when a partnership starts or ends.

A partnership ends in five ways — a switch, an ending agreed or chosen (`care/ending.py`), the
dropout rule, the therapist leaving the practice (`care/leaving.py`) and the client's erasure
(`privacy/rights.py`) — and every one of them goes through `care.services.end_partnership`,
which publishes `PartnershipEnded` here. A new partnership publishes `PartnershipStarted`.

Each part answers in its own `lifecycle.py`, a module-level `HANDLERS` mapping an event class
to a function, found among INSTALLED_APPS by `core.parts.part_modules` (as Django's
`autodiscover_modules` finds `admin.py`). Nothing here is optional: a part whose models refer
to a partnership must handle `PartnershipEnded` (system check `alliance.E001`), and a handler
that raises makes the whole change roll back, so a partnership is never recorded as ended
with one of its consequences missing.

Handlers run inside the transaction that records the change: their database effects (a
cancelled appointment, a closed call) commit with it or not at all. What they tell people
(e-mails, calendar cancellations, socket messages) they defer with `transaction.on_commit`
or a queued task, so nobody is told of a change that did not happen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import AppConfig, apps
from django.core import checks

from alliance.core.parts import part_modules


@dataclass(frozen=True)
class PartnershipStarted:
    partnership_id: int
    client_id: int
    therapist_id: int
    # The partnership this one follows after a switch, if any (handoff rules use it).
    previous_id: int | None


@dataclass(frozen=True)
class PartnershipEnded:
    partnership_id: int
    client_id: int
    therapist_id: int
    reason: str  # Partnership.EndReason
    ended_at: dt.datetime
    # Who ended it: the client (switch, client_ended), the therapist, staff (the therapist
    # leaving, erasure), or None for the daily dropout job.
    by_id: int | None


@dataclass(frozen=True)
class EndingPlanned:
    """An ending agreed ahead of time: the final measures are wanted now (care/ending.py)."""

    partnership_id: int


@dataclass(frozen=True)
class FollowUpDue:
    """Three months after a planned ending, the client wanted a follow-up check."""

    partnership_id: int


@dataclass(frozen=True)
class IntakeScreenPositive:
    """The intake's safety screen was answered yes: a safety alert is owed (checkins)."""

    client_id: int
    intake_id: int
    positive_answers: tuple[str, ...]
    acute: bool


Handler = Callable[[Any], None]
# Every event any part publishes; each must have a handler somewhere (alliance.E003). Parts
# above care add their own (schedule/events.py) with `register_event`.
EVENTS: list[type] = [
    PartnershipStarted,
    PartnershipEnded,
    EndingPlanned,
    FollowUpDue,
    IntakeScreenPositive,
]


def register_event(event_type: type) -> type:
    if event_type not in EVENTS:
        EVENTS.append(event_type)
    return event_type


MODULE = "lifecycle"


def handlers(event_type: type, configs: Iterable[AppConfig] | None = None) -> list[Handler]:
    found = []
    for module in part_modules(MODULE, configs):
        handler = getattr(module, "HANDLERS", {}).get(event_type)
        if handler is not None:
            found.append(handler)
    return found


def publish(event: Any) -> None:
    """Every part's handler for `event`, in INSTALLED_APPS order, in the caller's
    transaction (the caller holds one: a handler's failure rolls the change back)."""
    for handler in handlers(type(event)):
        handler(event)


def _refers_to_partnership(config: AppConfig) -> bool:
    partnership = apps.get_model("care", "Partnership")
    return any(
        field.is_relation and field.many_to_one and field.related_model is partnership
        for model in config.get_models()
        for field in model._meta.get_fields()
    )


def missing_handlers(configs: Iterable[AppConfig] | None = None) -> list[str]:
    """Parts whose data refers to a partnership but that do not answer its end."""
    configs = list(configs if configs is not None else apps.get_app_configs())
    missing = []
    for config in configs:
        if config.label == "care" or not _refers_to_partnership(config):
            continue
        if not handlers(PartnershipEnded, [config]):
            missing.append(config.name)
    return missing


def unhandled_events() -> list[str]:
    return [e.__name__ for e in EVENTS if not handlers(e)]


@checks.register()
def check_lifecycle_handlers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    unhandled: list[checks.CheckMessage] = [
        checks.Error(
            f"Nothing handles {name}: what it announces would be lost.",
            hint=f"Add it to the HANDLERS of the part that must answer it ({MODULE}.py).",
            id="alliance.E003",
        )
        for name in unhandled_events()
    ]
    return unhandled + [
        checks.Error(
            f"{name} stores data of partnerships but does not handle their end.",
            hint=(
                f"Add {name}.{MODULE} with HANDLERS = {{PartnershipEnded: ...}} "
                "(alliance/care/lifecycle.py says what a handler does)."
            ),
            id="alliance.E001",
        )
        for name in missing_handlers()
    ]
