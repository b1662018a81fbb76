"""The progress charts' practice-wide models are refitted when a score arrives, without a
practice-wide count on every view, and the page's queries do not grow with its sessions."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from alliance.checkins import history
from alliance.checkins.models import CheckinRequest, Response
from tests.checkins.conftest import phq9_answers
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def _phq9(user, partnership, values, key):
    body = {
        "partnership_id": partnership.pk,
        "instrument_id": "phq9",
        "answers": phq9_answers(values),
        "idempotency_key": key,
    }
    response = logged_in(user).post(
        "/api/checkins/responses", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.content


def _sessions(client_user, partnership, n: int, start: int = 0) -> None:
    """PHQ-9s for sessions start + 1 ... start + n."""
    for i in range(start + 1, start + n + 1):
        CheckinRequest.objects.create(
            partnership=partnership, session_number=i, instruments=["phq9"], created_at=now()
        )
        _phq9(client_user, partnership, [2, 2, 1, 1, 1, 1, 1, 0, 0], f"s{i}")


def _queries(browser, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_a_new_score_and_a_correction_refit_the_trajectory_model(client_user, partnership):
    history._CACHE.clear()
    _sessions(client_user, partnership, 1)
    first = history.trajectory_model("phq9")
    assert history.trajectory_model("phq9") is first  # nothing changed: the same model
    _sessions(client_user, partnership, 1, start=1)
    second = history.trajectory_model("phq9")
    assert second is not first
    # a correction of the latest session is a new row, superseding the old one
    _phq9(client_user, partnership, [0, 0, 0, 0, 0, 0, 0, 0, 0], "correction")
    assert Response.objects.filter(superseded_at__isnull=False).count() == 1
    assert history.trajectory_model("phq9") is not second


def test_the_progress_charts_count_no_practice_responses(client_user, their_therapist, partnership):
    _sessions(client_user, partnership, 2)
    url = f"/checkins/partnerships/{partnership.pk}/progress/"
    sql = _queries(logged_in(their_therapist), url)
    assert not [q for q in sql if "COUNT(" in q.upper() and "checkins_response" in q]


def test_the_progress_charts_do_not_grow_with_sessions(client_user, their_therapist, partnership):
    browser = logged_in(their_therapist)
    url = f"/checkins/partnerships/{partnership.pk}/progress/"
    _sessions(client_user, partnership, 1)
    before = len(_queries(browser, url))
    _sessions(client_user, partnership, 4, start=1)
    assert Response.objects.values("session_number").distinct().count() == 5
    assert len(_queries(browser, url)) == before
