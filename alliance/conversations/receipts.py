"""Read receipts: how far each member has read a conversation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.conversations import realtime
from alliance.conversations.membership import ConversationError, check_member
from alliance.conversations.models import Message, ReadState


@dataclass(frozen=True)
class ReadMark:
    seq: int  # the stored mark
    moved: bool  # this call moved it forward


def mark_read(*, partnership: Partnership, user: User, seq: Any, announce: bool = True) -> int:
    """Record that `user` has read up to message `seq`; returns the stored mark."""
    return record_read(partnership=partnership, user=user, seq=seq, announce=announce).seq


def record_read(
    *, partnership: Partnership, user: User, seq: Any, announce: bool = True
) -> ReadMark:
    """Move the read mark forward to the newest message at or before `seq` (never back).

    Receipts arrive for every message a partner sees, so the common case is two statements
    and at most one commit: find the message, then a conditional UPDATE that only moves the
    mark forward (two tabs' receipts cannot move it back). With `announce=False` the caller
    sends the receipt to the conversation itself when `moved`.
    """
    check_member(partnership, user)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ConversationError("bad_seq", _("A read receipt needs a message number."))
    latest = (
        Message.objects.filter(partnership=partnership, pk__lte=seq)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    ) or 0
    marks = ReadState.objects.filter(partnership=partnership, user=user)
    moved = bool(latest and marks.filter(last_read_seq__lt=latest).update(last_read_seq=latest))
    if not moved:
        state, created = ReadState.objects.get_or_create(
            partnership=partnership, user=user, defaults={"last_read_seq": latest}
        )
        moved = created and latest > 0
        if not created and state.last_read_seq < latest:  # created meanwhile, further back
            moved = bool(marks.filter(last_read_seq__lt=latest).update(last_read_seq=latest))
        if not moved:
            return ReadMark(max(state.last_read_seq, latest), False)
    if announce:
        pid, uid = partnership.pk, user.pk
        transaction.on_commit(
            lambda: realtime.broadcast(pid, {"type": "chat.read", "user": uid, "seq": latest})
        )
    return ReadMark(latest, True)
