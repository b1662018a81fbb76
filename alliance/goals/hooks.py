"""Calls into parts that may not be installed yet (alert evaluation, handoff consent).

Looked up by name at call time so goals and the journal work before those parts arrive and
pick them up, unchanged, once they do.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from django.db import transaction


def optional(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = importlib.import_module(module)
    except ImportError:
        return None
    attr = getattr(found, name, None)
    return attr if callable(attr) else None


def request_alert_evaluation(partnership_id: int) -> None:
    """Ask the alert rules to look at this partnership again, once the change is committed."""
    evaluate = optional("alliance.checkins.services", "request_alert_evaluation")
    if evaluate is not None:
        transaction.on_commit(lambda: evaluate(partnership_id=partnership_id))


def handoff_allowed(partnership: Any) -> bool:
    """Whether the client consented to carry earlier goals to this (new) therapist.

    Until the care part answers the question, nothing is carried over.
    """
    allowed = optional("alliance.care.queries", "handoff_allowed")
    return bool(allowed(partnership)) if allowed is not None else False
