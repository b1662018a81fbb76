"""Reads for conversations: history after a sequence number, unread counts, the
therapist's usual response time, and message counts per week for the alert rules."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.conversations.models import Message, ReadState

HISTORY_BATCH = 200


def messages_after(
    partnership: Partnership, after: int, *, limit: int = HISTORY_BATCH
) -> list[Message]:
    """Messages with seq > `after`, oldest first: what a reconnecting client missed."""
    return list(
        Message.objects.filter(partnership=partnership, pk__gt=after).order_by("pk")[:limit]
    )


def latest_messages(partnership: Partnership, *, limit: int = 50) -> list[Message]:
    newest = list(Message.objects.filter(partnership=partnership).order_by("-pk")[:limit])
    newest.reverse()
    return newest


def read_marks(partnership: Partnership) -> dict[int, int]:
    """user id -> the last message seq they have read."""
    return dict(
        ReadState.objects.filter(partnership=partnership).values_list("user_id", "last_read_seq")
    )


def with_unread(partnerships: QuerySet[Partnership], user: User) -> QuerySet[Partnership]:
    """Annotate `unread` (messages from the other person after this user's read mark) in one
    query, whatever the number of conversations."""
    mark = ReadState.objects.filter(partnership=OuterRef("pk"), user=user).values("last_read_seq")[
        :1
    ]
    return partnerships.annotate(
        read_mark=Coalesce(Subquery(mark, output_field=IntegerField()), Value(0)),
    ).annotate(
        unread=Count(
            "messages",
            filter=Q(messages__id__gt=F("read_mark")) & ~Q(messages__sender=user),
        )
    )


def usual_response_time(
    therapist_id: int, *, replies: int = 50, window: int = 2000
) -> dt.timedelta | None:
    """The median time the therapist took to answer a client over their recent replies.

    A reply is the therapist's first message after one or more client messages; it is timed
    from the first of those client messages. One query over ids and times (no decryption).
    """
    rows = list(
        Message.objects.filter(partnership__therapist_id=therapist_id)
        .order_by("-pk")
        .values_list("partnership_id", "sender_id", "created_at")[:window]
    )
    rows.reverse()
    waiting: dict[int, dt.datetime] = {}
    delays: list[float] = []
    for partnership_id, sender_id, created_at in rows:
        if sender_id == therapist_id:
            since = waiting.pop(partnership_id, None)
            if since is not None:
                delays.append((created_at - since).total_seconds())
        else:
            waiting.setdefault(partnership_id, created_at)
    recent = delays[-replies:]
    if len(recent) < 3:  # too few replies to call anything "usual"
        return None
    return dt.timedelta(seconds=statistics.median(recent))


def message_weeks_for_alerts(
    partnership_ids: Iterable[int], *, weeks: int, now: dt.datetime | None = None
) -> dict[int, tuple[int, ...]]:
    """Client-sent message counts per week, oldest week first, for the last `weeks` weeks
    ending now (the fading-messages avoidance signal). Every id gets a tuple."""
    ids = list(partnership_ids)
    now = now or timezone.now()
    start = now - dt.timedelta(weeks=weeks)
    counts: dict[int, list[int]] = {pid: [0] * weeks for pid in ids}
    rows = Message.objects.filter(
        partnership_id__in=ids,
        sender_id=F("partnership__client_id"),
        created_at__gte=start,
        created_at__lt=now,
    ).values_list("partnership_id", "created_at")
    per: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
    per.update(counts)
    for pid, created_at in rows:
        index = min(weeks - 1, int((created_at - start) / dt.timedelta(weeks=1)))
        per[pid][index] += 1
    return {pid: tuple(per[pid]) for pid in ids}
