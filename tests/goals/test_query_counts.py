"""List pages of goals, tasks and the journal do not grow in queries with their rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.goals import services
from alliance.journal.services import write_entry
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def _add_rows(partnership, client_user, therapist, n: int) -> None:
    due = timezone.localdate() + dt.timedelta(days=2)
    for i in range(n):
        goal = services.propose_goal(partnership=partnership, by=therapist, title=f"Goal {i}")
        services.agree_goal(goal=goal, by=client_user)
        services.rate_goal(goal=goal, by=client_user, value=0)
        task = services.propose_task(
            partnership=partnership, by=therapist, title=f"Task {i}", due_on=due, goal=goal
        )
        services.agree_task(task=task, by=client_user)
        write_entry(client=client_user, body=f"Entry {i}", share=True, prompt_key=f"goal-{goal.pk}")


def _count(browser, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "path",
    [
        "/goals/partnerships/{p}/progress/",
        "/goals/partnerships/{p}/tasks/",
        "/journal/partnerships/{p}/",
        "/goals/",
    ],
)
def test_therapist_pages_do_not_grow(path, partnership, client_user, their_therapist):
    browser = logged_in(their_therapist)
    url = path.format(p=partnership.pk)
    _add_rows(partnership, client_user, their_therapist, 1)
    before = _count(browser, url)
    _add_rows(partnership, client_user, their_therapist, 4)
    assert _count(browser, url) == before


def test_client_journal_does_not_grow(partnership, client_user, their_therapist):
    browser = logged_in(client_user)
    _add_rows(partnership, client_user, their_therapist, 1)
    before = _count(browser, "/journal/")
    _add_rows(partnership, client_user, their_therapist, 4)
    assert _count(browser, "/journal/") == before
