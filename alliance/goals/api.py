"""JSON API for goals and tasks (mounted at /api/goals/). Same services as the pages.

Input rules are in the schema (blank or over-long text and out-of-range ratings or due dates
get a 400 naming the rule); a service's refusal of well-formed input is a conflict with the
goal's or task's current state (closed, already agreed, not yet agreed): 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import AfterValidator, ConfigDict, WithJsonSchema

from alliance.api.errors import refuse, responses, rule_broken
from alliance.api.inputs import BodyId, Documented, Flag, PathId, StrictDate, Text, WholeNumber
from alliance.care.queries import partnership_for
from alliance.goals import queries, services
from alliance.goals.models import GAS_MAX, GAS_MIN, Goal, GoalRating, Task
from alliance.privacy import audit
from alliance.privacy.access import ApiAccess

router = Router(tags=["goals"])
BOTH = ApiAccess("client", "therapist", scope="own_partnerships")


def _too_long(field: str) -> Any:
    return lambda limit: (
        _("The %(field)s can be at most %(limit)d characters.")
        % {
            "field": _(field),
            "limit": limit,
        }
    )


def _blank(field: str) -> Any:
    return lambda: _("Please write the %(field)s.") % {"field": _(field)}


def _rating_in_range(value: int) -> int:
    # The goal-attainment scale runs from -2 to +2 (Kiresuk & Sherman 1968).
    if not GAS_MIN <= value <= GAS_MAX:
        raise rule_broken(_("Progress is rated from -2 to +2."))
    return value


def _due_in_window(value: dt.date) -> dt.date:
    # As the service: one day of slack for a person a time zone behind the server.
    today = timezone.localdate()
    if value < today - dt.timedelta(days=1):
        raise rule_broken(_("The due date is in the past."))
    if value > today + dt.timedelta(days=services.MAX_DUE_DAYS):
        raise rule_broken(_("The due date can be at most a year ahead."))
    return value


GoalTitle = Annotated[
    str, Text(limit=services.TITLE_MAX_CHARS, too_long=_too_long("goal"), blank=_blank("goal"))
]
TaskTitle = Annotated[
    str, Text(limit=services.TITLE_MAX_CHARS, too_long=_too_long("task"), blank=_blank("task"))
]
Description = Annotated[
    str, Text(limit=services.DESCRIPTION_MAX_CHARS, too_long=_too_long("description"))
]
Note = Annotated[str, Text(limit=services.NOTE_MAX_CHARS, too_long=_too_long("note"))]
Reflection = Annotated[
    str, Text(limit=services.REFLECTION_MAX_CHARS, too_long=_too_long("reflection"))
]
RatingValue = Annotated[
    WholeNumber,
    AfterValidator(_rating_in_range),
    WithJsonSchema({"type": "integer", "minimum": GAS_MIN, "maximum": GAS_MAX}),
]
DueOn = Annotated[
    StrictDate,
    AfterValidator(_due_in_window),
    Documented(
        lambda: {
            "type": "string",
            "format": "date",
            "description": "From yesterday to a year ahead (366 days), by the server's date.",
            "example": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        }
    ),
]


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
    model_config = ConfigDict(extra="forbid")

    title: GoalTitle
    description: Description = ""


class RatingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    value: RatingValue
    note: Note = ""


class CloseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: Literal["achieved", "archived"]


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
    model_config = ConfigDict(extra="forbid")

    title: TaskTitle
    due_on: DueOn
    goal_id: BodyId | None = None


class OutcomeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    done: Flag
    reflection: Reflection = ""


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


@router.get("/partnerships/{pk}/goals", response=responses({200: list[GoalOut]}, 404), auth=BOTH)
def list_goals(request: HttpRequest, pk: PathId) -> Any:
    partnership = partnership_for(request.auth, pk)  # type: ignore[attr-defined]
    _opened(request, partnership)
    return [_goal(g) for g in queries.goals_of(partnership)]


@router.post("/partnerships/{pk}/goals", response=responses({201: GoalOut}, 404, 409), auth=BOTH)
def propose_goal(request: HttpRequest, pk: PathId, payload: GoalIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    partnership = partnership_for(user, pk)
    goal = services.propose_goal(
        partnership=partnership, by=user, title=payload.title, description=payload.description
    )
    return Status(201, _fresh_goal(request, goal.pk))


@router.get("/goals/{goal_id}", response=responses({200: GoalOut}, 404), auth=BOTH)
def get_goal(request: HttpRequest, goal_id: PathId) -> Any:
    goal = queries.goal_for(request.auth, goal_id)  # type: ignore[attr-defined]
    _opened(request, goal.partnership)
    return _fresh(goal)


@router.put("/goals/{goal_id}", response=responses({200: GoalOut}, 404, 409), auth=BOTH)
def edit_goal(request: HttpRequest, goal_id: PathId, payload: GoalIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    goal = queries.goal_for(user, goal_id)
    services.edit_goal(goal=goal, by=user, title=payload.title, description=payload.description)
    return _fresh_goal(request, goal_id)


@router.post("/goals/{goal_id}/agree", response=responses({200: GoalOut}, 404, 409), auth=BOTH)
def agree_goal(request: HttpRequest, goal_id: PathId) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    goal = queries.goal_for(user, goal_id)
    services.agree_goal(goal=goal, by=user)
    return _fresh_goal(request, goal_id)


@router.post("/goals/{goal_id}/ratings", response=responses({201: RatingOut}, 404, 409), auth=BOTH)
def rate_goal(request: HttpRequest, goal_id: PathId, payload: RatingIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    goal = queries.goal_for(user, goal_id)
    rating = services.rate_goal(goal=goal, by=user, value=payload.value, note=payload.note)
    return Status(201, _rating(rating))


@router.post("/goals/{goal_id}/close", response=responses({200: GoalOut}, 404, 409), auth=BOTH)
def close_goal(request: HttpRequest, goal_id: PathId, payload: CloseIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    goal = queries.goal_for(user, goal_id)
    services.close_goal(goal=goal, by=user, status=payload.status)
    return _fresh_goal(request, goal_id)


# --- tasks ----------------------------------------------------------------------------


@router.get("/partnerships/{pk}/tasks", response=responses({200: TasksOut}, 404), auth=BOTH)
def list_tasks(request: HttpRequest, pk: PathId) -> Any:
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


@router.post("/partnerships/{pk}/tasks", response=responses({201: TaskOut}, 404, 409), auth=BOTH)
def propose_task(request: HttpRequest, pk: PathId, payload: TaskIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    partnership = partnership_for(user, pk)
    goal = None
    if payload.goal_id is not None:
        goal = Goal.objects.filter(pk=payload.goal_id, partnership=partnership).first()
        if goal is None:
            refuse(404, _("That goal is not one of this partnership's goals."))
    task = services.propose_task(
        partnership=partnership, by=user, title=payload.title, due_on=payload.due_on, goal=goal
    )
    return Status(201, _task(task))


@router.post("/tasks/{task_id}/agree", response=responses({200: TaskOut}, 404, 409), auth=BOTH)
def agree_task(request: HttpRequest, task_id: PathId) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    task = queries.task_for(user, task_id)
    return _task(services.agree_task(task=task, by=user))


@router.post("/tasks/{task_id}/outcome", response=responses({200: TaskOut}, 404, 409), auth=BOTH)
def task_outcome(request: HttpRequest, task_id: PathId, payload: OutcomeIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    task = queries.task_for(user, task_id)
    done = services.record_task_outcome(
        task=task, by=user, done=payload.done, reflection=payload.reflection
    )
    return _task(done)
