"""One score per instrument, respondent and session: a second submission for the same
session is a correction. It becomes the current score; the first is kept, superseded, and
the correction is audited. Safety alerts raised by the first stay open."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, transaction

from alliance.checkins import services
from alliance.checkins.evaluation import evaluate_partnerships
from alliance.checkins.models import Alert, Response
from alliance.privacy.models import AuditEvent
from tests.checkins.conftest import PHQ9_LOW_ITEM9, phq9_answers
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def api_phq9(user, partnership, values, key):
    body = {
        "partnership_id": partnership.pk,
        "instrument_id": "phq9",
        "answers": phq9_answers(values),
        "idempotency_key": key,
    }
    return logged_in(user).post(
        "/api/checkins/responses", json.dumps(body), content_type="application/json"
    )


def test_a_second_phq9_for_one_session_corrects_the_first(client_user, partnership):
    services.request_checkin(partnership=partnership)
    # given a PHQ-9 for the latest session, submitted without a request id
    first = api_phq9(client_user, partnership, [2, 2, 2, 2, 2, 1, 1, 1, 0], "first")
    assert first.status_code == 201
    # when a second one comes for the same session
    second = api_phq9(client_user, partnership, [1, 1, 1, 1, 1, 0, 0, 0, 0], "second")
    # then it is the current score, and the first is kept, superseded by it
    assert second.status_code == 201, second.content
    old, new = Response.objects.order_by("id")
    assert old.session_number == new.session_number
    assert old.superseded_at is not None and old.superseded_by_id == new.pk
    assert new.superseded_at is None
    assert list(Response.objects.current()) == [new]
    assert new.total == 5 and old.total == 13
    # and the correction is audited against the row it replaced
    event = AuditEvent.objects.get(action="correct_score")
    assert event.object_id == str(old.pk) and event.actor_id == client_user.pk
    assert event.client_id == client_user.pk


def test_alert_evaluation_keeps_working_after_a_correction(client_user, partnership):
    services.request_checkin(partnership=partnership)
    api_phq9(client_user, partnership, [2, 2, 2, 2, 2, 1, 1, 1, 0], "a")
    api_phq9(client_user, partnership, [1, 1, 1, 1, 1, 0, 0, 0, 0], "b")
    api_phq9(client_user, partnership, [0, 1, 1, 1, 1, 0, 0, 0, 0], "c")
    summary = evaluate_partnerships([partnership.pk])
    assert summary.partnerships == 1
    assert Response.objects.current().count() == 1
    assert Response.objects.count() == 3


def test_a_resend_is_not_a_correction(client_user, partnership):
    api_phq9(client_user, partnership, [1, 1, 1, 1, 1, 0, 0, 0, 0], "same")
    again = api_phq9(client_user, partnership, [3, 3, 3, 3, 3, 3, 3, 3, 0], "same")
    assert again.status_code == 200 and again.json()["created"] is False
    assert (
        Response.objects.count() == 1
        and not AuditEvent.objects.filter(action="correct_score").exists()
    )


def test_a_correction_never_closes_a_safety_alert(client_user, partnership):
    api_phq9(client_user, partnership, PHQ9_LOW_ITEM9, "positive")
    assert Alert.objects.filter(kind="safety", is_open=True).count() == 1
    corrected = api_phq9(client_user, partnership, [0, 1, 0, 0, 1, 0, 0, 0, 0], "negative")
    assert corrected.status_code == 201
    assert Alert.objects.filter(kind="safety", is_open=True).count() == 1


def test_a_later_session_is_a_new_score_not_a_correction(client_user, partnership):
    from django.utils import timezone

    from alliance.checkins.models import CheckinRequest

    services.request_checkin(partnership=partnership)
    api_phq9(client_user, partnership, [1, 1, 1, 1, 1, 0, 0, 0, 0], "s1")
    CheckinRequest.objects.create(
        partnership=partnership, session_number=2, instruments=["phq9"], created_at=timezone.now()
    )
    api_phq9(client_user, partnership, [0, 1, 1, 1, 1, 0, 0, 0, 0], "s2")
    assert sorted(Response.objects.current().values_list("session_number", flat=True)) == [1, 2]
    assert not AuditEvent.objects.filter(action="correct_score").exists()


def test_the_database_refuses_two_current_scores_for_one_session(client_user, partnership):
    api_phq9(client_user, partnership, [1, 1, 1, 1, 1, 0, 0, 0, 0], "one")
    row = Response.objects.get()
    row.pk = None
    row.idempotency_key = "two"
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save(force_insert=True)


def test_the_progress_page_marks_a_corrected_score(client_user, their_therapist, partnership):
    services.request_checkin(partnership=partnership)
    api_phq9(client_user, partnership, [2, 2, 2, 2, 2, 1, 1, 1, 0], "a")
    api_phq9(client_user, partnership, [1, 1, 1, 1, 1, 0, 0, 0, 0], "b")
    page = logged_in(their_therapist).get(f"/checkins/partnerships/{partnership.pk}/progress/")
    assert page.content.decode().count("corrected later") == 1
