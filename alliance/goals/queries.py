"""Scoped reads of goals, tasks and the working agreement, and the alert-rule signals.

Every read by id goes through the caller's visible partnerships (`alliance.care.queries`),
so a goal of someone else's partnership is a 404, never a 403 that leaks its existence.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.care.queries import handoff_allowed, visible_partnerships
from alliance.goals.models import Goal, GoalRating, Task, WorkingAgreement
from alliance.measures.alerts.model import GoalsStatus
from alliance.schedule.models import Appointment
from alliance.schedule.queries import COUNTED


def goal_for(user: User, pk: int) -> Goal:
    found = (
        Goal.objects.filter(pk=pk, partnership__in=visible_partnerships(user))
        .select_related("partnership", "partnership__client", "partnership__therapist")
        .first()
    )
    if found is None:
        raise Http404("no such goal")
    return found


def task_for(user: User, pk: int) -> Task:
    found = (
        Task.objects.filter(pk=pk, partnership__in=visible_partnerships(user))
        .select_related("partnership", "partnership__client", "partnership__therapist")
        .first()
    )
    if found is None:
        raise Http404("no such task")
    return found


def goals_of(partnership: Partnership) -> QuerySet[Goal]:
    """The partnership's goals with their ratings (oldest first) in two queries."""
    return (
        Goal.objects.filter(partnership=partnership)
        .select_related("partnership")
        .prefetch_related(
            Prefetch("ratings", queryset=GoalRating.objects.select_related("rated_by"))
        )
        .order_by("status", "created_at", "id")
    )


def goal_history(goal: Goal) -> list[object]:
    """Events and ratings of one goal, oldest first."""
    events: list[object] = list(goal.events.select_related("actor"))
    events.extend(goal.ratings.select_related("rated_by"))
    return sorted(events, key=lambda e: getattr(e, "at", None) or getattr(e, "rated_at"))  # noqa: B009


def tasks_of(partnership: Partnership) -> QuerySet[Task]:
    return Task.objects.filter(partnership=partnership).select_related("partnership", "goal")


def current_agreement(partnership: Partnership) -> WorkingAgreement | None:
    return WorkingAgreement.objects.filter(partnership=partnership).select_related("author").first()


def agreement_history(partnership: Partnership, *, limit: int = 20) -> list[WorkingAgreement]:
    return list(
        WorkingAgreement.objects.filter(partnership=partnership).select_related("author")[:limit]
    )


@dataclass(frozen=True)
class Completion:
    done: int
    not_done: int
    overdue: int

    @property
    def due(self) -> int:
        return self.done + self.not_done + self.overdue

    @property
    def rate(self) -> float | None:
        """Done among agreed tasks that are due: marked done, marked not done, or overdue
        and never marked (an unmarked overdue task was, in practice, not done)."""
        return self.done / self.due if self.due else None


def _completion_rows(partnership_ids: Iterable[int], today: dt.date) -> dict[int, Completion]:
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = Task.objects.filter(
        partnership_id__in=list(partnership_ids),
        agreed_by_client_at__isnull=False,
        agreed_by_therapist_at__isnull=False,
    ).values_list("partnership_id", "status", "due_on")
    for pid, status, due_on in rows:
        if status == Task.Status.DONE:
            counts[pid][0] += 1
        elif status == Task.Status.NOT_DONE:
            counts[pid][1] += 1
        elif due_on < today:
            counts[pid][2] += 1
    return {pid: Completion(*c) for pid, c in counts.items()}


def completion_for(partnership: Partnership) -> Completion:
    today = timezone.localdate()
    return _completion_rows([partnership.pk], today).get(partnership.pk, Completion(0, 0, 0))


def handed_over_goals(partnership: Partnership) -> list[Goal]:
    """Goals of the client's earlier partnerships, shown to a new therapist only when the
    client consented to the handoff (docs/goals-and-journal.md: the handoff carries goals
    only with consent)."""
    if not handoff_allowed(partnership):
        return []
    return list(
        Goal.objects.filter(
            partnership__client_id=partnership.client_id,
            partnership__started_at__lt=partnership.started_at,
        )
        .exclude(partnership=partnership)
        .exclude(status=Goal.Status.ARCHIVED)
        .select_related("partnership")
        .order_by("-created_at")[:20]
    )


# --- signals for the alert rules ------------------------------------------------------


def _sessions_since_start(partnership_ids: list[int], now: dt.datetime) -> dict[int, int]:
    """Sessions so far: appointments that have started and count as sessions (everything
    but a cancellation made in time), numbered as the alert rules number them."""
    return dict(
        Appointment.objects.filter(COUNTED, partnership_id__in=partnership_ids, starts_at__lte=now)
        .values("partnership_id")
        .annotate(n=Count("id"))
        .values_list("partnership_id", "n")
    )


def goals_status_for_alerts(partnership_ids: Iterable[int]) -> dict[int, GoalsStatus]:
    """Per partnership: is there at least one goal both sides agreed to (not archived), and
    how many sessions since the start. Three queries for any number of partnerships."""
    ids = list(partnership_ids)
    partnerships = list(Partnership.objects.filter(pk__in=ids).only("id", "started_at"))
    agreed = set(
        Goal.objects.filter(
            partnership_id__in=ids,
            agreed_by_client_at__isnull=False,
            agreed_by_therapist_at__isnull=False,
        )
        .exclude(status=Goal.Status.ARCHIVED)
        .values_list("partnership_id", flat=True)
    )
    sessions = _sessions_since_start(ids, timezone.now())
    return {
        p.pk: GoalsStatus(co_agreed=p.pk in agreed, sessions_since_start=sessions.get(p.pk, 0))
        for p in partnerships
    }


def tasks_missed_for_alerts(partnership_ids: Iterable[int]) -> dict[int, tuple[bool, ...]]:
    """Per partnership, agreed tasks that are due, oldest due first: True if done, False if
    marked not done or overdue and never marked. "Repeatedly not done" reads the tail."""
    today = timezone.localdate()
    out: dict[int, list[bool]] = defaultdict(list)
    rows = (
        Task.objects.filter(
            partnership_id__in=list(partnership_ids),
            agreed_by_client_at__isnull=False,
            agreed_by_therapist_at__isnull=False,
        )
        .order_by("due_on", "id")
        .values_list("partnership_id", "status", "due_on")
    )
    for pid, status, due_on in rows:
        if status == Task.Status.DONE:
            out[pid].append(True)
        elif status == Task.Status.NOT_DONE or due_on < today:
            out[pid].append(False)
    return {pid: tuple(v) for pid, v in out.items()}


def completion_rates(partnership_ids: Iterable[int]) -> dict[int, Completion]:
    """Task completion per partnership for a caseload list, in one query."""
    return _completion_rows(partnership_ids, timezone.localdate())


__all__ = [
    "completion_for",
    "completion_rates",
    "goals_status_for_alerts",
    "tasks_missed_for_alerts",
]
