"""Scoped reads of the journal.

A client reads only their own entries; a therapist reads only entries shared in one of
their active partnerships (`alliance.care.queries.partnership_for` first, then
`shared_entries`). Nothing here ever returns a private entry to anyone but its writer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.care.queries import visible_partnerships
from alliance.journal.models import JournalEntry, Notebook, NotebookAssignment


def own_entries(client: User) -> QuerySet[JournalEntry]:
    return JournalEntry.objects.filter(client=client).select_related("goal", "partnership")


def own_entry(client: User, pk: int) -> JournalEntry:
    found = own_entries(client).filter(pk=pk).first()
    if found is None:
        raise Http404("no such entry")
    return found


def shared_entries(partnership: Partnership) -> QuerySet[JournalEntry]:
    """Entries the client chose to share in this partnership, newest first."""
    return JournalEntry.objects.filter(
        partnership=partnership, shared_at__isnull=False
    ).select_related("goal")


def notebooks_for(therapist: User) -> QuerySet[Notebook]:
    """The project's notebooks and the therapist's own, with their prompt counts."""
    return (
        Notebook.objects.filter(Q(author__isnull=True) | Q(author=therapist))
        .annotate(prompt_count=Count("prompts"))
        .order_by("author_id", "title")
    )


def notebook_for(user: User, pk: int) -> Notebook:
    found = notebooks_for(user).filter(pk=pk).first() if user.is_therapist else None
    if found is None:
        raise Http404("no such notebook")
    return found


def assignments_for_client(client: User) -> QuerySet[NotebookAssignment]:
    return (
        NotebookAssignment.objects.filter(partnership__client=client)
        .select_related("notebook", "partnership")
        .annotate(entry_count=Count("entries"))
    )


def assignment_for(user: User, pk: int) -> NotebookAssignment:
    found = (
        NotebookAssignment.objects.filter(pk=pk, partnership__in=visible_partnerships(user))
        .select_related("notebook", "partnership", "partnership__client")
        .first()
    )
    if found is None:
        raise Http404("no such notebook")
    return found


def assignments_of(partnership: Partnership) -> QuerySet[NotebookAssignment]:
    return NotebookAssignment.objects.filter(partnership=partnership).select_related("notebook")


def journal_weeks_for_alerts(
    partnership_ids: Iterable[int], *, weeks: int
) -> dict[int, tuple[int, ...]]:
    """Shared entries per week for the last `weeks` weeks, oldest week first, per partnership.

    Only shared entries count: a private entry never alerts anyone, not even by its absence
    or presence (consent text, alliance/accounts/consent.py). Weeks before the partnership
    started are left out, so a new partnership has a short series. One query.
    """
    if weeks < 1:
        raise ValueError("weeks must be >= 1")
    now = timezone.now()
    since = now - dt.timedelta(weeks=weeks)
    ids = list(partnership_ids)
    starts = dict(Partnership.objects.filter(pk__in=ids).values_list("pk", "started_at"))
    counts = {pid: [0] * weeks for pid in starts}
    rows = JournalEntry.objects.filter(
        partnership_id__in=ids, shared_at__isnull=False, created_at__gte=since
    ).values_list("partnership_id", "created_at")
    for pid, created in rows:
        index = min(weeks - 1, int((created - since) / dt.timedelta(weeks=1)))
        counts[pid][index] += 1
    out: dict[int, tuple[int, ...]] = {}
    for pid, series in counts.items():
        started_weeks_ago = (now - starts[pid]) / dt.timedelta(weeks=1)
        keep = max(1, min(weeks, int(started_weeks_ago) + 1))
        out[pid] = tuple(series[weeks - keep :])
    return out
