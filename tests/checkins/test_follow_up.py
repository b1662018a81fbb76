"""The follow-up check after a planned ending: outcome measures only, answerable by the
client after the partnership has ended, and only then."""

from __future__ import annotations

import pytest
from django.test import TestCase

from alliance.care.services import end_partnership
from alliance.checkins import services
from alliance.checkins.models import Response
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_follow_up_is_for_ended_partnerships_only(partnership):
    with pytest.raises(services.CheckinError):
        services.request_follow_up(partnership=partnership)


def test_client_answers_a_follow_up_after_the_ending(partnership, client_user, mailoutbox):
    ended = end_partnership(partnership=partnership, reason="completed")
    with TestCase.captureOnCommitCallbacks(execute=True):
        follow_up = services.request_follow_up(partnership=ended)
    assert follow_up.instruments == ["phq9", "gad7"]
    assert services.request_follow_up(partnership=ended) == follow_up  # idempotent while open
    assert len(mailoutbox) == 1
    response = services.submit_response(
        partnership=ended,
        respondent=client_user,
        instrument_id="phq9",
        answers={f"phq9_{i}": 0 for i in range(1, 10)},
        request=follow_up,
    )
    assert Response.objects.filter(pk=response.response.pk).exists()


def test_an_ordinary_check_in_cannot_be_answered_after_the_ending(partnership, client_user):
    ordinary = services.request_checkin(partnership=partnership)
    ended = end_partnership(partnership=partnership, reason="completed")
    with pytest.raises(services.CheckinError, match="ended"):
        services.submit_response(
            partnership=ended,
            respondent=client_user,
            instrument_id="alliance_checkin",
            answers={},
            request=ordinary,
        )


def test_follow_up_page_opens_for_the_client(partnership, client_user):
    ended = end_partnership(partnership=partnership, reason="completed")
    follow_up = services.request_follow_up(partnership=ended)
    assert logged_in(client_user).get(f"/checkins/requests/{follow_up.pk}/").status_code == 200


def test_early_pillars_are_on_a_unit_scale_named_as_matching_names_them(partnership, client_user):
    from django.utils import timezone

    from alliance.checkins.queries import early_pillars_by_partnership

    Response.objects.create(
        partnership=partnership,
        respondent=client_user,
        respondent_role="client",
        instrument_id="alliance_checkin",
        instrument_version="1",
        session_number=3,
        answers={},
        total=3.0,
        subscales={"goal": 6, "task": 3, "bond": 0},
        submitted_at=timezone.now(),
        idempotency_key="k3",
    )
    pillars = early_pillars_by_partnership([partnership.pk])[partnership.pk]
    assert pillars == {"goals": 1.0, "tasks": 0.5, "bond": 0.0}
