"""Calls: joining and leaving a partnership's video or audio call. A client says where they
are first, and the call takes place only where their therapist is licensed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.conversations.membership import ConversationError, check_member, check_open
from alliance.conversations.models import CallParticipant, CallSession
from alliance.directory.models import Jurisdiction, Licence
from alliance.schedule import queries as schedule_queries
from alliance.schedule import services as schedule


class CallRefused(ConversationError):
    def __init__(self, code: str, message: str, reschedule_url: str | None = None) -> None:
        super().__init__(code, message)
        self.reschedule_url = reschedule_url


def licensed_in(*, therapist_id: int, jurisdiction: Jurisdiction) -> bool:
    # Telehealth licensure follows the client's physical location at the time of the
    # session: only a verified, unexpired licence there counts.
    return (
        Licence.objects.valid()
        .filter(therapist_id=therapist_id, jurisdiction=jurisdiction)
        .exists()
    )


def confirm_location(*, partnership: Partnership, code: Any) -> Jurisdiction:
    """The jurisdiction a client says they are in now, if their therapist may see them there."""
    usable = isinstance(code, str) and len(code) <= 16 and "\x00" not in code  # no lookup else
    jurisdiction = Jurisdiction.objects.filter(code=code).first() if usable else None
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
            reverse("schedule:book", args=[partnership.pk]),
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
    check_member(partnership, user)
    if mode not in CallSession.Mode.values:
        raise ConversationError("bad_mode", _("A call is either video or audio."))
    jurisdiction = None
    if user.pk == partnership.client_id:
        jurisdiction = confirm_location(partnership=partnership, code=location)
    now = timezone.now()
    with transaction.atomic():
        check_open(partnership)
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
            schedule.record_call_join(appointment_id=call.appointment_id, user=user, at=now)
        if user.pk == partnership.client_id and not _therapist_in(call, partnership):
            _tell_therapist_on_commit(call.pk)
    return participant


def _therapist_in(call: CallSession, partnership: Partnership) -> bool:
    return call.participants.filter(user_id=partnership.therapist_id, left_at__isnull=True).exists()


def _tell_therapist_on_commit(call_id: int) -> None:
    """The client is in the waiting room: their therapist is told (once per appointment,
    by push or text as they chose; conversations/tasks.py)."""
    from alliance.conversations.tasks import notify_client_waiting

    transaction.on_commit(lambda: notify_client_waiting.enqueue(call_id))


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
                appointment_id=_appointment_for_call(partnership, now),
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
            schedule.record_call_leave(
                appointment_id=call.appointment_id, user=participant.user, at=now
            )
        if not call.participants.filter(left_at__isnull=True).exists():
            call.ended_at = now
            call.save(update_fields=["ended_at"])
    return participant


def _appointment_for_call(partnership: Partnership, at: dt.datetime) -> int | None:
    """The scheduled appointment this call is for, if any (its attendance is recorded)."""
    found = schedule_queries.appointment_for_call(partnership=partnership, at=at)
    return None if found is None else int(found.pk)
