"""The conversation socket: chat, idempotency, resync, typing, read receipts, bad input and
access, and call signalling."""

from __future__ import annotations

import json

import pytest

from alliance.conversations.models import CallParticipant, CallSession, Message
from tests.conversations.conftest import new_id, open_socket, receive_until

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def count_messages() -> int:
    from channels.db import database_sync_to_async

    return await database_sync_to_async(Message.objects.count)()


async def test_message_reaches_partner_and_is_acknowledged_after_storing(partnership, cookies):
    # given
    client = await open_socket(cookies["client"], partnership.pk)
    therapist = await open_socket(cookies["therapist"], partnership.pk)
    await receive_until(client, "ready")
    await receive_until(therapist, "ready")
    mid = new_id()
    # when
    await client.send_json_to({"type": "message", "id": mid, "body": "Hello there"})
    # then
    ack = await receive_until(client, "ack")
    assert ack["id"] == mid and ack["duplicate"] is False
    stored = await count_messages()
    assert stored == 1
    got = await receive_until(therapist, "message")
    assert got["body"] == "Hello there" and got["seq"] == ack["seq"] and got["id"] == mid
    await client.disconnect()
    await therapist.disconnect()


async def test_resending_the_same_id_stores_once_and_acks_again(partnership, cookies):
    client = await open_socket(cookies["client"], partnership.pk)
    await receive_until(client, "ready")
    mid = new_id()
    for _ in range(3):
        await client.send_json_to({"type": "message", "id": mid, "body": "Only once"})
    acks = [await receive_until(client, "ack") for _ in range(3)]
    assert {a["seq"] for a in acks} == {acks[0]["seq"]}
    assert [a["duplicate"] for a in acks] == [False, True, True]
    assert await count_messages() == 1
    await client.disconnect()


async def test_sync_after_reconnect_returns_only_what_was_missed(partnership, cookies):
    therapist = await open_socket(cookies["therapist"], partnership.pk)
    await receive_until(therapist, "ready")
    seqs = []
    for text in ["one", "two", "three"]:
        await therapist.send_json_to({"type": "message", "id": new_id(), "body": text})
        seqs.append((await receive_until(therapist, "ack"))["seq"])
    client = await open_socket(cookies["client"], partnership.pk)
    await receive_until(client, "ready")
    await client.send_json_to({"type": "sync", "after": seqs[0]})
    history = await receive_until(client, "history")
    assert [m["body"] for m in history["messages"]] == ["two", "three"]
    assert history["more"] is False
    await client.disconnect()
    await therapist.disconnect()


async def test_typing_goes_to_the_partner_only(partnership, cookies, client_user):
    client = await open_socket(cookies["client"], partnership.pk)
    therapist = await open_socket(cookies["therapist"], partnership.pk)
    await receive_until(client, "ready")
    await receive_until(therapist, "ready")
    await client.send_json_to({"type": "typing"})
    assert (await receive_until(therapist, "typing"))["user"] == client_user.pk
    assert await client.receive_nothing(timeout=0.2)
    await client.disconnect()
    await therapist.disconnect()


async def test_read_receipt_reaches_the_sender(partnership, cookies, their_therapist):
    client = await open_socket(cookies["client"], partnership.pk)
    therapist = await open_socket(cookies["therapist"], partnership.pk)
    await receive_until(client, "ready")
    await receive_until(therapist, "ready")
    await client.send_json_to({"type": "message", "id": new_id(), "body": "Did you see?"})
    seq = (await receive_until(client, "ack"))["seq"]
    await therapist.send_json_to({"type": "read", "seq": seq})
    receipt = await receive_until(client, "read")
    assert receipt == {"type": "read", "user": their_therapist.pk, "seq": seq}
    await client.disconnect()
    await therapist.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        (json.dumps({"type": "nonsense"}), "bad_type"),
        (json.dumps({"type": "message", "id": "short", "body": "hi"}), "bad_id"),
        (json.dumps({"type": "message", "id": "a" * 20, "body": "   "}), "empty"),
        (json.dumps({"type": "message", "id": "a" * 20, "body": "x" * 10_001}), "too_long"),
        (json.dumps({"type": "message", "id": "a" * 20, "body": "x" * 300_000}), "too_large"),
        (json.dumps({"type": "sync", "after": "yesterday"}), "bad_seq"),
        (json.dumps({"type": "read", "seq": -1}), "bad_seq"),
        (json.dumps({"type": "signal", "data": {"candidate": None}}), "not_in_call"),
    ],
)
async def test_bad_input_is_refused_clearly_stores_nothing_and_socket_stays_usable(
    partnership, cookies, frame, code
):
    client = await open_socket(cookies["client"], partnership.pk)
    await receive_until(client, "ready")
    await client.send_to(text_data=frame)
    error = await receive_until(client, "error")
    assert error["code"] == code and error["message"]
    assert await count_messages() == 0
    # the same socket still works
    await client.send_json_to({"type": "message", "id": new_id(), "body": "still here"})
    assert (await receive_until(client, "ack"))["seq"]
    await client.disconnect()


@pytest.mark.parametrize("who", ["other", "admin", None])
async def test_strangers_cannot_open_the_conversation(partnership, cookies, who):
    socket = await open_socket(cookies[who] if who else None, partnership.pk)
    error = await receive_until(socket, "error")
    assert error["code"] == "not_found"
    closed = await socket.receive_output(timeout=1)
    assert closed["type"] == "websocket.close" and closed["code"] == 4404


async def test_unknown_partnership_is_refused(partnership, cookies):
    socket = await open_socket(cookies["client"], partnership.pk + 999)
    assert (await receive_until(socket, "error"))["code"] == "not_found"


async def test_therapist_without_second_factor_is_refused(partnership, their_therapist):
    from channels.db import database_sync_to_async
    from django.test import Client

    def cookie() -> str:
        browser = Client()
        browser.force_login(their_therapist, backend="django.contrib.auth.backends.ModelBackend")
        return f"sessionid={browser.cookies['sessionid'].value}"

    socket = await open_socket(await database_sync_to_async(cookie)(), partnership.pk)
    assert (await receive_until(socket, "error"))["code"] == "not_found"


async def test_call_signals_relay_between_the_two_people_in_the_call(
    partnership, cookies, client_user
):
    client = await open_socket(cookies["client"], partnership.pk)
    therapist = await open_socket(cookies["therapist"], partnership.pk)
    await receive_until(client, "ready")
    await receive_until(therapist, "ready")
    await therapist.send_json_to({"type": "call.join", "mode": "video"})
    joined = await receive_until(therapist, "call.joined")
    assert joined["others"] == 0 and joined["mode"] == "video"
    await client.send_json_to({"type": "call.join", "mode": "video", "location": "US-NY"})
    assert (await receive_until(client, "call.joined"))["others"] == 1
    assert (await receive_until(therapist, "call.peer"))["event"] == "joined"
    offer = {"description": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}
    await client.send_json_to({"type": "signal", "data": offer})
    relayed = await receive_until(therapist, "signal")
    assert relayed["data"] == offer and relayed["user"] == client_user.pk
    # malformed signalling is refused and not relayed
    await therapist.send_json_to({"type": "signal", "data": {"description": {"type": "hello"}}})
    assert (await receive_until(therapist, "error"))["code"] == "bad_signal"
    pending = []
    while not await client.receive_nothing(timeout=0.2):
        pending.append((await client.receive_json_from())["type"])
    assert "signal" not in pending, pending
    await client.send_json_to({"type": "call.leave"})
    await receive_until(client, "call.left")
    await therapist.disconnect()

    from channels.db import database_sync_to_async

    def attendance():
        call = CallSession.objects.get()
        rows = CallParticipant.objects.select_related("user", "jurisdiction")
        return call.ended_at is not None, [
            (p.user.role, p.jurisdiction.code if p.jurisdiction else None, p.left_at is not None)
            for p in rows
        ]

    ended, rows = await database_sync_to_async(attendance)()
    assert ended
    assert rows == [("therapist", None, True), ("client", "US-NY", True)]
    await client.disconnect()


async def test_call_refused_where_the_therapist_is_not_licensed(partnership, cookies):
    from channels.db import database_sync_to_async

    from alliance.directory.models import Jurisdiction

    await database_sync_to_async(Jurisdiction.objects.create)(
        code="US-CA", name="California", country="US", default_timezone="America/Los_Angeles"
    )
    client = await open_socket(cookies["client"], partnership.pk)
    await receive_until(client, "ready")
    await client.send_json_to({"type": "call.join", "mode": "video", "location": "US-CA"})
    refused = await receive_until(client, "call.refused")
    assert refused["code"] == "not_licensed" and "California" in refused["message"]
    assert await database_sync_to_async(CallSession.objects.count)() == 0
    # a client must say where they are
    await client.send_json_to({"type": "call.join", "mode": "video"})
    assert (await receive_until(client, "call.refused"))["code"] == "bad_location"
    await client.disconnect()


async def test_crisis_language_over_the_socket_shows_the_panel_at_once(
    partnership, cookies, on_call_therapist
):
    from channels.db import database_sync_to_async

    from alliance.checkins.models import Alert

    client = await open_socket(cookies["client"], partnership.pk)
    await receive_until(client, "ready")
    await client.send_json_to({"type": "message", "id": new_id(), "body": "I want to kill myself"})
    ack = await receive_until(client, "ack")
    crisis = await receive_until(client, "crisis")
    assert crisis["alerted"] is True
    assert (
        "988 Suicide &amp; Crisis Lifeline" in crisis["html"] and 'role="alert"' in crisis["html"]
    )
    alert = await database_sync_to_async(Alert.objects.get)(kind="safety")
    assert alert.evidence[0]["message_id"] == ack["seq"]
    await client.disconnect()


@pytest.mark.parametrize("escaped", ["\\ud800", "\\u0000"])
async def test_a_lone_surrogate_or_nul_in_a_frame_is_refused_and_nothing_stored(
    partnership, cookies, escaped
):
    client = await open_socket(cookies["client"], partnership.pk)
    await receive_until(client, "ready")
    frame = '{"type": "message", "id": "' + new_id() + '", "body": "hi ' + escaped + '"}'
    await client.send_to(text_data=frame)
    error = await receive_until(client, "error")
    assert error["code"] == "bad_text"
    assert await count_messages() == 0
    # the socket stays usable
    mid = new_id()
    await client.send_json_to({"type": "message", "id": mid, "body": "Hello"})
    assert (await receive_until(client, "ack"))["id"] == mid
    await client.disconnect()


async def test_over_the_limit_a_message_is_held_and_the_partner_collects_it(
    settings, partnership, cookies
):
    settings.CONVERSATION_MESSAGES_PER_MINUTE = 1
    client = await open_socket(cookies["client"], partnership.pk)
    therapist = await open_socket(cookies["therapist"], partnership.pk)
    await receive_until(client, "ready")
    await receive_until(therapist, "ready")
    await client.send_json_to({"type": "message", "id": new_id(), "body": "first"})
    first = await receive_until(client, "ack")
    assert first["held"] is False
    assert (await receive_until(therapist, "message"))["body"] == "first"
    mid = new_id()
    await client.send_json_to({"type": "message", "id": mid, "body": "second, quickly"})
    ack = await receive_until(client, "ack")
    assert ack["id"] == mid and ack["held"] is True and await count_messages() == 2
    # The partner hears only the number; the words come with the catch-up, marked held.
    notice = await receive_until(therapist, "held")
    assert notice == {"type": "held", "seq": ack["seq"], "user": notice["user"]}
    await therapist.send_json_to({"type": "sync", "after": first["seq"]})
    history = await receive_until(therapist, "history")
    assert [(m["body"], m["held"]) for m in history["messages"]] == [("second, quickly", True)]
    await client.disconnect()
    await therapist.disconnect()
