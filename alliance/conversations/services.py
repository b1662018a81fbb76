"""Writes for conversations: messages, read receipts and calls.

Each service commits before anything leaves the process: the partner's copy of a message,
its e-mail notification and the alert re-evaluation are sent `on_commit`, and the sender's
acknowledgement is sent by the caller after the service has returned (so after commit).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.conversations import integrations, realtime
from alliance.conversations.models import CallParticipant, CallSession, Message, ReadState
from alliance.directory.models import Jurisdiction, Licence

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class ConversationError(ValueError):
    """Refused input; `code` is stable for clients, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class CallRefused(ConversationError):
    def __init__(self, code: str, message: str, reschedule_url: str | None = None) -> None:
        super().__init__(code, message)
        self.reschedule_url = reschedule_url


@dataclass(frozen=True)
class Posted:
    message: Message
    created: bool
    crisis_phrases: tuple[str, ...]
    alerted: bool


def message_payload(message: Message, sender_name: str = "") -> dict[str, Any]:
    return {
        "seq": message.pk,
        "id": message.client_id,
        "sender": message.sender_id,
        "sender_name": sender_name,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


def _check_member(partnership: Partnership, user: User) -> None:
    if user.pk not in (partnership.client_id, partnership.therapist_id):
        raise ConversationError("not_found", _("No such conversation."))


def _check_open(partnership: Partnership) -> None:
    # Re-read the status: a socket may outlive the partnership it was opened for.
    if not Partnership.objects.filter(pk=partnership.pk, status=Partnership.Status.ACTIVE).exists():
        raise ConversationError(
            "ended", _("This conversation has ended; it can be read, not added to.")
        )


def clean_message(*, client_id: Any, body: Any) -> tuple[str, str]:
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise ConversationError(
            "bad_id", _("Each message needs an id of 8 to 64 letters, digits, - or _.")
        )
    if not isinstance(body, str) or not body.strip():
        raise ConversationError("empty", _("A message cannot be empty."))
    body = body.strip()
    limit = settings.CONVERSATION_MESSAGE_MAX_CHARS
    if len(body) > limit:
        raise ConversationError(
            "too_long",
            _("A message can be at most %(limit)s characters (this one has %(length)s).")
            % {"limit": limit, "length": len(body)},
        )
    return client_id, body


def post_message(*, partnership: Partnership, sender: User, client_id: Any, body: Any) -> Posted:
    """Store a message once per client id; check a client's words for crisis language in the
    same call and alert at once (DESIGN.md: safety pre-empts everything)."""
    _check_member(partnership, sender)
    client_id, body = clean_message(client_id=client_id, body=body)
    is_client = sender.pk == partnership.client_id
    phrases = tuple(integrations.crisis_phrases(body)) if is_client else ()
    with transaction.atomic():
        _check_open(partnership)
        existing = Message.objects.filter(partnership=partnership, client_id=client_id).first()
        if existing is not None:
            # A retry of a stored message: acknowledge it again, store and alert nothing new.
            return Posted(existing, False, phrases, bool(phrases))
        message = Message(
            partnership=partnership,
            sender=sender,
            client_id=client_id,
            body=body,
            created_at=timezone.now(),
        )
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:  # the same id arrived at the same time on another socket
            again = Message.objects.get(partnership=partnership, client_id=client_id)
            return Posted(again, False, phrases, bool(phrases))
        alerted = False
        if phrases:
            alerted = integrations.raise_safety_alert(
                client=partnership.client,
                partnership=partnership,
                evidence={"message_id": message.pk, "phrases": list(phrases)},
            )
        payload = message_payload(message, sender.name)
        pid = partnership.pk
        transaction.on_commit(
            lambda: realtime.broadcast(pid, {"type": "chat.message", "message": payload})
        )
        # The database task queue commits the e-mail task with the message (one commit, and
        # no message without its notification); no worker can see it before then.
        _enqueue_notification(message.pk)
        integrations.request_alert_evaluation(partnership_id=pid)  # defers itself to commit
    return Posted(message, True, phrases, alerted)


def _enqueue_notification(message_id: int) -> None:
    from alliance.conversations.tasks import notify_new_message

    delay = settings.CONVERSATION_NOTIFY_DELAY_SECONDS
    task = notify_new_message
    if delay:
        # A short grace period: a partner reading live in the chat gets no e-mail.
        task = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay))
    task.enqueue(message_id)


def mark_read(*, partnership: Partnership, user: User, seq: Any) -> int:
    """Record that `user` has read up to message `seq`; returns the stored mark."""
    _check_member(partnership, user)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ConversationError("bad_seq", _("A read receipt needs a message number."))
    with transaction.atomic():
        latest = (
            Message.objects.filter(partnership=partnership, pk__lte=seq)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        ) or 0
        state, _created = ReadState.objects.select_for_update().get_or_create(
            partnership=partnership, user=user
        )
        if latest > state.last_read_seq:
            state.last_read_seq = latest
            state.save(update_fields=["last_read_seq"])
            pid, uid = partnership.pk, user.pk
            transaction.on_commit(
                lambda: realtime.broadcast(pid, {"type": "chat.read", "user": uid, "seq": latest})
            )
        return state.last_read_seq


# --- calls ------------------------------------------------------------------------------


def licensed_in(*, therapist_id: int, jurisdiction: Jurisdiction) -> bool:
    # Telehealth licensure follows the client's physical location at the time of the
    # session (CLINICAL.md, "Safety"): only a verified, unexpired licence there counts.
    return (
        Licence.objects.valid()
        .filter(therapist_id=therapist_id, jurisdiction=jurisdiction)
        .exists()
    )


def confirm_location(*, partnership: Partnership, code: Any) -> Jurisdiction:
    """The jurisdiction a client says they are in now, if their therapist may see them there."""
    jurisdiction = Jurisdiction.objects.filter(code=code).first() if isinstance(code, str) else None
    if jurisdiction is None:
        raise CallRefused("bad_location", _("Choose where you are right now."))
    if not licensed_in(therapist_id=partnership.therapist_id, jurisdiction=jurisdiction):
        raise CallRefused(
            "not_licensed",
            _(
                "Your therapist is not licensed in %(place)s, so this call cannot take place "
                "while you are there. You can book another time when you are back."
            )
            % {"place": jurisdiction.name},
            integrations.booking_url(partnership),
        )
    return jurisdiction


def join_call(
    *,
    partnership: Partnership,
    user: User,
    mode: Any,
    location: Any = None,
    channel_name: str = "",
) -> CallParticipant:
    """Join (or open) the partnership's call; a client confirms where they are first."""
    _check_member(partnership, user)
    if mode not in CallSession.Mode.values:
        raise ConversationError("bad_mode", _("A call is either video or audio."))
    jurisdiction = None
    if user.pk == partnership.client_id:
        jurisdiction = confirm_location(partnership=partnership, code=location)
    now = timezone.now()
    with transaction.atomic():
        _check_open(partnership)
        call = _open_call(partnership=partnership, mode=mode, now=now)
        # A rejoin (a dropped connection, a second tab) closes this person's earlier join.
        CallParticipant.objects.filter(call=call, user=user, left_at__isnull=True).update(
            left_at=now
        )
        participant = CallParticipant.objects.create(
            call=call,
            user=user,
            channel_name=channel_name,
            jurisdiction=jurisdiction,
            joined_at=now,
        )
        if call.appointment_id is not None:
            integrations.record_call_join(appointment_id=call.appointment_id, user=user, at=now)
    return participant


def _open_call(*, partnership: Partnership, mode: str, now: dt.datetime) -> CallSession:
    call = (
        CallSession.objects.select_for_update()
        .filter(partnership=partnership, ended_at__isnull=True)
        .first()
    )
    if call is not None:
        if call.mode != mode and not call.participants.filter(left_at__isnull=True).exists():
            call.mode = mode
            call.save(update_fields=["mode"])
        return call
    try:
        with transaction.atomic():
            return CallSession.objects.create(
                partnership=partnership,
                mode=mode,
                started_at=now,
                appointment_id=integrations.appointment_for_call(partnership=partnership, at=now),
            )
    except IntegrityError:  # the partner opened it at the same moment
        return CallSession.objects.get(partnership=partnership, ended_at__isnull=True)


def leave_call(*, participant_id: int) -> CallParticipant | None:
    """Record a leave; the call ends when nobody is left in it."""
    now = timezone.now()
    with transaction.atomic():
        participant = (
            CallParticipant.objects.select_for_update()
            .select_related("call", "user")
            .filter(pk=participant_id)
            .first()
        )
        if participant is None or participant.left_at is not None:
            return participant
        participant.left_at = now
        participant.save(update_fields=["left_at"])
        call = participant.call
        if call.appointment_id is not None:
            integrations.record_call_leave(
                appointment_id=call.appointment_id, user=participant.user, at=now
            )
        if not call.participants.filter(left_at__isnull=True).exists():
            call.ended_at = now
            call.save(update_fields=["ended_at"])
    return participant
