"""What comes next, for the home pages: the few things that wait for a person, in the order
they should be done, each with the link that does it.

A client's home leads with one thing to do now (a check-in to give before anything else,
since it takes a minute and the therapist reads it before the next session; then unread
messages; then a goal or task that waits for their agreement; else the next session). A
therapist's home lists today's sessions, the clients waiting in a call, and the unread
messages of each client on the caseload. A fixed number of queries for any caseload.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.checkins.models import CheckinRequest
from alliance.checkins.requests import session_to_rate
from alliance.conversations.models import CallParticipant, CallSession
from alliance.conversations.queries import with_unread
from alliance.goals.models import Goal, Task
from alliance.schedule.models import Appointment
from alliance.schedule.queries import upcoming_for


@dataclass(frozen=True)
class Step:
    kind: str  # checkin, message, goal, task, session
    text: str
    url: str
    action: str  # the link's words
    when: dt.datetime | None = None
    secondary: tuple[tuple[str, str], ...] = ()  # more (words, url) links, e.g. move


def for_client(user: User, partnership: Partnership | None) -> list[Step]:
    """The client's next steps, the one to do now first; empty without a therapist."""
    if partnership is None:
        return []
    found = [
        _checkin(partnership),
        _messages(user, partnership),
        *_awaiting_agreement(partnership),
        _session(user, partnership),
    ]
    return [step for step in found if step is not None]


def _checkin(partnership: Partnership) -> Step | None:
    pending = CheckinRequest.objects.filter(
        partnership=partnership, completed_at__isnull=True
    ).exists()
    if not pending and session_to_rate(partnership) is None:
        return None
    return Step(
        "checkin",
        _("Tell your therapist how the last session went: it takes about a minute."),
        reverse("checkins:index"),
        _("Give your check-in"),
    )


def _messages(user: User, partnership: Partnership) -> Step | None:
    annotated = with_unread(Partnership.objects.filter(pk=partnership.pk), user)
    count = next(iter(annotated.values_list("unread", flat=True)), 0)  # type: ignore[misc]
    if not count:
        return None
    text = ngettext(
        "%(n)d new message from %(name)s.", "%(n)d new messages from %(name)s.", count
    ) % {"n": count, "name": partnership.therapist.name}
    return Step(
        "message",
        text,
        reverse("conversations:thread", args=[partnership.pk]),
        _("Read messages"),
    )


def _awaiting_agreement(partnership: Partnership) -> list[Step]:
    """Goals and tasks proposed to the client that wait for their agreement."""
    goals = Goal.objects.filter(
        partnership=partnership, status=Goal.Status.ACTIVE, agreed_by_client_at__isnull=True
    ).count()
    tasks = Task.objects.filter(
        partnership=partnership, status=Task.Status.OPEN, agreed_by_client_at__isnull=True
    ).count()
    steps = []
    if goals:
        text = ngettext(
            "%(n)d goal waits for your agreement.", "%(n)d goals wait for your agreement.", goals
        ) % {"n": goals}
        url = reverse("goals:partnership_goals", args=[partnership.pk])
        steps.append(Step("goal", text, url, _("See goals")))
    if tasks:
        text = ngettext(
            "%(n)d task waits for your agreement.", "%(n)d tasks wait for your agreement.", tasks
        ) % {"n": tasks}
        url = reverse("goals:partnership_tasks", args=[partnership.pk])
        steps.append(Step("task", text, url, _("See tasks")))
    return steps


def _session(user: User, partnership: Partnership) -> Step:
    upcoming = upcoming_for(user).filter(partnership=partnership).first()
    if upcoming is None:
        return Step(
            "session",
            _("No session is booked yet."),
            reverse("schedule:book", args=[partnership.pk]),
            _("Book a session"),
        )
    return Step(
        "session",
        _("Your next session with %(name)s.") % {"name": partnership.therapist.name},
        reverse("schedule:appointment", args=[upcoming.pk]),
        _("See the session"),
        when=upcoming.starts_at,
        secondary=(
            (_("Join the call"), reverse("conversations:call_setup", args=[partnership.pk])),
            (_("Move it"), reverse("schedule:reschedule", args=[upcoming.pk])),
        ),
    )


@dataclass(frozen=True)
class TherapistDay:
    today: list[Appointment]
    waiting: list[Partnership]  # a client is in the call, the therapist is not
    unread: dict[int, int]  # partnership id -> unread messages from the client


def for_therapist(user: User, *, now: dt.datetime | None = None) -> TherapistDay:
    now = now or timezone.now()
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    today = list(
        Appointment.objects.filter(
            therapist=user,
            partnership__status=Partnership.Status.ACTIVE,
            status__in=(Appointment.Status.SCHEDULED, Appointment.Status.ATTENDED),
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
        )
        .select_related("client")
        .order_by("starts_at", "id")
    )
    open_calls = CallSession.objects.filter(
        ended_at__isnull=True,
        partnership__therapist=user,
        partnership__status=Partnership.Status.ACTIVE,
    ).values_list("partnership_id", flat=True)
    waiting_ids = _waiting(user, list(open_calls))
    waiting = list(
        Partnership.objects.filter(pk__in=waiting_ids).select_related("client").order_by("pk")
    )
    mine = Partnership.objects.filter(therapist=user, status=Partnership.Status.ACTIVE)
    rows = with_unread(mine, user).values_list("pk", "unread")  # type: ignore[misc]
    unread = {pid: n for pid, n in rows if n}
    return TherapistDay(today, waiting, unread)


def _waiting(therapist: User, partnership_ids: list[int]) -> set[int]:
    """Open calls with the client in them and the therapist not (one query)."""
    if not partnership_ids:
        return set()
    rows = CallParticipant.objects.filter(
        call__partnership_id__in=partnership_ids, call__ended_at__isnull=True, left_at__isnull=True
    ).values_list("call__partnership_id", "user_id")
    inside: dict[int, set[int]] = {}
    for pid, uid in rows:
        inside.setdefault(pid, set()).add(uid)
    return {pid for pid, users in inside.items() if users and therapist.pk not in users}
