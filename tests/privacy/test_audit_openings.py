"""A therapist's read of a record is audited whatever the request says of itself: a fragment
refresh (HX-Request, which any client can send) adds no row only right after an opening
of the same record; the JSON API's reads are audited as the pages' are."""

from __future__ import annotations

import datetime as dt

import pytest

from alliance.privacy import audit
from alliance.privacy.models import AuditEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

PAGES = [
    "/care/partnerships/{pk}/",
    "/checkins/partnerships/{pk}/progress/",
    "/goals/partnerships/{pk}/progress/",
    "/journal/partnerships/{pk}/",
    "/conversations/{pk}/",
]


def rows(user) -> int:
    return AuditEvent.objects.filter(actor_id=user.pk, action="open_record").count()


@pytest.mark.parametrize("path", PAGES)
def test_a_refresh_alone_is_still_audited_once_per_window(path, partnership, their_therapist):
    browser = logged_in(their_therapist)
    url = path.format(pk=partnership.pk)
    assert browser.get(url, HTTP_HX_REQUEST="true").status_code == 200
    assert rows(their_therapist) == 1  # no opening before it: recorded
    assert browser.get(url, HTTP_HX_REQUEST="true").status_code == 200
    assert rows(their_therapist) == 1  # a refresh right after it: not again
    AuditEvent.objects.filter(actor_id=their_therapist.pk).update(
        at=AuditEvent.objects.get(actor_id=their_therapist.pk).at
        - audit.REFRESH_WINDOW
        - dt.timedelta(seconds=1)
    )
    assert browser.get(url, HTTP_HX_REQUEST="true").status_code == 200
    assert rows(their_therapist) == 2  # the window has passed: recorded again


@pytest.mark.parametrize("path", PAGES)
def test_each_full_opening_is_audited(path, partnership, their_therapist):
    browser = logged_in(their_therapist)
    url = path.format(pk=partnership.pk)
    browser.get(url)
    browser.get(url)
    assert rows(their_therapist) == 2


def test_goals_api_reads_are_audited(partnership, their_therapist, client_user):
    from alliance.goals import services

    goal = services.propose_goal(partnership=partnership, by=client_user, title="Sleep earlier")
    browser = logged_in(their_therapist)
    assert browser.get(f"/api/goals/goals/{goal.pk}").status_code == 200
    assert rows(their_therapist) == 1
    for path in (f"/api/goals/partnerships/{partnership.pk}/goals", f"/api/goals/goals/{goal.pk}"):
        assert browser.get(path).status_code == 200
    assert rows(their_therapist) == 1  # repeated calls are refreshes
    assert logged_in(client_user).get(f"/api/goals/goals/{goal.pk}").status_code == 200
    assert rows(client_user) == 0  # a client reading their own goals is not a staff read


def test_checkin_scores_api_read_is_audited(partnership, their_therapist, client_user):
    from alliance.checkins.services import submit_response

    submit_response(
        partnership=partnership,
        respondent=client_user,
        instrument_id="phq9",
        answers={f"phq9_{i}": 1 for i in range(1, 10)},
    )
    response = logged_in(their_therapist).get(f"/api/checkins/partnerships/{partnership.pk}/scores")
    assert response.status_code == 200 and "phq9" in response.content.decode()
    assert rows(their_therapist) == 1


def test_notebook_assignment_page_read_is_audited(partnership, their_therapist, client_user):
    from alliance.journal import services
    from alliance.journal.models import Notebook

    notebook = Notebook.objects.filter(author__isnull=True).first()
    assignment = services.assign_notebook(
        notebook=notebook, partnership=partnership, by=their_therapist
    )
    services.write_entry(
        client=client_user,
        body="Shared with my therapist",
        share=True,
        assignment=assignment,
        notebook_prompt=notebook.prompts.first(),
    )
    response = logged_in(their_therapist).get(f"/journal/assigned/{assignment.pk}/")
    assert response.status_code == 200 and "Shared with my therapist" in response.content.decode()
    assert rows(their_therapist) == 1
