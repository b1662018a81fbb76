"""Fixtures for matching, switching and the waiting list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from alliance.care.intake import SCREEN_QUESTIONS


@pytest.fixture(autouse=True)
def _fresh_index():
    from alliance.care.match_index import forget_index

    forget_index()
    yield
    forget_index()


def intake_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "concerns": ["anxiety"],
        "change_wanted": "I want to stop dreading Mondays",
        "languages": ["en"],
        "modality": "video",
        "jurisdiction": "US-NY",
        "timezone": "America/New_York",
        "budget": "",
        "insurer": "",
        "did_not_work": "Homework every week",
    }
    data.update({f"screen_{key}": "no" for key, _q in SCREEN_QUESTIONS})
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def add_window(therapist, weekday: int, start: int, end: int) -> None:
    from alliance.directory.models import AvailabilityWindow

    AvailabilityWindow.objects.create(
        therapist=therapist.therapist_profile,
        weekday=weekday,
        start=dt.time(start),
        end=dt.time(end),
    )


def submit_intake(client_user, **overrides: Any):
    from alliance.care.intake import IntakeForm, save_intake

    form = IntakeForm(intake_data(**overrides), client=client_user)
    assert form.is_valid(), form.errors
    return save_intake(client=client_user, form=form)[0]
