"""Signals the alert rules read: goals co-agreed, tasks not done, journal activity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.goals import queries, services
from alliance.journal import queries as journal_queries
from alliance.journal.models import JournalEntry
from alliance.journal.services import write_entry
from alliance.measures.alerts.model import GoalsStatus
from tests.conftest import make_appointment

pytestmark = pytest.mark.django_db


def _appointment(partnership, starts_at, **extra):
    return make_appointment(partnership, starts_at, **extra)


def test_goals_status_counts_sessions_held_and_co_agreement(
    partnership, client_user, their_therapist
):
    now = timezone.now()
    for weeks_ago in (3, 2, 1):
        _appointment(partnership, now - dt.timedelta(weeks=weeks_ago))
    _appointment(partnership, now + dt.timedelta(days=2))  # not held yet
    goal = services.propose_goal(partnership=partnership, by=their_therapist, title="Sleep")
    assert queries.goals_status_for_alerts([partnership.pk]) == {
        partnership.pk: GoalsStatus(co_agreed=False, sessions_since_start=3)
    }
    services.agree_goal(goal=goal, by=client_user)
    assert queries.goals_status_for_alerts([partnership.pk])[partnership.pk].co_agreed
    # an archived goal no longer counts as a shared goal
    services.close_goal(goal=goal, by=client_user, status="archived")
    assert not queries.goals_status_for_alerts([partnership.pk])[partnership.pk].co_agreed


def test_goals_status_query_count_is_flat(partnership, client_user, their_therapist):
    with CaptureQueriesContext(connection) as ctx:
        queries.goals_status_for_alerts([partnership.pk, 999])
    assert len(ctx.captured_queries) == 3


def test_journal_weeks_count_shared_entries_only(partnership, client_user):
    from alliance.care.models import Partnership

    Partnership.objects.filter(pk=partnership.pk).update(
        started_at=timezone.now() - dt.timedelta(weeks=10)
    )
    now = timezone.now()
    for weeks_ago, share in ((3.5, True), (3.2, True), (0.5, True), (0.4, False)):
        entry = write_entry(client=client_user, body="words", share=share).entry
        JournalEntry.objects.filter(pk=entry.pk).update(
            created_at=now - dt.timedelta(weeks=weeks_ago)
        )
    assert journal_queries.journal_weeks_for_alerts([partnership.pk], weeks=4) == {
        partnership.pk: (2, 0, 0, 1)
    }


def test_journal_weeks_start_with_the_partnership(partnership, client_user):
    write_entry(client=client_user, body="words", share=True)
    assert journal_queries.journal_weeks_for_alerts([partnership.pk], weeks=6) == {
        partnership.pk: (1,)
    }
    with pytest.raises(ValueError):
        journal_queries.journal_weeks_for_alerts([partnership.pk], weeks=0)
