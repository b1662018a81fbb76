"""Goals: proposed by either side, agreed by both, rated on the GAS scale, closed with history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliance.goals import services
from alliance.goals.models import Goal, GoalEvent, GoalRating
from alliance.privacy.models import AuditEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_therapist_proposes_and_client_agrees(partnership, client_user, their_therapist):
    # given the therapist proposes a goal
    response = logged_in(their_therapist).post(
        f"/goals/partnerships/{partnership.pk}/",
        {"title": "Take the train to work again", "description": "Two stops first"},
    )
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert goal.agreed_by_therapist_at is not None and goal.agreed_by_client_at is None
    assert not goal.is_agreed
    # when the client agrees
    response = logged_in(client_user).post(f"/goals/{goal.pk}/", {"action": "agree"})
    # then both agreement times are recorded, with the history
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.is_agreed
    assert goal.agreed_at == goal.agreed_by_client_at
    assert list(goal.events.values_list("kind", flat=True)) == ["proposed", "agreed"]


def test_goal_text_is_encrypted_at_rest(partnership, their_therapist):
    services.propose_goal(partnership=partnership, by=their_therapist, title="Call my sister")
    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM goals_goal")
        (stored,) = cursor.fetchone()
    assert stored.startswith("ck1:") and "sister" not in stored


def test_client_proposes_a_goal(partnership, client_user):
    response = logged_in(client_user).post(
        f"/goals/partnerships/{partnership.pk}/", {"title": "Feel less on edge"}
    )
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert goal.proposed_by_side == "client" and goal.agreed_by_client_at is not None


@pytest.mark.parametrize("title", ["", "   ", "x" * 301])
def test_bad_goal_text_is_refused(partnership, client_user, title):
    response = logged_in(client_user).post(
        f"/goals/partnerships/{partnership.pk}/", {"title": title}
    )
    assert response.status_code == 400
    assert Goal.objects.count() == 0


def test_therapist_cannot_agree_twice(partnership, their_therapist):
    goal = services.propose_goal(partnership=partnership, by=their_therapist, title="Walk daily")
    response = logged_in(their_therapist).post(f"/goals/{goal.pk}/", {"action": "agree"})
    assert response.status_code == 400
    assert "already agreed" in response.content.decode()
    assert goal.events.count() == 1


def test_cannot_agree_to_someone_elses_goal(
    partnership, their_therapist, other_therapist, jurisdiction
):
    from alliance.care.services import start_partnership
    from tests.conftest import make_client

    goal = services.propose_goal(partnership=partnership, by=their_therapist, title="Walk daily")
    # an unrelated therapist, even one with a partnership of their own, gets a 404
    start_partnership(
        client=make_client("other@example.org", jurisdiction), therapist=other_therapist
    )
    response = logged_in(other_therapist).post(f"/goals/{goal.pk}/", {"action": "agree"})
    assert response.status_code == 404
    goal.refresh_from_db()
    assert goal.agreed_by_client_at is None
    with pytest.raises(services.GoalError):
        services.agree_goal(goal=goal, by=other_therapist)


def test_rating_history_and_gas_range(agreed_goal, client_user, their_therapist):
    browser = logged_in(client_user)
    assert (
        browser.post(f"/goals/{agreed_goal.pk}/", {"action": "rate", "value": "-1"}).status_code
        == 302
    )
    assert (
        logged_in(their_therapist)
        .post(f"/goals/{agreed_goal.pk}/", {"action": "rate", "value": "1", "note": "Better"})
        .status_code
        == 302
    )
    for bad in ["3", "-3", "abc", ""]:
        response = browser.post(f"/goals/{agreed_goal.pk}/", {"action": "rate", "value": bad})
        assert response.status_code == 400
    assert list(GoalRating.objects.values_list("value", "rated_by_side")) == [
        (-1, "client"),
        (1, "therapist"),
    ]
    with pytest.raises(services.GoalError):
        services.rate_goal(goal=agreed_goal, by=client_user, value=5)


def test_unagreed_goal_cannot_be_rated(partnership, their_therapist):
    goal = services.propose_goal(partnership=partnership, by=their_therapist, title="Walk daily")
    response = logged_in(their_therapist).post(
        f"/goals/{goal.pk}/", {"action": "rate", "value": "0"}
    )
    assert response.status_code == 400
    assert GoalRating.objects.count() == 0


def test_rewording_asks_the_other_side_again_and_keeps_the_old_words(
    agreed_goal, client_user, their_therapist
):
    response = logged_in(client_user).post(
        f"/goals/{agreed_goal.pk}/", {"action": "edit", "title": "Sleep before 11"}
    )
    assert response.status_code == 302
    agreed_goal.refresh_from_db()
    assert agreed_goal.title == "Sleep before 11"
    assert agreed_goal.agreed_by_client_at is not None
    assert agreed_goal.agreed_by_therapist_at is None
    edited = agreed_goal.events.get(kind=GoalEvent.Kind.EDITED)
    assert edited.previous_text == "Sleep before midnight"
    page = logged_in(their_therapist).get(f"/goals/{agreed_goal.pk}/").content.decode()
    assert "Sleep before midnight" in page and "I agree to this goal" in page


def test_achieved_goal_keeps_history_and_cannot_be_edited(agreed_goal, client_user):
    services.rate_goal(goal=agreed_goal, by=client_user, value=0)
    browser = logged_in(client_user)
    assert browser.post(f"/goals/{agreed_goal.pk}/", {"action": "achieve"}).status_code == 302
    agreed_goal.refresh_from_db()
    assert agreed_goal.status == "achieved" and agreed_goal.closed_at is not None
    for data in (
        {"action": "edit", "title": "Something else"},
        {"action": "rate", "value": "1"},
        {"action": "archive"},
        {"action": "agree"},
    ):
        assert browser.post(f"/goals/{agreed_goal.pk}/", data).status_code == 400
    agreed_goal.refresh_from_db()
    assert agreed_goal.title == "Sleep before midnight"
    assert agreed_goal.ratings.count() == 1


def test_archived_goal_cannot_be_edited(agreed_goal, their_therapist):
    services.close_goal(goal=agreed_goal, by=their_therapist, status="archived")
    response = logged_in(their_therapist).post(
        f"/goals/{agreed_goal.pk}/", {"action": "edit", "title": "New words"}
    )
    assert response.status_code == 400
    assert "closed" in response.content.decode()
    agreed_goal.refresh_from_db()
    assert agreed_goal.title == "Sleep before midnight"


def test_unknown_action_is_refused(agreed_goal, client_user):
    assert (
        logged_in(client_user).post(f"/goals/{agreed_goal.pk}/", {"action": "x"}).status_code == 400
    )


def test_ended_partnership_freezes_goals(agreed_goal, partnership, client_user):
    from alliance.care.services import end_partnership

    end_partnership(partnership=partnership, reason="completed")
    response = logged_in(client_user).post(
        f"/goals/{agreed_goal.pk}/", {"action": "rate", "value": "1"}
    )
    assert response.status_code == 400
    # the client still reads their goals
    assert logged_in(client_user).get(f"/goals/{agreed_goal.pk}/").status_code == 200


@pytest.mark.parametrize(
    "url", ["/goals/partnerships/{p}/", "/goals/{g}/", "/goals/partnerships/{p}/progress/"]
)
def test_access(
    url, agreed_goal, partnership, client_user, their_therapist, other_therapist, admin_user, client
):
    path = url.format(p=partnership.pk, g=agreed_goal.pk)
    assert logged_in(client_user).get(path).status_code == 200
    assert logged_in(their_therapist).get(path).status_code == 200
    assert logged_in(other_therapist).get(path).status_code == 404
    assert logged_in(admin_user).get(path).status_code == 403
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/account/log-in/" in anonymous["Location"]


def test_therapist_opening_goals_is_audited(partnership, their_therapist):
    logged_in(their_therapist).get(f"/goals/partnerships/{partnership.pk}/")
    assert AuditEvent.objects.filter(actor_id=their_therapist.pk, action="open_record").count() == 1


def test_goals_page_query_count_does_not_grow(partnership, client_user, their_therapist):
    browser = logged_in(client_user)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert browser.get(f"/goals/partnerships/{partnership.pk}/").status_code == 200
        return len(ctx.captured_queries)

    goal = services.propose_goal(partnership=partnership, by=their_therapist, title="One")
    services.agree_goal(goal=goal, by=client_user)
    services.rate_goal(goal=goal, by=client_user, value=0)
    before = count()
    for i in range(5):
        g = services.propose_goal(partnership=partnership, by=their_therapist, title=f"Goal {i}")
        services.agree_goal(goal=g, by=client_user)
        services.rate_goal(goal=g, by=client_user, value=1)
    assert count() == before


def test_overview_leads_each_role_to_the_right_place(
    partnership, client_user, their_therapist, admin_user, jurisdiction
):
    from tests.conftest import make_client

    response = logged_in(client_user).get("/goals/")
    assert response.status_code == 302
    assert response["Location"] == f"/goals/partnerships/{partnership.pk}/progress/"
    unmatched = make_client("new.client@example.org", jurisdiction)
    assert logged_in(unmatched).get("/goals/").status_code == 200
    page = logged_in(their_therapist).get("/goals/").content.decode()
    assert client_user.name in page
    assert logged_in(admin_user).get("/goals/").status_code == 403
