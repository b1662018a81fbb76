from __future__ import annotations

import pytest

PHQ9_LOW_ITEM9 = [0, 1, 0, 0, 1, 0, 0, 0, 1]  # total 3, item 9 = 1


def checkin_post(instrument_id: str, values: dict[str, object], key: str = "k1") -> dict:
    data = {"instrument_id": instrument_id, "idempotency_key": key}
    data.update({f"item_{k}": v for k, v in values.items()})
    return data


def good_checkin(value: int = 6) -> dict[str, object]:
    return {f"{p}_{i}": value for p in ("goal", "task", "bond") for i in (1, 2)}


def phq9_answers(values: list[int]) -> dict[str, object]:
    return {f"phq9_{i + 1}": v for i, v in enumerate(values)}


def gad7_answers(values: list[int]) -> dict[str, object]:
    return {f"gad7_{i + 1}": v for i, v in enumerate(values)}


@pytest.fixture
def checkin_request(partnership):
    from alliance.checkins.services import request_checkin

    return request_checkin(partnership=partnership)


# A practice model with known coefficients, and the budget's thresholds pinned, so that the
# tests of the cards do not move when the shipped prior is refitted.
KNOWN_MODEL = {
    "intercept": -3.0,
    "time": 0.0,
    "weights": {
        "bond_deficit": 1.0,
        "bond_drop": 3.0,
        "collaboration_deficit": 1.0,
        "collaboration_drop": 2.0,
        "goals_not_agreed": 0.5,
        "perspective_gap": 0.5,
        "checkpoint": 0.0,  # its own test gives it a weight
        "off_track": 0.7,
        "no_reliable_change": 0.3,
        "worsening": 1.0,
        "missed": 0.6,
        "late_arrivals": 0.2,
        "skipped": 0.3,
        "fading_contact": 0.5,
    },
    "horizon": 4,
    "source": "test model",
}
OPEN_AT, CLOSE_BELOW = 0.3, 0.2


@pytest.fixture
def known_model(db, monkeypatch):
    from django.conf import settings
    from django.utils import timezone

    from alliance.checkins import attention
    from alliance.checkins.models import RiskModelFit
    from alliance.measures.alerts.budget import Budget

    RiskModelFit.objects.create(
        coefficients=KNOWN_MODEL,
        events=500,
        observations=5000,
        partnerships=100,
        fitted_at=timezone.now(),
    )
    monkeypatch.setattr(
        attention,
        "budget",
        lambda: Budget(
            share=settings.ALERT_BUDGET_SHARE, open_at=OPEN_AT, close_below=CLOSE_BELOW
        ),
    )
