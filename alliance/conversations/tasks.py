"""E-mail notifications for new messages: never their content, at most one per conversation
per throttle window, none when the messages have already been read.

A task is enqueued for a conversation's first message and covers the ones that follow until
it runs (messages.post_message enqueues at most one pending task per conversation and
recipient), so it looks at the newest message from the sender, not only its own."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks import task

from alliance.conversations.models import Message, ReadState
from alliance.core import mail


@task()
def notify_new_message(message_id: int) -> str:
    """Returns what happened ("sent", "read", "throttled", "gone"); safe to run twice."""
    message = (
        Message.objects.select_related("partnership__client", "partnership__therapist", "sender")
        .defer("body")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return "gone"
    partnership = message.partnership
    recipient = (
        partnership.therapist if message.sender_id == partnership.client_id else partnership.client
    )
    state, _created = ReadState.objects.get_or_create(partnership=partnership, user=recipient)
    newest = (
        Message.objects.filter(partnership=partnership, sender_id=message.sender_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    ) or message.pk
    if state.last_read_seq >= newest:
        return "read"
    now = timezone.now()
    window = dt.timedelta(minutes=settings.CONVERSATION_NOTIFY_THROTTLE_MINUTES)
    # A conditional update claims the window, so two workers never both send.
    claimed = (
        ReadState.objects.filter(pk=state.pk)
        .filter(Q(last_notified_at__isnull=True) | Q(last_notified_at__lte=now - window))
        .update(last_notified_at=now)
    )
    if not claimed:
        return "throttled"
    mail.send(
        recipient,
        subject=gettext_noop("You have a new message on Alliance"),
        template="conversations/email/new_message.txt",
        context={
            "sender_name": message.sender.name,
            "link": mail.link("conversations:thread", partnership.pk),
        },
    )
    return "sent"
