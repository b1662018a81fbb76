"""Storing a message, once per client id, with what must follow it.

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
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.checkins import safety
from alliance.conversations import realtime
from alliance.conversations.followups import follow_ups, follow_ups_due, mark_covered
from alliance.conversations.membership import (
    Author,
    ConversationError,
    author_for,
    check_member,
    check_open,
)
from alliance.conversations.models import Message
from alliance.privacy import keys
from alliance.privacy.models import ClientKey

CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # fullmatch: "$" would let a newline end it


@dataclass(frozen=True)
class Posted:
    message: Message
    created: bool
    crisis_phrases: tuple[str, ...]
    alerted: bool
    held: bool = False  # stored over the abuse limit: not pushed live (see HOLD)


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
    check_member(partnership, sender)
    client_id, body = clean_message(client_id=client_id, body=body)
    if author is None:
        author = author_for(partnership=partnership, sender=sender)
    phrases = tuple(safety.crisis_phrases(body)) if author.is_client else ()
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
            # In the message's transaction: the therapist and on-call are told on commit.
            safety.raise_safety_alert(
                client=partnership.client,
                partnership=partnership,
                source="message",
                evidence={"message_id": seq, "phrases": list(phrases)},
            )
            alerted = True
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
    check_open(partnership)
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
