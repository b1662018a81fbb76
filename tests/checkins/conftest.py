from __future__ import annotations

import pytest

from tests.conftest import CLOSE_BELOW, KNOWN_MODEL, OPEN_AT

__all__ = ["CLOSE_BELOW", "KNOWN_MODEL", "OPEN_AT"]

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
