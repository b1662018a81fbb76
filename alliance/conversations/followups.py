"""The debounced follow-ups of a message: the partner's e-mail notification and the alert
re-evaluation, enqueued at most once per conversation per window."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from alliance.checkins.tasks import evaluate_alerts
from alliance.conversations.membership import Author

# The alert rules read message counts (the fading-messages signal), nothing urgent: crisis
# language is checked synchronously, in the call that stores the message. So a conversation's
# re-evaluation runs at most once per this many seconds, after the burst that asked for it
# (it then counts every message of the burst).
ALERT_EVALUATION_EVERY_SECONDS = 60
# A pending task covers messages that commit before it runs; stop relying on it this long
# before it is due, so a message whose transaction is still open then enqueues its own.
PENDING_MARGIN_SECONDS = 5.0

# A conversation's messages are followed up by two delayed tasks: the partner's e-mail
# notification and the alert re-evaluation. The first message of a window enqueues them, in
# its own transaction (no message without its follow-ups), and they cover every later
# message until they run. key -> monotonic time until which a committed, not yet due task
# covers new messages. Per process: after a restart, or on another worker, the first message
# enqueues again, which the tasks tolerate (they are idempotent and the e-mail is throttled
# in ReadState).
_pending: dict[tuple[str, int, int], float] = {}
_pending_lock = threading.Lock()

NOTIFY, EVALUATE = "notify", "evaluate"


@dataclass(frozen=True)
class FollowUp:
    """One task to enqueue with a message: `task.enqueue(*args)` or its row, same commit."""

    key: tuple[str, int, int]
    task: Any
    args: tuple[Any, ...]
    covers_until: float  # monotonic; meaningful only once the task has committed


def _follow_up_key(author: Author, kind: str) -> tuple[str, int, int]:
    recipient = author.recipient_id if kind == NOTIFY else 0
    return (kind, int(author.partnership.pk), recipient)


def follow_ups_due(author: Author) -> tuple[str, ...]:
    """The follow-ups a message now would enqueue (none while pending tasks cover it)."""
    return tuple(k for k in (NOTIFY, EVALUATE) if not _covered(_follow_up_key(author, k)))


def follow_ups(author: Author, seq: int, due: tuple[str, ...]) -> list[FollowUp]:
    """The tasks for message `seq`'s due follow-ups (`follow_ups_due`)."""
    found = []
    now = time.monotonic()
    if NOTIFY in due:
        # Delayed a little: a partner reading live in the chat gets no e-mail.
        from alliance.conversations.tasks import notify_new_message

        delay = settings.CONVERSATION_NOTIFY_DELAY_SECONDS
        task = notify_new_message
        if delay:
            task = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay))
        found.append(FollowUp(_follow_up_key(author, NOTIFY), task, (seq,), now + delay))
    if EVALUATE in due:
        # Re-run the alert rules once after a burst of messages, not per message.
        run_after = timezone.now() + dt.timedelta(seconds=ALERT_EVALUATION_EVERY_SECONDS)
        evaluation = evaluate_alerts.using(run_after=run_after)
        until = now + ALERT_EVALUATION_EVERY_SECONDS
        args = (int(author.partnership.pk),)
        found.append(FollowUp(_follow_up_key(author, EVALUATE), evaluation, args, until))
    return found


def _covered(key: tuple[str, int, int]) -> bool:
    with _pending_lock:
        return _pending.get(key, 0.0) > time.monotonic()


def mark_covered(committed: list[FollowUp]) -> None:
    """Record committed follow-ups: they cover the conversation's messages until they are
    almost due (a message whose transaction is still open then enqueues its own)."""
    with _pending_lock:
        for follow_up in committed:
            _pending[follow_up.key] = follow_up.covers_until - PENDING_MARGIN_SECONDS


def forget_pending() -> None:
    """Drop this process's record of pending tasks (tests)."""
    with _pending_lock:
        _pending.clear()
