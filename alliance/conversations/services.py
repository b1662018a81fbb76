"""Writes for conversations: messages, read receipts and calls.

Each service commits before anything leaves the process: the partner's copy of a message,
its e-mail notification and the alert re-evaluation are sent `on_commit`, and the sender's
acknowledgement is sent by the caller after the service has returned (so after commit).

Storing a message is the hot path of live chat, so it is one statement in the common case:
an `INSERT ... SELECT ... WHERE <partnership active> ON CONFLICT DO NOTHING RETURNING id`
that checks the partnership is still open, stores the message once per client id and
returns its sequence number, committed on its own (one commit, no SELECT first). What does
not change while a socket is open (the partnership, the sender, the client's data key) is
loaded once, when it opens (`author_for`). The e-mail notification and the alert
re-evaluation are enqueued at most once per conversation per window, in the message's own
transaction; a crisis alert is raised in it too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.conversations import integrations, realtime
from alliance.conversations.models import CallParticipant, CallSession, Message, ReadState
from alliance.directory.models import Jurisdiction, Licence
from alliance.privacy import fields, keys
from alliance.privacy.models import ClientKey

CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # fullmatch: "$" would let a newline end it

# The alert rules read message counts (the fading-messages signal), nothing urgent: crisis
# language is checked synchronously, in the call that stores the message. So a conversation's
# re-evaluation runs at most once per this many seconds, after the burst that asked for it
# (it then counts every message of the burst).
ALERT_EVALUATION_EVERY_SECONDS = 60
# A pending task covers messages that commit before it runs; stop relying on it this long
# before it is due, so a message whose transaction is still open then enqueues its own.
PENDING_MARGIN_SECONDS = 5.0


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
    held: bool = False  # stored over the abuse limit: not pushed live (see HOLD)


@dataclass
class Author:
    """One person writing in one conversation, with the client's data key: what storing a
    message needs that does not change while a socket is open (loaded by `author_for`)."""

    partnership: Partnership
    sender: User
    sender_name: str
    key_id: int
    fernet: Fernet

    @property
    def is_client(self) -> bool:
        return bool(self.sender.pk == self.partnership.client_id)

    @property
    def recipient_id(self) -> int:
        p = self.partnership
        return int(p.therapist_id if self.sender.pk == p.client_id else p.client_id)

    def encrypt(self, text: str) -> fields.Ciphertext:
        # The EncryptedTextField format, with the key loaded once instead of per message.
        token = self.fernet.encrypt(text.encode("utf-8")).decode("ascii")
        return fields.Ciphertext(f"{fields.PREFIX}{self.key_id}:{token}")

    def reload_key(self) -> None:
        self.key_id, self.fernet = keys.key_for_owner(int(self.partnership.client_id))


def author_for(*, partnership: Partnership, sender: User) -> Author:
    """Check membership and load the client's data key (one query, cached per socket)."""
    _check_member(partnership, sender)
    try:
        key_id, fernet = keys.key_for_owner(int(partnership.client_id))
    except keys.KeyDestroyed as exc:  # the client's data was erased: nothing more is written
        raise ConversationError(
            "ended", _("This conversation has ended; it can be read, not added to.")
        ) from exc
    return Author(partnership, sender, sender.name, key_id, fernet)


def message_payload(message: Message, sender_name: str = "") -> dict[str, Any]:
    return {
        "seq": message.pk,
        "id": message.client_id,
        "sender": message.sender_id,
        "sender_name": sender_name,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
        "held": message.held,
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
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
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


# --- debounced follow-ups ---------------------------------------------------------------
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
        task, args = integrations.alert_evaluation_task(
            partnership_id=int(author.partnership.pk),
            delay_seconds=ALERT_EVALUATION_EVERY_SECONDS,
        )
        until = now + ALERT_EVALUATION_EVERY_SECONDS
        found.append(FollowUp(_follow_up_key(author, EVALUATE), task, args, until))
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


# --- messages ---------------------------------------------------------------------------


# The abuse limit: a sender may store CONVERSATION_MESSAGES_PER_MINUTE messages in any window
# of this many seconds, across all their conversations and every worker. The INSERT itself
# checks it (it counts the sender's stored messages since `now - window` on the
# message_sender_recent index, reading at most the limit), so it costs no round trip of its
# own and needs no shared counter: the database every worker writes to is the count.
#
# A message over the limit is not refused: it is stored `held`, acknowledged as held, and
# not pushed to the partner's open page, which picks it up at its next catch-up (at most a
# minute; docs/conversations.md). A flood therefore reaches the partner as one batch a minute
# rather than as a stream, and a client writing fast in distress loses nothing. Only past
# CONVERSATION_HELD_PER_MINUTE more in the window is a message refused (`rate`), so the
# store has a ceiling; messages with crisis language are never limited or held.
RATE_WINDOW_SECONDS = 60
HOLD = "hold"  # _not_inserted's answer: over the limit, store it held


def _rate_window_start(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=RATE_WINDOW_SECONDS)


def _rate_cap(held: bool) -> int:
    """How many stored messages in the window stop this one: the limit, or past it the
    ceiling on held ones."""
    limit = settings.CONVERSATION_MESSAGES_PER_MINUTE
    return limit + settings.CONVERSATION_HELD_PER_MINUTE if held else limit


def _over_rate_limit(author: Author, now: dt.datetime, held: bool = False) -> bool:
    cap = _rate_cap(held)
    recent = Message.objects.filter(
        sender_id=author.sender.pk, created_at__gt=_rate_window_start(now)
    )
    return recent[:cap].count() >= cap


def post_message(
    *,
    partnership: Partnership,
    sender: User,
    client_id: Any,
    body: Any,
    author: Author | None = None,
    announce: bool = True,
) -> Posted:
    """Store a message once per client id; check a client's words for crisis language in the
    same call and alert at once (safety pre-empts everything: docs/alerts.md, "Safety").

    `author` (from `author_for`) saves loading the data key again; with `announce=False` the
    caller sends the partner's copy itself after this returns (the socket does, without a
    thread hop), otherwise it goes to the conversation's sockets on commit.
    """
    _check_member(partnership, sender)
    client_id, body = clean_message(client_id=client_id, body=body)
    if author is None:
        author = author_for(partnership=partnership, sender=sender)
    phrases = tuple(integrations.crisis_phrases(body)) if author.is_client else ()
    # The abuse limit holds back anything but a message with crisis language.
    limited = not phrases
    held = False
    pid = int(partnership.pk)
    due = follow_ups_due(author)
    now = timezone.now()
    # Only the message: its INSERT commits on its own. With follow-ups, one transaction.
    block = transaction.atomic() if (phrases or due) else contextlib.nullcontext()
    with block:
        # At most three tries: as sent, held (over the limit), after reloading a replaced key.
        for _attempt in range(3):
            seq = _insert_message(author, client_id, body, now, limited, held)
            if seq is not None:
                break
            found = _not_inserted(author, client_id, now, limited, held)
            if isinstance(found, Message):
                return Posted(found, False, phrases, bool(phrases), found.held)
            held = held or found == HOLD
        else:  # stored by a concurrent retry meanwhile, or ended meanwhile
            found = _not_inserted(author, client_id, now, limited, held)
            if not isinstance(found, Message):
                raise ConversationError("retry", _("That could not be stored; try again."))
            return Posted(found, False, phrases, bool(phrases), found.held)
        message = inserted_message(author, seq, client_id, body, now, held)
        alerted = False
        if phrases:
            alerted = integrations.raise_safety_alert(
                client=partnership.client,
                partnership=partnership,
                evidence={"message_id": seq, "phrases": list(phrases)},
            )
        if due:
            # The task rows commit with the message and cover later messages until they run.
            pending = follow_ups(author, seq, due)
            for follow_up in pending:
                follow_up.task.enqueue(*follow_up.args)
            transaction.on_commit(lambda: mark_covered(pending))
        if announce and held:
            uid, seq_held = author.sender.pk, seq
            transaction.on_commit(
                lambda: realtime.broadcast(pid, {"type": "chat.held", "seq": seq_held, "user": uid})
            )
        elif announce:
            payload = message_payload(message, author.sender_name)
            transaction.on_commit(
                lambda: realtime.broadcast(pid, {"type": "chat.message", "message": payload})
            )
    return Posted(message, True, phrases, alerted, held)


def _insert_message(
    author: Author,
    client_id: str,
    body: str,
    now: dt.datetime,
    limited: bool,
    held: bool = False,
) -> int | None:
    """Insert unless the client id is already stored, the partnership has ended, the data
    key is gone or (`limited`) the sender is over the abuse limit (over the ceiling on held
    messages, if `held`); returns the new sequence number, or None. One statement."""
    connection = connections[router.db_for_write(Message)]
    with connection.cursor() as cursor:
        cursor.execute(
            insert_sql(connection, limited),
            insert_params(author, client_id, body, now, connection, limited, held),
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def insert_params(
    author: Author,
    client_id: str,
    body: str,
    now: dt.datetime,
    connection: Any,
    limited: bool,
    held: bool = False,
) -> list[Any]:
    """The parameters of `insert_sql`, prepared as Django would for `connection` (this
    touches no database: it may run on the event loop)."""
    meta = Message._meta
    created_at = meta.get_field("created_at")
    params = [
        meta.get_field("partnership").get_db_prep_save(author.partnership.pk, connection),
        meta.get_field("sender").get_db_prep_save(author.sender.pk, connection),
        client_id,
        meta.get_field("body").get_db_prep_save(author.encrypt(body), connection),
        created_at.get_db_prep_save(now, connection),
        meta.get_field("held").get_db_prep_save(held, connection),
        author.partnership.pk,
        Partnership.Status.ACTIVE.value,
        author.key_id,
    ]
    if limited:
        cap = _rate_cap(held)
        since = created_at.get_db_prep_save(_rate_window_start(now), connection)
        params += [author.sender.pk, since, cap, cap]
    return params


def insert_sql(connection: Any, limited: bool) -> str:
    return _insert_sql(connection.ops.quote_name, limited)


def inserted_message(
    author: Author, seq: int, client_id: str, body: str, now: dt.datetime, held: bool = False
) -> Message:
    """The Message just inserted, without reading it back."""
    message = Message(
        pk=seq,
        partnership=author.partnership,
        sender=author.sender,
        client_id=client_id,
        body=body,
        created_at=now,
        held=held,
    )
    message._state.adding = False
    message._state.db = router.db_for_write(Message)
    return message


@functools.cache
def _insert_sql(qn: Any, limited: bool) -> str:
    # PostgreSQL and SQLite (3.35+) both take INSERT ... SELECT ... ON CONFLICT ... RETURNING;
    # ON CONFLICT names the columns of the message_unique_client_id constraint.
    message, partnership, key = (qn(m._meta.db_table) for m in (Message, Partnership, ClientKey))
    under_limit = (
        f"AND (SELECT COUNT(*) FROM (SELECT 1 FROM {message} "  # noqa: S608 - as below
        "WHERE sender_id = %s AND created_at > %s LIMIT %s) AS recent) < %s "
    )
    return (
        f"INSERT INTO {message} "  # noqa: S608 - quoted model names only; values are params
        "(partnership_id, sender_id, client_id, body, created_at, held) "
        "SELECT %s, %s, %s, %s, %s, %s "
        f"WHERE EXISTS (SELECT 1 FROM {partnership} WHERE id = %s AND status = %s) "
        f"AND EXISTS (SELECT 1 FROM {key} WHERE id = %s AND destroyed_at IS NULL) "
        f"{under_limit if limited else ''}"
        "ON CONFLICT (partnership_id, client_id) DO NOTHING "
        "RETURNING id"
    )


def _not_inserted(
    author: Author, client_id: str, now: dt.datetime, limited: bool, held: bool = False
) -> Message | str | None:
    """Why the insert stored nothing: a retry (returns the stored message), an ended
    partnership or an erased client (raises), the abuse limit (returns HOLD: store it held),
    the ceiling on held messages (raises), or a data key replaced since the socket opened
    (reloads the client's current key and returns None: insert again)."""
    partnership = author.partnership
    existing = Message.objects.filter(partnership=partnership, client_id=client_id).first()
    if existing is not None:
        # A retry of a stored message (or the same id arriving at the same moment on another
        # socket): acknowledge it again, even over the limit; store and alert nothing new.
        return existing
    _check_open(partnership)
    if limited and _over_rate_limit(author, now, held):
        if not held:
            return HOLD
        raise ConversationError(
            "rate", _("You are sending messages very quickly. Please wait a moment and try again.")
        )
    try:
        author.reload_key()
    except keys.KeyDestroyed as exc:  # the client's data was erased: nothing more is written
        raise ConversationError(
            "ended", _("This conversation has ended; it can be read, not added to.")
        ) from exc
    return None


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
    _check_member(partnership, user)
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


# --- calls ------------------------------------------------------------------------------


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
