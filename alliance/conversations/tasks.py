"""Notifications for new messages (e-mail, and push or text by the recipient's choice):
never their content, at most one per conversation per throttle window, none when the
messages have already been read. A client waiting in a call tells their therapist.

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

from alliance.conversations.models import CallSession, Message, ReadState
from alliance.core import mail
from alliance.notify import kinds as notify_kinds
from alliance.notify import services as notify

WAITING_NEWS_FOR = dt.timedelta(minutes=15)


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
    link = mail.link("conversations:thread", partnership.pk)
    notify.send(
        recipient,
        notify_kinds.MESSAGE,
        key=f"message:{newest}",
        link=link,
        facts={"sender": message.sender.name},  # who, never what: the body is not loaded
        email=notify.Email(
            subject=gettext_noop("You have a new message on Alliance"),
            template="conversations/email/new_message.txt",
            context={"sender_name": message.sender.name, "link": link},
        ),
    )
    return "sent"


@task()
def notify_client_waiting(call_id: int) -> str:
    """Tell the therapist their client is waiting in the call: once per appointment (or per
    call without one), and not once the therapist is in it."""
    call = (
        CallSession.objects.select_related("partnership__client", "partnership__therapist")
        .filter(pk=call_id)
        .first()
    )
    if call is None or call.ended_at is not None:
        return "gone"
    partnership = call.partnership
    if call.participants.filter(user_id=partnership.therapist_id, left_at__isnull=True).exists():
        return "joined"
    about = f"appointment:{call.appointment_id}" if call.appointment_id else f"call:{call.pk}"
    sent = notify.send(
        partnership.therapist,
        notify_kinds.CALL_WAITING,
        key=f"call-waiting:{about}",
        link=mail.link("conversations:call", partnership.pk),
        facts={"client": partnership.client.name},
        # Held by quiet hours for at most this long: later, the client has stopped waiting.
        expires_at=timezone.now() + WAITING_NEWS_FOR,
    )
    return "sent" if sent else "not sent"
