"""Writing and reading treatment plans: only the client's own therapist writes one.

A plan is written whole, as a new version: the first one, or a revision of the current one.
Every rule is checked before anything is stored, so a refused plan changes nothing:

- diagnoses are ICD-10-CM codes checked against the shipped chapter 5 (core/icd10cm.py), each
  once, one of them primary;
- goals are the partnership's own co-agreed goals (goals.Goal, both sides agreed, not
  archived), each with measurable objectives that have a target date;
- the review date is not in the past (by default 90 days after writing: many payers and
  accreditors ask for a treatment-plan review at least every 90 days, e.g. CARF and Medicaid
  outpatient rules) and at most a year ahead;
- a plan is not empty, and no text is longer than TEXT_MAX_CHARS.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.core.icd10cm import CodeError, check_code
from alliance.goals.models import Goal
from alliance.records.errors import RecordsError
from alliance.records.plan_models import (
    PlanDiagnosis,
    PlanGoal,
    PlanObjective,
    PlanResponse,
    PlanVersion,
    TreatmentPlan,
)

TEXT_MAX_CHARS = 5_000
OTHER_MAX_CHARS = 200
DIAGNOSES_MAX = 6
OBJECTIVES_MAX = 5
REVIEW_AFTER = dt.timedelta(days=90)
REVIEW_LONGEST = dt.timedelta(days=366)


@dataclass(frozen=True)
class Objective:
    text: str
    target_on: dt.date | None


@dataclass(frozen=True)
class GoalEntry:
    goal_id: int
    objectives: tuple[Objective, ...] = ()


@dataclass(frozen=True)
class Draft:
    """What the therapist wrote; `primary` is the index of the primary diagnosis."""

    diagnoses: tuple[str, ...] = ()
    primary: int = 0
    presenting_problems: str = ""
    goals: tuple[GoalEntry, ...] = ()
    interventions: str = ""
    frequency: str = PlanVersion.Frequency.WEEKLY
    frequency_other: str = ""
    review_on: dt.date | None = None


@dataclass
class _Checked:
    diagnoses: list[tuple[str, str]] = field(default_factory=list)
    goals: list[tuple[Goal, list[tuple[str, dt.date]]]] = field(default_factory=list)


def default_review_on(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) + REVIEW_AFTER


def _text(value: str, what: str) -> str:
    value = value.strip()
    if len(value) > TEXT_MAX_CHARS:
        raise RecordsError(
            _("%(what)s can be at most %(n)d characters; this has %(m)d.")
            % {"what": what, "n": TEXT_MAX_CHARS, "m": len(value)}
        )
    return value


def _diagnoses(draft: Draft) -> list[tuple[str, str]]:
    codes = [c for c in (c.strip() for c in draft.diagnoses) if c]
    if len(codes) > DIAGNOSES_MAX:
        raise RecordsError(_("A plan has at most %(n)d diagnoses.") % {"n": DIAGNOSES_MAX})
    checked: list[tuple[str, str]] = []
    for text in codes:
        try:
            code, description = check_code(text)
        except CodeError as exc:
            raise RecordsError(str(exc)) from None
        if any(code == c for c, _d in checked):
            raise RecordsError(_("%(code)s is listed twice.") % {"code": code})
        checked.append((code, description))
    if checked and not 0 <= draft.primary < len(checked):
        raise RecordsError(_("Choose which diagnosis is the primary one."))
    return checked


def _goals(partnership: Partnership, draft: Draft) -> list[tuple[Goal, list[tuple[str, dt.date]]]]:
    ids = [entry.goal_id for entry in draft.goals]
    if len(set(ids)) != len(ids):
        raise RecordsError(_("A goal can be in the plan only once."))
    found = {g.pk: g for g in Goal.objects.filter(pk__in=ids, partnership=partnership)}
    out = []
    for entry in draft.goals:
        goal = found.get(entry.goal_id)
        if goal is None:
            raise RecordsError(_("Choose goals of this partnership."))
        if not goal.is_agreed or goal.status == Goal.Status.ARCHIVED:
            raise RecordsError(
                _(
                    "Only goals you both agreed to, and not archived, go into the plan; "
                    "agree the goal together first."
                )
            )
        objectives = []
        for objective in entry.objectives:
            text = _text(objective.text, _("An objective"))
            if not text:
                continue
            if objective.target_on is None:
                raise RecordsError(_("Give each objective a target date."))
            objectives.append((text, objective.target_on))
        if len(objectives) > OBJECTIVES_MAX:
            raise RecordsError(
                _("A goal has at most %(n)d objectives in the plan.") % {"n": OBJECTIVES_MAX}
            )
        out.append((goal, objectives))
    return out


def _review_on(draft: Draft, today: dt.date) -> dt.date:
    review_on = draft.review_on or default_review_on(today)
    if review_on < today:
        raise RecordsError(_("The review date is in the past; choose today or a later day."))
    if review_on > today + REVIEW_LONGEST:
        raise RecordsError(_("Review the plan within a year; choose an earlier review date."))
    return review_on


def _frequency(draft: Draft) -> tuple[str, str]:
    if draft.frequency not in PlanVersion.Frequency.values:
        raise RecordsError(_("Choose how often you meet."))
    other = draft.frequency_other.strip()
    if draft.frequency != PlanVersion.Frequency.OTHER:
        return draft.frequency, ""
    if not other:
        raise RecordsError(_("Say how often you meet."))
    if len(other) > OTHER_MAX_CHARS:
        raise RecordsError(
            _("Say how often you meet in at most %(n)d characters.") % {"n": OTHER_MAX_CHARS}
        )
    return draft.frequency, other


def _therapist_of(partnership: Partnership, by: User) -> None:
    if not by.is_therapist or by.pk != partnership.therapist_id:
        raise RecordsError(_("Only the client's own therapist writes their treatment plan."))
    if partnership.status != Partnership.Status.ACTIVE:
        raise RecordsError(_("This partnership has ended; its plan can no longer change."))


@transaction.atomic
def write_plan(*, partnership: Partnership, by: User, draft: Draft) -> PlanVersion:
    """A new version of the partnership's plan (its first, or a revision); the client is
    asked to read and sign it. Refused, changing nothing, when any rule is broken."""
    _therapist_of(partnership, by)
    today = timezone.localdate()
    checked = _Checked(_diagnoses(draft), _goals(partnership, draft))
    problems = _text(draft.presenting_problems, _("The presenting problems"))
    interventions = _text(draft.interventions, _("The interventions"))
    if not (checked.diagnoses or problems or checked.goals or interventions):
        raise RecordsError(
            _(
                "A treatment plan cannot be empty: give at least a diagnosis, the presenting "
                "problems, a goal or the interventions."
            )
        )
    frequency, other = _frequency(draft)
    review_on = _review_on(draft, today)
    now = timezone.now()
    plan, _new = TreatmentPlan.objects.get_or_create(
        partnership=partnership, defaults={"created_at": now}
    )
    plan = TreatmentPlan.objects.select_for_update().select_related("partnership").get(pk=plan.pk)
    number = (plan.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PlanVersion.objects.create(
        plan=plan,
        number=number,
        written_by=by,
        written_at=now,
        presenting_problems=problems,
        interventions=interventions,
        frequency=frequency,
        frequency_other=other,
        review_on=review_on,
    )
    PlanDiagnosis.objects.bulk_create(
        PlanDiagnosis(
            version=version,
            code=code,
            description=description,
            primary=i == draft.primary,
            position=i,
        )
        for i, (code, description) in enumerate(checked.diagnoses)
    )
    for position, (goal, objectives) in enumerate(checked.goals):
        entry = PlanGoal.objects.create(version=version, goal=goal, position=position)
        PlanObjective.objects.bulk_create(
            PlanObjective(plan_goal=entry, text=text, target_on=target_on, position=i)
            for i, (text, target_on) in enumerate(objectives)
        )
    return version


# --- reading ----------------------------------------------------------------------------


def versions_of(partnership: Partnership) -> QuerySet[PlanVersion]:
    """The partnership's plan versions, newest first, with what a page shows of them."""
    return (
        PlanVersion.objects.filter(plan__partnership=partnership)
        .select_related("plan__partnership__client", "plan__partnership__therapist", "written_by")
        .prefetch_related(
            "diagnoses",
            Prefetch(
                "plan_goals",
                queryset=PlanGoal.objects.select_related("goal__partnership").prefetch_related(
                    "objectives"
                ),
            ),
            "responses",
        )
        .order_by("-number")
    )


def current_version(partnership: Partnership) -> PlanVersion | None:
    return versions_of(partnership).first()


def is_current(version: PlanVersion) -> bool:
    newest = (
        PlanVersion.objects.filter(plan_id=version.plan_id).aggregate(n=Max("number"))["n"] or 0
    )
    return version.number == newest


def latest_response(version: PlanVersion) -> PlanResponse | None:
    """The client's newest answer to this version (uses the prefetch of `versions_of`)."""
    responses = list(version.responses.all())
    return responses[-1] if responses else None


def agreed_goals(partnership: Partnership) -> list[Goal]:
    """The goals a plan of this partnership may take: co-agreed, not archived."""
    return [
        g
        for g in Goal.objects.filter(
            partnership=partnership,
            agreed_by_client_at__isnull=False,
            agreed_by_therapist_at__isnull=False,
        ).exclude(status=Goal.Status.ARCHIVED)
    ]


def draft_of(version: PlanVersion) -> Draft:
    """A version as a draft, to start its revision from."""
    diagnoses = list(version.diagnoses.all())
    primary = next((i for i, d in enumerate(diagnoses) if d.primary), 0)
    return Draft(
        diagnoses=tuple(str(d.code) for d in diagnoses),
        primary=primary,
        presenting_problems=str(version.presenting_problems or ""),
        goals=tuple(
            GoalEntry(
                entry.goal_id,
                tuple(Objective(str(o.text), o.target_on) for o in entry.objectives.all()),
            )
            for entry in version.plan_goals.all()
        ),
        interventions=str(version.interventions or ""),
        frequency=version.frequency,
        frequency_other=version.frequency_other,
        review_on=version.review_on,
    )


# --- the client's export ----------------------------------------------------------------


def export_plans(user: User) -> dict[str, Any]:
    """The client's treatment plans, every version with the client's answers, for their
    export (records/privacy.py); nothing for another role."""
    if not user.is_client:
        return {"treatment_plans": []}
    out = []
    for partnership in Partnership.objects.filter(client=user).order_by("started_at", "id"):
        versions = list(versions_of(partnership))
        if not versions:
            continue
        out.append(
            {
                "partnership": partnership.pk,
                "versions": [_exported(v) for v in reversed(versions)],
            }
        )
    return {"treatment_plans": out}


def _exported(version: PlanVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "written_at": version.written_at.isoformat(),
        "diagnoses": [
            {"code": str(d.code), "description": str(d.description), "primary": d.primary}
            for d in version.diagnoses.all()
        ],
        "presenting_problems": str(version.presenting_problems or ""),
        "goals": [
            {
                "goal": str(entry.goal.title),
                "objectives": [
                    {"text": str(o.text), "target_on": o.target_on.isoformat()}
                    for o in entry.objectives.all()
                ],
            }
            for entry in version.plan_goals.all()
        ],
        "interventions": str(version.interventions or ""),
        "frequency": version.frequency_text,
        "review_on": version.review_on.isoformat(),
        "answers": [
            {
                "agreed": r.agreed,
                "at": r.at.isoformat(),
                "typed_name": r.typed_name,
                "statement": r.statement,
                "shown_sha256": r.shown_sha256,
                "comment": str(r.comment or ""),
            }
            for r in version.responses.all()
        ],
    }


def erase_plans(user: User) -> dict[str, int]:
    """On erasure the client's answers stay as evidence (that they agreed to which version
    when, and the hash of what they read); the typed name and browser are blanked, and the
    plan's text is unreadable once the client's data key is destroyed."""
    kept = PlanResponse.objects.filter(client=user).update(typed_name="", user_agent="")
    return {"plan_answers_kept_as_evidence": kept}
