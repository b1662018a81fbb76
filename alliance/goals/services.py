"""Writes for goals, tasks and the working agreement. Views and the API call these only."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.checkins import services as checkins
from alliance.core.errors import DomainError
from alliance.goals.models import (
    GAS_MAX,
    GAS_MIN,
    Goal,
    GoalEvent,
    GoalRating,
    Side,
    Task,
    WorkingAgreement,
)

TITLE_MAX_CHARS = 300
DESCRIPTION_MAX_CHARS = 2_000
NOTE_MAX_CHARS = 2_000
REFLECTION_MAX_CHARS = 5_000
AGREEMENT_FIELD_MAX_CHARS = 2_000
# A due date can be set up to a year ahead; homework further out is not homework.
MAX_DUE_DAYS = 366


class GoalError(DomainError):
    """A write refused for a reason the person can act on; the message is shown to them."""


def side_of(user: User, partnership: Partnership) -> str:
    if user.pk == partnership.client_id:
        return Side.CLIENT
    if user.pk == partnership.therapist_id:
        return Side.THERAPIST
    raise GoalError(_("Only the client and their therapist can change this."))


def _require_active(partnership: Partnership) -> None:
    if not partnership.is_active:
        raise GoalError(_("This partnership has ended; its goals and tasks are kept as they were."))


def _clean_text(value: str | None, *, field: str, limit: int, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise GoalError(_("Please write the %(field)s.") % {"field": field})
    if len(text) > limit:
        raise GoalError(
            _("The %(field)s can be at most %(limit)d characters.")
            % {"field": field, "limit": limit}
        )
    return text


def _event(goal: Goal, by: User, side: str, kind: str, previous: str | None = None) -> None:
    GoalEvent.objects.create(
        goal=goal, actor=by, actor_side=side, kind=kind, previous_text=previous, at=timezone.now()
    )


def _set_agreement(obj: Goal | Task, side: str, when: dt.datetime | None) -> str:
    field = "agreed_by_client_at" if side == Side.CLIENT else "agreed_by_therapist_at"
    setattr(obj, field, when)
    return field


# --- goals ----------------------------------------------------------------------------


@transaction.atomic
def propose_goal(*, partnership: Partnership, by: User, title: str, description: str = "") -> Goal:
    """Either side proposes a goal; proposing counts as that side's agreement."""
    side = side_of(by, partnership)
    _require_active(partnership)
    title = _clean_text(title, field=_("goal"), limit=TITLE_MAX_CHARS, required=True)
    description = _clean_text(
        description, field=_("description"), limit=DESCRIPTION_MAX_CHARS, required=False
    )
    now = timezone.now()
    goal = Goal(
        partnership=partnership,
        title=title,
        description=description or None,
        proposed_by=by,
        proposed_by_side=side,
        created_at=now,
    )
    _set_agreement(goal, side, now)
    goal.save()
    _event(goal, by, side, GoalEvent.Kind.PROPOSED)
    checkins.request_alert_evaluation(partnership_id=partnership.pk)
    return goal


def _locked_goal(goal: Goal) -> Goal:
    locked = (
        Goal.objects.select_for_update(of=("self",)).select_related("partnership").get(pk=goal.pk)
    )
    return locked


@transaction.atomic
def agree_goal(*, goal: Goal, by: User) -> Goal:
    locked = _locked_goal(goal)
    side = side_of(by, locked.partnership)
    _require_active(locked.partnership)
    if not locked.is_active:
        raise GoalError(_("This goal is closed; it can no longer be agreed."))
    if locked.agreed_by(side):
        raise GoalError(_("You have already agreed to this goal."))
    field = _set_agreement(locked, side, timezone.now())
    locked.save(update_fields=[field])
    _event(locked, by, side, GoalEvent.Kind.AGREED)
    checkins.request_alert_evaluation(partnership_id=locked.partnership_id)
    return locked


@transaction.atomic
def edit_goal(*, goal: Goal, by: User, title: str, description: str = "") -> Goal:
    """Reword a goal. The other side agreed to the old words, so their agreement is cleared
    and they are asked again; the old wording stays in the history."""
    locked = _locked_goal(goal)
    side = side_of(by, locked.partnership)
    _require_active(locked.partnership)
    if not locked.is_active:
        raise GoalError(_("This goal is closed and kept as it was; propose a new goal instead."))
    title = _clean_text(title, field=_("goal"), limit=TITLE_MAX_CHARS, required=True)
    description = _clean_text(
        description, field=_("description"), limit=DESCRIPTION_MAX_CHARS, required=False
    )
    if title == locked.title and (description or None) == locked.description:
        raise GoalError(_("Nothing was changed."))
    previous = locked.title + (f"\n\n{locked.description}" if locked.description else "")
    now = timezone.now()
    locked.title = title
    locked.description = description or None
    other = Side.THERAPIST if side == Side.CLIENT else Side.CLIENT
    _set_agreement(locked, side, now)
    _set_agreement(locked, other, None)
    locked.save(
        update_fields=["title", "description", "agreed_by_client_at", "agreed_by_therapist_at"]
    )
    _event(locked, by, side, GoalEvent.Kind.EDITED, previous=previous)
    checkins.request_alert_evaluation(partnership_id=locked.partnership_id)
    return locked


@transaction.atomic
def rate_goal(*, goal: Goal, by: User, value: int, note: str = "") -> GoalRating:
    """Rate progress on the goal-attainment scale (-2..+2, Kiresuk & Sherman 1968)."""
    locked = _locked_goal(goal)
    side = side_of(by, locked.partnership)
    _require_active(locked.partnership)
    if not locked.is_active:
        raise GoalError(_("This goal is closed; its progress is kept as it was."))
    if not locked.is_agreed:
        raise GoalError(_("Progress is rated once you have both agreed to the goal."))
    if isinstance(value, bool) or not isinstance(value, int) or not GAS_MIN <= value <= GAS_MAX:
        raise GoalError(_("Progress is rated from -2 to +2."))
    note = _clean_text(note, field=_("note"), limit=NOTE_MAX_CHARS, required=False)
    rating = GoalRating.objects.create(
        goal=locked,
        rated_by=by,
        rated_by_side=side,
        value=value,
        note=note or None,
        rated_at=timezone.now(),
    )
    checkins.request_alert_evaluation(partnership_id=locked.partnership_id)
    return rating


@transaction.atomic
def close_goal(*, goal: Goal, by: User, status: str) -> Goal:
    """Mark a goal achieved or archive it; its ratings and history stay."""
    if status not in {Goal.Status.ACHIEVED, Goal.Status.ARCHIVED}:
        raise GoalError(_("A goal is closed as achieved or archived."))
    locked = _locked_goal(goal)
    side = side_of(by, locked.partnership)
    _require_active(locked.partnership)
    if not locked.is_active:
        raise GoalError(_("This goal is already closed."))
    locked.status = status
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    kind = GoalEvent.Kind.ACHIEVED if status == Goal.Status.ACHIEVED else GoalEvent.Kind.ARCHIVED
    _event(locked, by, side, kind)
    checkins.request_alert_evaluation(partnership_id=locked.partnership_id)
    return locked


# --- tasks ----------------------------------------------------------------------------


@transaction.atomic
def propose_task(
    *,
    partnership: Partnership,
    by: User,
    title: str,
    due_on: dt.date,
    goal: Goal | None = None,
) -> Task:
    """The therapist sets a task or the client proposes one; setting counts as agreeing."""
    side = side_of(by, partnership)
    _require_active(partnership)
    title = _clean_text(title, field=_("task"), limit=TITLE_MAX_CHARS, required=True)
    today = timezone.localdate()
    # One day of slack: the person may be a time zone behind the server.
    if due_on < today - dt.timedelta(days=1):
        raise GoalError(_("The due date is in the past."))
    if due_on > today + dt.timedelta(days=MAX_DUE_DAYS):
        raise GoalError(_("The due date can be at most a year ahead."))
    if goal is not None and (goal.partnership_id != partnership.pk or not goal.is_active):
        raise GoalError(_("That goal is not one of this partnership's open goals."))
    now = timezone.now()
    task = Task(
        partnership=partnership,
        goal=goal,
        title=title,
        proposed_by=by,
        proposed_by_side=side,
        due_on=due_on,
        created_at=now,
    )
    _set_agreement(task, side, now)
    task.save()
    checkins.request_alert_evaluation(partnership_id=partnership.pk)
    return task


def _locked_task(task: Task) -> Task:
    return (
        Task.objects.select_for_update(of=("self",)).select_related("partnership").get(pk=task.pk)
    )


@transaction.atomic
def agree_task(*, task: Task, by: User) -> Task:
    locked = _locked_task(task)
    side = side_of(by, locked.partnership)
    _require_active(locked.partnership)
    if locked.status != Task.Status.OPEN:
        raise GoalError(_("This task is finished; it can no longer be agreed."))
    if locked.agreed_by(side):
        raise GoalError(_("You have already agreed to this task."))
    field = _set_agreement(locked, side, timezone.now())
    locked.save(update_fields=[field])
    checkins.request_alert_evaluation(partnership_id=locked.partnership_id)
    return locked


@transaction.atomic
def record_task_outcome(*, task: Task, by: User, done: bool, reflection: str = "") -> Task:
    """Done or not done, with an optional reflection (how it went, what got in the way)."""
    locked = _locked_task(task)
    side_of(by, locked.partnership)
    _require_active(locked.partnership)
    if locked.status != Task.Status.OPEN:
        raise GoalError(_("This task is already marked."))
    if not locked.is_agreed:
        raise GoalError(_("A task is marked once you have both agreed to it."))
    reflection = _clean_text(
        reflection, field=_("reflection"), limit=REFLECTION_MAX_CHARS, required=False
    )
    locked.status = Task.Status.DONE if done else Task.Status.NOT_DONE
    locked.resolved_at = timezone.now()
    fields = ["status", "resolved_at"]
    if reflection:
        locked.reflection = reflection
        fields.append("reflection")
    locked.save(update_fields=fields)
    checkins.request_alert_evaluation(partnership_id=locked.partnership_id)
    return locked


# --- working agreement ----------------------------------------------------------------


@transaction.atomic
def revise_working_agreement(
    *, partnership: Partnership, by: User, changes: dict[str, str]
) -> WorkingAgreement:
    """Write a new version of "how we work together".

    The client writes their needs (what helps them feel connected, what creates distance,
    communication, session structure, feedback); the therapist writes their response. A
    revision copies the current version and changes only the author's own fields.
    """
    side = side_of(by, partnership)
    _require_active(partnership)
    allowed = (
        WorkingAgreement.CLIENT_FIELDS if side == Side.CLIENT else WorkingAgreement.THERAPIST_FIELDS
    )
    unknown = set(changes) - set(allowed)
    if unknown:
        raise GoalError(_("You cannot change that part of the agreement."))
    # Serialise revisions of one partnership so two saves cannot both copy the same base.
    Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
    current = WorkingAgreement.objects.filter(partnership=partnership).first()
    values: dict[str, str | None] = {
        name: (getattr(current, name) if current is not None else None)
        for name in (*WorkingAgreement.CLIENT_FIELDS, *WorkingAgreement.THERAPIST_FIELDS)
    }
    changed = False
    for name, raw in changes.items():
        text = _clean_text(raw, field=_("answer"), limit=AGREEMENT_FIELD_MAX_CHARS, required=False)
        new = text or None
        if new != values[name]:
            values[name] = new
            changed = True
    if not changed:
        raise GoalError(_("Nothing was changed."))
    if not any(values[name] for name in WorkingAgreement.CLIENT_FIELDS) and side == Side.CLIENT:
        raise GoalError(_("Please write at least one answer."))
    version = WorkingAgreement.objects.create(
        partnership=partnership,
        author=by,
        author_side=side,
        created_at=timezone.now(),
        **values,
    )
    return version
