"""The conversation socket: live chat, typing, read receipts and call signalling.

One socket per open conversation page (`/ws/conversations/<partnership id>/`). Every frame
is a JSON object with a "type". Refused input gets `{"type": "error", "code", "message"}`
and leaves the socket open; only an unknown or forbidden conversation closes it (code
4404), or the end of the session that opened it (4401, after an error "session_ended"):
log-out, password change, deactivation, second-factor reset, expiry or idle time-out
(alliance/accounts/sockets.py). The session is re-checked every
`sockets.CHECK_EVERY_SECONDS`, off the message path; chatting or being in a call on the
socket counts as activity for the idle time-out, as a page request does.

Client → server: message {id, body} · sync {after} · typing · read {seq} ·
call.join {mode, location} · call.leave · signal {data} · call.state {audio, video}
Server → client: ready · ack {id, seq} · message · history {messages, more, read} · typing ·
read · crisis {html} · call.joined · call.refused · call.peer · signal · call.state · error
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from alliance.accounts import sockets
from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.care.queries import partnership_for
from alliance.conversations import (
    calls,
    fastpath,
    membership,
    messages,
    queries,
    reading,
    realtime,
    receipts,
    signalling,
    socket_access,
)
from alliance.conversations.db_threads import database_sync_to_async, in_db_thread
from alliance.core import nul
from alliance.core.crisis import resources_for_user

log = logging.getLogger(__name__)

# Frames larger than this are refused before parsing: a message at its longest plus JSON
# escaping, or a session description with many candidates.
MAX_FRAME_BYTES = 256 * 1024
# Frames a person sends (not the page's automatic sync and read marks): activity for the
# idle time-out.
ACTIVE_FRAMES = frozenset({"message", "typing", "call.join", "call.leave", "signal", "call.state"})
SESSION_ENDED = 4401
NOT_FOUND = 4404


def crisis_html(user: User, *, alerted: bool) -> str:
    # Sockets do not pass through LocaleMiddleware: the panel is in the client's own language.
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        return render_to_string(
            "includes/crisis_panel.html",
            {"resources": resources_for_user(user), "alerted": alerted},
        )


class ConversationConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    partnership: Partnership
    user: User
    author: membership.Author
    participant_id: int | None = None
    on_loop = False  # store plain messages from the event loop (fastpath.py)
    read_seq = 0  # the furthest read mark this socket has stored
    # The page has every message up to this seq (it said so in a sync, or a history reply
    # gave them): what it is sent again after the channel layer recovers. None until the
    # page first syncs (a call page never does, and is not sent history).
    complete_seq: int | None = None
    active = False  # a person sent a frame since the last session check
    ended = False  # closed by this side: nothing more goes out
    watcher: asyncio.Task[None] | None = None
    session_key: str | None = None

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        pk = int(self.scope["url_route"]["kwargs"]["pk"])
        session = self.scope.get("session")
        author = await in_db_thread(socket_access.open_author)(user, session, pk)
        if author is None:
            await self.send_error("not_found", _("No such conversation, or it is not yours."))
            await self.close(code=NOT_FOUND)
            return
        self.author, self.partnership, self.user = author, author.partnership, user
        self.session_key = session.session_key
        self.on_loop = fastpath.enabled()  # settings only: no database, no thread
        self.group = realtime.group_name(self.partnership.pk)
        # The conversation's group, and the two that end the socket with its session.
        self.joined = [
            self.group,
            sockets.session_group(self.session_key),
            sockets.user_group(user.pk),
        ]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.watcher = asyncio.ensure_future(self.watch_session())
        await self.send_json({"type": "ready", "user": user.pk, "partnership": self.partnership.pk})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # channels' own dispatch first runs close_old_connections through the one shared sync
        # thread, for every frame and every event: a thread round trip that queues all
        # sockets behind each other. This consumer never uses the database on the event loop;
        # its database work runs in `database_sync_to_async` threads, which close their own.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        if self.watcher is not None and self.watcher is not asyncio.current_task():
            self.watcher.cancel()
        await self.leave_groups()

    async def leave_groups(self) -> None:
        joined, self.joined = getattr(self, "joined", []), []
        if joined:
            await self.leave_call()
        for group in joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def send_json(self, content: Any, close: bool = False) -> None:
        if not self.ended:
            await super().send_json(content, close=close)

    async def end(self, code: str, message: str, close_code: int) -> None:
        """Close from this side: say why, leave the call and the groups, then close."""
        if self.ended:
            return
        self.ended = True  # first: an event handled meanwhile sends nothing after the error
        await super().send_json({"type": "error", "code": code, "message": message, "ref": None})
        await self.leave_groups()
        await self.close(code=close_code)

    async def end_session(self) -> None:
        await self.end(
            "session_ended", _("Your session has ended. Log in again to go on."), SESSION_ENDED
        )

    async def end_not_found(self) -> None:
        await self.end("not_found", _("No such conversation, or it is not yours."), NOT_FOUND)

    # --- the session behind the socket ------------------------------------------------

    async def watch_session(self) -> None:
        """Re-check the session now and then: what ends it with no event to send (its expiry,
        the idle time-out) closes the socket within `sockets.CHECK_EVERY_SECONDS`."""
        # Spread out, so sockets opened together are not all checked at the same moment.
        await asyncio.sleep(sockets.CHECK_EVERY_SECONDS * random.uniform(0.5, 1.0))
        while not self.ended:
            active = self.active or self.participant_id is not None
            self.active = False
            try:
                verdict = await database_sync_to_async(self._check_session)(active)
            except Exception:  # the database did not answer: try again at the next check
                log.exception("could not check a socket's session")
                verdict = None
            if verdict == "session_ended":
                await self.end_session()
                return
            if verdict == "not_found":
                await self.end_not_found()
                return
            await asyncio.sleep(sockets.CHECK_EVERY_SECONDS)

    def _check_session(self, active: bool) -> str | None:
        live = sockets.session_user(self.session_key)
        if live is None or live.user.pk != self.user.pk:
            return "session_ended"
        # Access may have ended too (a switch), as the sync's check finds.
        if socket_access.partnership_of(live.user, self.partnership.pk) is None:
            return "not_found"
        if active and self.session_key and not sockets.keep_alive(self.session_key):
            return "session_ended"
        return None

    async def session_end(self, event: dict[str, Any]) -> None:
        # Sent by what ended the session (log-out, password change, ...): sockets.py.
        await self.end_session()

    async def layer_recovered(self, event: dict[str, Any]) -> None:
        # The channel layer was cut off from Redis (layers.py), so live events may be
        # missing: a page that syncs gets again everything after what it is known to have.
        if self.ended or self.complete_seq is None:
            return
        await self.send_history(self.complete_seq)

    async def publish(self, event: dict[str, Any]) -> None:
        """To the conversation's other sockets. A channel-layer failure is logged, not
        raised: the message is stored, and the partner's page catches up from the database
        (the layer recovers and tells its sockets, and pages sync after every reconnect)."""
        try:
            await self.channel_layer.group_send(self.group, event)
        except Exception:
            log.exception("could not publish %s", event.get("type"))

    # --- input ------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not getattr(self, "group", None) or self.ended:
            return
        if text_data is None:
            await self.send_error("bad_frame", _("Frames are JSON text."))
            return
        if len(text_data.encode("utf-8")) > MAX_FRAME_BYTES:
            await self.send_error("too_large", _("That was too large to send."))
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("bad_json", _("That was not valid JSON."))
            return
        if not isinstance(content, dict):
            await self.send_error("bad_json", _("Each frame is a JSON object with a type."))
            return
        # A JSON escape can carry what the HTTP middleware refuses (a NUL, a lone surrogate):
        # refused here the same way, before anything is stored or encrypted.
        hostile = nul.hostile_value(content)
        if hostile:
            await self.send_error("bad_text", nul.message_for(hostile), content.get("ref"))
            return
        kind = content.get("type")
        handler = self.HANDLERS.get(kind)  # type: ignore[arg-type]
        if handler is None:
            await self.send_error("bad_type", _("Unknown frame type."))
            return
        if kind in ACTIVE_FRAMES:
            self.active = True
        try:
            await handler(self, content)
        except calls.CallRefused as exc:
            await self.send_json(
                {
                    "type": "call.refused",
                    "code": exc.code,
                    "message": str(exc),
                    "reschedule_url": exc.reschedule_url,
                }
            )
        except membership.ConversationError as exc:
            await self.send_error(exc.code, str(exc), ref=content.get("id"))

    async def on_message(self, content: dict[str, Any]) -> None:
        posted = None
        if self.on_loop:  # the common case without a thread hop (fastpath.py)
            posted = await fastpath.post(
                author=self.author, client_id=content.get("id"), body=content.get("body")
            )
        if posted is None:
            posted = await in_db_thread(messages.post_message)(
                partnership=self.partnership,
                sender=self.user,
                client_id=content.get("id"),
                body=content.get("body"),
                author=self.author,
                announce=False,
            )
        message = posted.message
        # Sent only now that the service has committed: an ack means stored.
        await self.send_json(
            {
                "type": "ack",
                "id": message.client_id,
                "seq": message.pk,
                "created_at": message.created_at.isoformat(),
                "duplicate": not posted.created,
                "held": posted.held,
            }
        )
        if posted.created and posted.held:
            # Over the abuse limit: the other pages hear only that a message is waiting, and
            # collect it with the rest at their next catch-up (messages.HOLD).
            await self.publish(
                {
                    "type": "chat.held",
                    "seq": message.pk,
                    "user": self.user.pk,
                    "exclude": self.channel_name,
                }
            )
        elif posted.created:
            # To the conversation's other sockets (the partner's, the sender's other tabs),
            # from here rather than on commit in the database thread: no hop back to this
            # loop. This socket already has the ack, which carries the same seq and time.
            await self.publish(
                {
                    "type": "chat.message",
                    "message": messages.message_payload(message, self.author.sender_name),
                    "exclude": self.channel_name,
                }
            )
        if posted.crisis_phrases:
            html = await database_sync_to_async(crisis_html)(self.user, alerted=posted.alerted)
            await self.send_json({"type": "crisis", "html": html, "alerted": posted.alerted})

    async def on_sync(self, content: dict[str, Any]) -> None:
        after = content.get("after", 0)
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise membership.ConversationError(
                "bad_seq", _("sync needs the last message number seen.")
            )
        self.complete_seq = max(self.complete_seq or 0, after)
        await self.send_history(after)

    async def send_history(self, after: int) -> None:
        history = await database_sync_to_async(self._history)(after)
        if history is None:
            await self.end_not_found()
            return
        if history["messages"]:
            # Oldest first: the page now has everything up to the last one.
            self.complete_seq = max(self.complete_seq or 0, history["messages"][-1]["seq"])
        await self.send_json(history)

    def _history(self, after: int) -> dict[str, Any] | None:
        # Access is checked again: it may have ended since the socket opened (a switch ends
        # the former therapist's access to the conversation, as the page's 404 does).
        try:
            partnership_for(self.user, self.partnership.pk)
        except Http404:
            return None
        # The page opened the conversation (and was audited); a sync re-reads it, so it is
        # audited as a refresh: once per window, not per sync or message.
        reading.audit_reading(self.user, self.partnership, refresh=True)
        found = queries.messages_after(self.partnership, after)
        names = {
            self.partnership.client_id: self.partnership.client.name,
            self.partnership.therapist_id: self.partnership.therapist.name,
        }
        return {
            "type": "history",
            "messages": [messages.message_payload(m, names.get(m.sender_id, "")) for m in found],
            "more": len(found) == queries.HISTORY_BATCH,
            "read": {str(k): v for k, v in queries.read_marks(self.partnership).items()},
        }

    async def on_typing(self, content: dict[str, Any]) -> None:
        await self.publish(
            {"type": "chat.typing", "user": self.user.pk, "exclude": self.channel_name}
        )

    async def on_read(self, content: dict[str, Any]) -> None:
        seq = content.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= self.read_seq:
            return  # this socket already stored a mark at least this far; marks never go back
        mark = await in_db_thread(receipts.record_read)(
            partnership=self.partnership, user=self.user, seq=seq, announce=False
        )
        self.read_seq = max(self.read_seq, mark.seq)
        if mark.moved:
            await self.publish({"type": "chat.read", "user": self.user.pk, "seq": mark.seq})

    async def on_call_join(self, content: dict[str, Any]) -> None:
        await self.leave_call()
        participant = await database_sync_to_async(calls.join_call)(
            partnership=self.partnership,
            user=self.user,
            mode=content.get("mode"),
            location=content.get("location"),
            channel_name=self.channel_name,
        )
        self.participant_id = participant.pk
        others = await database_sync_to_async(
            lambda: (
                participant.call.participants.filter(left_at__isnull=True)
                .exclude(pk=participant.pk)
                .count()
            )
        )()
        await self.send_json(
            {
                "type": "call.joined",
                "call": participant.call_id,
                "mode": participant.call.mode,
                "others": others,
                "ice_servers": json.loads(settings.ICE_SERVERS_JSON),
            }
        )
        await self.publish(
            {
                "type": "call.peer",
                "event": "joined",
                "user": self.user.pk,
                "exclude": self.channel_name,
            }
        )

    async def on_call_leave(self, content: dict[str, Any]) -> None:
        await self.leave_call()
        await self.send_json({"type": "call.left"})

    async def leave_call(self) -> None:
        if self.participant_id is None:
            return
        participant_id, self.participant_id = self.participant_id, None
        await database_sync_to_async(calls.leave_call)(participant_id=participant_id)
        await self.publish(
            {
                "type": "call.peer",
                "event": "left",
                "user": self.user.pk,
                "exclude": self.channel_name,
            }
        )

    async def on_signal(self, content: dict[str, Any]) -> None:
        if self.participant_id is None:
            raise membership.ConversationError(
                "not_in_call", _("Join the call before sending call signals.")
            )
        data = signalling.clean(content.get("data"))
        await self.publish(
            {
                "type": "call.signal",
                "data": data,
                "user": self.user.pk,
                "exclude": self.channel_name,
            }
        )

    async def on_call_state(self, content: dict[str, Any]) -> None:
        if self.participant_id is None:
            raise membership.ConversationError("not_in_call", _("Join the call first."))
        state = {k: bool(content.get(k)) for k in ("audio", "video")}
        await self.publish(
            {"type": "call.state", **state, "user": self.user.pk, "exclude": self.channel_name}
        )

    HANDLERS = {
        "message": on_message,
        "sync": on_sync,
        "typing": on_typing,
        "read": on_read,
        "call.join": on_call_join,
        "call.leave": on_call_leave,
        "signal": on_signal,
        "call.state": on_call_state,
    }

    # --- events from the channel layer --------------------------------------------------

    async def send_error(self, code: str, message: str, ref: Any = None) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, "ref": ref})

    async def chat_message(self, event: dict[str, Any]) -> None:
        if event.get("exclude") != self.channel_name:
            await self.send_json({"type": "message", **event["message"]})

    async def chat_held(self, event: dict[str, Any]) -> None:
        if event.get("exclude") != self.channel_name:
            await self.send_json({"type": "held", "seq": event["seq"], "user": event["user"]})

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event.get("exclude") != self.channel_name:
            await self.send_json({"type": "typing", "user": event["user"]})

    async def chat_read(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "read", "user": event["user"], "seq": event["seq"]})

    async def call_peer(self, event: dict[str, Any]) -> None:
        if event.get("exclude") != self.channel_name and self.participant_id is not None:
            await self.send_json(
                {"type": "call.peer", "event": event["event"], "user": event["user"]}
            )

    async def call_signal(self, event: dict[str, Any]) -> None:
        # Only sockets in the call take signals; the chat page's socket ignores them.
        if event.get("exclude") != self.channel_name and self.participant_id is not None:
            await self.send_json({"type": "signal", "data": event["data"], "user": event["user"]})

    async def call_state(self, event: dict[str, Any]) -> None:
        if event.get("exclude") != self.channel_name and self.participant_id is not None:
            await self.send_json(
                {
                    "type": "call.state",
                    "audio": event["audio"],
                    "video": event["video"],
                    "user": event["user"],
                }
            )
