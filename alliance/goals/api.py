"""JSON API for goals and tasks (mounted at /api/goals/). Same services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from alliance.care.queries import partnership_for
from alliance.goals import queries, services
from alliance.goals.models import Goal, GoalRating, Task
from alliance.privacy import audit
from alliance.privacy.access import ApiAccess

router = Router(tags=["goals"])
BOTH = ApiAccess("client", "therapist", scope="own_partnerships")


class ErrorOut(Schema):
    detail: str


class RatingOut(Schema):
    id: int
    value: int
    label: str
    rated_by_side: str
    note: str | None
    rated_at: dt.datetime


class GoalOut(Schema):
    id: int
    partnership_id: int
    title: str
    description: str | None
    proposed_by_side: str
    status: str
    agreed_by_client_at: dt.datetime | None
    agreed_by_therapist_at: dt.datetime | None
    agreed: bool
    created_at: dt.datetime
    closed_at: dt.datetime | None
    ratings: list[RatingOut]


class GoalIn(Schema):
    title: str
    description: str = ""


class RatingIn(Schema):
    value: int
    note: str = ""


class CloseIn(Schema):
    status: str  # "achieved" or "archived"


class TaskOut(Schema):
    id: int
    partnership_id: int
    goal_id: int | None
    title: str
    proposed_by_side: str
    status: str
    due_on: dt.date
    agreed_by_client_at: dt.datetime | None
    agreed_by_therapist_at: dt.datetime | None
    agreed: bool
    reflection: str | None
    resolved_at: dt.datetime | None


class TasksOut(Schema):
    tasks: list[TaskOut]
    done: int
    not_done: int
    overdue: int
    completion_rate: float | None


class TaskIn(Schema):
    title: str
    due_on: dt.date
    goal_id: int | None = None


class OutcomeIn(Schema):
    done: bool
    reflection: str = ""


def _rating(r: GoalRating) -> dict[str, Any]:
    return {
        "id": r.pk,
        "value": r.value,
        "label": r.label,
        "rated_by_side": r.rated_by_side,
        "note": r.note,
        "rated_at": r.rated_at,
    }


def _goal(g: Goal) -> dict[str, Any]:
    return {
        "id": g.pk,
        "partnership_id": g.partnership_id,
        "title": g.title,
        "description": g.description,
        "proposed_by_side": g.proposed_by_side,
        "status": g.status,
        "agreed_by_client_at": g.agreed_by_client_at,
        "agreed_by_therapist_at": g.agreed_by_therapist_at,
        "agreed": g.is_agreed,
        "created_at": g.created_at,
        "closed_at": g.closed_at,
        "ratings": [_rating(r) for r in g.rating_list],
    }


def _task(t: Task) -> dict[str, Any]:
    return {
        "id": t.pk,
        "partnership_id": t.partnership_id,
        "goal_id": t.goal_id,
        "title": t.title,
        "proposed_by_side": t.proposed_by_side,
        "status": t.status,
        "due_on": t.due_on,
        "agreed_by_client_at": t.agreed_by_client_at,
        "agreed_by_therapist_at": t.agreed_by_therapist_at,
        "agreed": t.is_agreed,
        "reflection": t.reflection,
        "resolved_at": t.resolved_at,
    }


def _fresh_goal(request: HttpRequest, goal_id: int) -> dict[str, Any]:
    return _fresh(queries.goal_for(request.auth, goal_id))  # type: ignore[attr-defined]


def _fresh(goal: Goal) -> dict[str, Any]:
    return _goal(queries.goals_of(goal.partnership).get(pk=goal.pk))


def _opened(request: HttpRequest, partnership: Any) -> None:
    """A therapist's read of goals or tasks is audited as the pages' are; repeated calls
    count as refreshes (one row per record and reader per audit.REFRESH_WINDOW)."""
    user = request.auth  # type: ignore[attr-defined]
    if user.is_therapist:
        audit.record_opening(user, partnership, refresh=True)


# --- goals ----------------------------------------------------------------------------


@router.get("/partnerships/{pk}/goals", response=list[GoalOut], auth=BOTH)
def list_goals(request: HttpRequest, pk: int) -> Any:
    partnership = partnership_for(request.auth, pk)  # type: ignore[attr-defined]
    _opened(request, partnership)
    return [_goal(g) for g in queries.goals_of(partnership)]


@router.post("/partnerships/{pk}/goals", response={201: GoalOut, 400: ErrorOut}, auth=BOTH)
def propose_goal(request: HttpRequest, pk: int, payload: GoalIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    partnership = partnership_for(user, pk)
    try:
        goal = services.propose_goal(
            partnership=partnership, by=user, title=payload.title, description=payload.description
        )
    except services.GoalError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(201, _fresh_goal(request, goal.pk))


@router.get("/goals/{goal_id}", response=GoalOut, auth=BOTH)
def get_goal(request: HttpRequest, goal_id: int) -> Any:
    goal = queries.goal_for(request.auth, goal_id)  # type: ignore[attr-defined]
    _opened(request, goal.partnership)
    return _fresh(goal)


@router.put("/goals/{goal_id}", response={200: GoalOut, 400: ErrorOut}, auth=BOTH)
def edit_goal(request: HttpRequest, goal_id: int, payload: GoalIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    goal = queries.goal_for(user, goal_id)
    try:
        services.edit_goal(goal=goal, by=user, title=payload.title, description=payload.description)
    except services.GoalError as exc:
        return Status(400, {"detail": str(exc)})
    return _fresh_goal(request, goal_id)


@router.post("/goals/{goal_id}/agree", response={200: GoalOut, 400: ErrorOut}, auth=BOTH)
def agree_goal(request: HttpRequest, goal_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    goal = queries.goal_for(user, goal_id)
    try:
        services.agree_goal(goal=goal, by=user)
    except services.GoalError as exc:
        return Status(400, {"detail": str(exc)})
    return _fresh_goal(request, goal_id)


@router.post("/goals/{goal_id}/ratings", response={201: RatingOut, 400: ErrorOut}, auth=BOTH)
def rate_goal(request: HttpRequest, goal_id: int, payload: RatingIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    goal = queries.goal_for(user, goal_id)
    try:
        rating = services.rate_goal(goal=goal, by=user, value=payload.value, note=payload.note)
    except services.GoalError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(201, _rating(rating))


@router.post("/goals/{goal_id}/close", response={200: GoalOut, 400: ErrorOut}, auth=BOTH)
def close_goal(request: HttpRequest, goal_id: int, payload: CloseIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    goal = queries.goal_for(user, goal_id)
    try:
        services.close_goal(goal=goal, by=user, status=payload.status)
    except services.GoalError as exc:
        return Status(400, {"detail": str(exc)})
    return _fresh_goal(request, goal_id)


# --- tasks ----------------------------------------------------------------------------


@router.get("/partnerships/{pk}/tasks", response=TasksOut, auth=BOTH)
def list_tasks(request: HttpRequest, pk: int) -> Any:
    partnership = partnership_for(request.auth, pk)  # type: ignore[attr-defined]
    _opened(request, partnership)
    completion = queries.completion_for(partnership)
    return {
        "tasks": [_task(t) for t in queries.tasks_of(partnership)],
        "done": completion.done,
        "not_done": completion.not_done,
        "overdue": completion.overdue,
        "completion_rate": completion.rate,
    }


@router.post("/partnerships/{pk}/tasks", response={201: TaskOut, 400: ErrorOut}, auth=BOTH)
def propose_task(request: HttpRequest, pk: int, payload: TaskIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    partnership = partnership_for(user, pk)
    goal = None
    if payload.goal_id is not None:
        goal = Goal.objects.filter(pk=payload.goal_id, partnership=partnership).first()
        if goal is None:
            return Status(400, {"detail": "That goal is not one of this partnership's goals."})
    try:
        task = services.propose_task(
            partnership=partnership, by=user, title=payload.title, due_on=payload.due_on, goal=goal
        )
    except services.GoalError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(201, _task(task))


@router.post("/tasks/{task_id}/agree", response={200: TaskOut, 400: ErrorOut}, auth=BOTH)
def agree_task(request: HttpRequest, task_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    task = queries.task_for(user, task_id)
    try:
        return _task(services.agree_task(task=task, by=user))
    except services.GoalError as exc:
        return Status(400, {"detail": str(exc)})


@router.post("/tasks/{task_id}/outcome", response={200: TaskOut, 400: ErrorOut}, auth=BOTH)
def task_outcome(request: HttpRequest, task_id: int, payload: OutcomeIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    task = queries.task_for(user, task_id)
    try:
        done = services.record_task_outcome(
            task=task, by=user, done=payload.done, reflection=payload.reflection
        )
    except services.GoalError as exc:
        return Status(400, {"detail": str(exc)})
    return _task(done)
