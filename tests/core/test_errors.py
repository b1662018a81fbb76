"""One domain error base: every refusal a part raises is a `DomainError`, and the API
answers each through the one handler with the class's status and sentence."""

from __future__ import annotations

import inspect
import json

import pytest

from alliance.api.api import api
from alliance.checkins.errors import CheckinError
from alliance.core.errors import DomainError
from alliance.core.parts import part_modules
from alliance.journal.services import JournalError
from alliance.schedule.services import ScheduleError


def _error_classes() -> list[type]:
    found: dict[str, type] = {}
    for name in ("services", "errors", "membership", "matching", "switching", "safety", "export"):
        for module in part_modules(name):
            for _, value in inspect.getmembers(module, inspect.isclass):
                if value.__module__ == module.__name__ and issubclass(value, ValueError):
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def test_every_part_error_is_a_domain_error():
    classes = _error_classes()
    assert len(classes) >= 10  # the parts' errors were found at all
    stray = [c.__qualname__ for c in classes if not issubclass(c, DomainError)]
    assert stray == []


@pytest.mark.parametrize(
    ("error", "status"), [(JournalError, 409), (ScheduleError, 409), (CheckinError, 400)]
)
def test_api_answers_a_domain_error_with_its_status(rf, error, status):
    request = rf.get("/api/")
    response = api.on_exception(request, error("That time is taken."))
    assert response.status_code == status
    assert json.loads(response.content) == {"detail": "That time is taken."}
