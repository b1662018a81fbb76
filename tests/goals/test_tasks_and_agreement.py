"""Tasks (homework) and the working agreement ("how we work together")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alliance.goals import queries, services
from alliance.goals.models import Task, WorkingAgreement
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def _due(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_therapist_sets_client_agrees_and_marks_done(partnership, client_user, their_therapist):
    therapist = logged_in(their_therapist)
    response = therapist.post(
        f"/goals/partnerships/{partnership.pk}/tasks/",
        {"title": "Write down three worries", "due_on": _due(7)},
    )
    assert response.status_code == 302
    task = Task.objects.get()
    client = logged_in(client_user)
    # marking before both agreed is refused
    assert (
        client.post(f"/goals/tasks/{task.pk}/", {"action": "outcome", "done": "yes"}).status_code
        == 400
    )
    assert client.post(f"/goals/tasks/{task.pk}/", {"action": "agree"}).status_code == 302
    response = client.post(
        f"/goals/tasks/{task.pk}/",
        {"action": "outcome", "done": "yes", "reflection": "Easier than I thought"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "done" and task.reflection == "Easier than I thought"
    assert (
        "Easier than I thought"
        in therapist.get(f"/goals/partnerships/{partnership.pk}/tasks/").content.decode()
    )
    # marking twice is refused
    assert (
        client.post(f"/goals/tasks/{task.pk}/", {"action": "outcome", "done": "no"}).status_code
        == 400
    )


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "due_on": _due(3)},
        {"title": "x" * 301, "due_on": _due(3)},
        {"title": "Walk", "due_on": "not a date"},
        {"title": "Walk", "due_on": _due(-5)},
        {"title": "Walk", "due_on": _due(400)},
        {"title": "Walk", "due_on": _due(3), "goal": "999999"},
    ],
)
def test_bad_tasks_are_refused(partnership, client_user, data):
    response = logged_in(client_user).post(f"/goals/partnerships/{partnership.pk}/tasks/", data)
    assert response.status_code == 400
    assert Task.objects.count() == 0


def test_oversized_reflection_is_refused(partnership, client_user, their_therapist):
    task = services.propose_task(
        partnership=partnership, by=their_therapist, title="Walk", due_on=timezone.localdate()
    )
    services.agree_task(task=task, by=client_user)
    response = logged_in(client_user).post(
        f"/goals/tasks/{task.pk}/", {"action": "outcome", "done": "no", "reflection": "x" * 5001}
    )
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.status == "open"


def test_completion_rate_counts_overdue_unmarked_as_not_done(
    partnership, client_user, their_therapist
):
    today = timezone.localdate()

    def agreed(title: str) -> Task:
        task = services.propose_task(
            partnership=partnership, by=their_therapist, title=title, due_on=today
        )
        return services.agree_task(task=task, by=client_user)

    services.record_task_outcome(task=agreed("a"), by=client_user, done=True)
    services.record_task_outcome(task=agreed("b"), by=client_user, done=False)
    overdue = agreed("c")
    Task.objects.filter(pk=overdue.pk).update(due_on=today - dt.timedelta(days=3))
    agreed("d")  # due today: not yet counted
    services.propose_task(partnership=partnership, by=their_therapist, title="e", due_on=today)
    completion = queries.completion_for(partnership)
    assert (completion.done, completion.not_done, completion.overdue) == (1, 1, 1)
    assert completion.rate == pytest.approx(1 / 3)
    assert queries.tasks_missed_for_alerts([partnership.pk]) == {
        partnership.pk: (False, True, False)
    }  # oldest due first


def test_task_access(partnership, client_user, their_therapist, other_therapist, admin_user):
    task = services.propose_task(
        partnership=partnership, by=their_therapist, title="Walk", due_on=timezone.localdate()
    )
    path = f"/goals/partnerships/{partnership.pk}/tasks/"
    assert logged_in(other_therapist).get(path).status_code == 404
    assert logged_in(admin_user).get(path).status_code == 403
    assert (
        logged_in(other_therapist).post(f"/goals/tasks/{task.pk}/", {"action": "agree"}).status_code
        == 404
    )
    task.refresh_from_db()
    assert task.agreed_by_client_at is None


def test_working_agreement_written_answered_and_revised(partnership, client_user, their_therapist):
    client = logged_in(client_user)
    path = f"/goals/partnerships/{partnership.pk}/agreement/"
    response = client.post(
        path,
        {
            "connected": "When you remember what I said last week",
            "distance": "Being interrupted",
            "feedback": "Straight, but kind",
        },
    )
    assert response.status_code == 302
    therapist = logged_in(their_therapist)
    page = therapist.get(path).content.decode()
    assert "When you remember what I said last week" in page
    assert therapist.post(path, {"therapist_response": "I will take notes"}).status_code == 302
    # the therapist's post cannot change the client's words
    current = WorkingAgreement.objects.first()
    assert current.connected == "When you remember what I said last week"
    assert current.therapist_response == "I will take notes"
    with pytest.raises(services.GoalError):
        services.revise_working_agreement(
            partnership=partnership, by=their_therapist, changes={"connected": "Other"}
        )
    # the client revises; history keeps every version
    assert (
        client.post(
            path,
            {
                "connected": "Remembering details",
                "distance": "Being interrupted",
                "feedback": "Straight, but kind",
            },
        ).status_code
        == 302
    )
    assert WorkingAgreement.objects.count() == 3
    latest = WorkingAgreement.objects.first()
    assert latest.connected == "Remembering details"
    assert latest.therapist_response == "I will take notes"
    assert "When you remember what I said last week" in client.get(path).content.decode()


def test_working_agreement_bad_input(partnership, client_user, other_therapist):
    path = f"/goals/partnerships/{partnership.pk}/agreement/"
    client = logged_in(client_user)
    assert client.post(path, {"connected": ""}).status_code == 400
    assert client.post(path, {"connected": "x" * 2001}).status_code == 400
    assert WorkingAgreement.objects.count() == 0
    client.post(path, {"connected": "Warmth"})
    assert client.post(path, {"connected": "Warmth"}).status_code == 400  # nothing changed
    assert logged_in(other_therapist).get(path).status_code == 404
    assert logged_in(other_therapist).post(path, {"therapist_response": "x"}).status_code == 404
    assert WorkingAgreement.objects.count() == 1
