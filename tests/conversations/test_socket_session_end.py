"""A conversation socket ends with the session that opened it (HIPAA §164.312(a)(2)(iii),
automatic logoff): log-out closes that session's sockets only; a password change, a
deactivation and a second-factor reset close every session of the person; the session's
expiry and its idle time-out close them by the socket's own check. Chatting on the socket
counts as activity, as a page request does; the message path never checks the session."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session
from django.utils import timezone

from alliance.accounts import sockets
from tests.conftest import logged_in
from tests.conversations.conftest import new_id, open_socket, receive_until

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _url_conf_loaded():
    from django.urls import reverse

    reverse("conversations:inbox")  # loaded now, not inside a timed receive


async def browser_of(user):
    """A logged-in browser (second factor done for staff) and its Cookie header."""
    browser = await database_sync_to_async(logged_in)(user)
    return browser, f"sessionid={browser.cookies['sessionid'].value}"


async def connected(cookie: str, pk: int):
    socket = await open_socket(cookie, pk)
    await receive_until(socket, "ready")
    return socket


async def assert_closed_for_session(socket, timeout: float = 3) -> None:
    error = await receive_until(socket, "error", timeout=timeout)
    assert error["code"] == "session_ended"
    assert await socket.receive_output(timeout=timeout) == {
        "type": "websocket.close",
        "code": 4401,
    }


async def assert_still_open(socket) -> None:
    # Nothing arrives, and the socket still stores and acknowledges a message.
    assert await socket.receive_nothing(timeout=0.3)
    mid = new_id()
    await socket.send_json_to({"type": "message", "id": mid, "body": "still here"})
    assert (await receive_until(socket, "ack"))["id"] == mid


@pytest.fixture
def check_often(monkeypatch):
    monkeypatch.setattr(sockets, "CHECK_EVERY_SECONDS", 0.2)


# --- what sends an end ------------------------------------------------------------------


async def test_log_out_closes_that_sessions_sockets_at_once_and_no_other(
    partnership, client_user, their_therapist
):
    # given the client in two browsers, and their therapist
    laptop, laptop_cookie = await browser_of(client_user)
    _phone, phone_cookie = await browser_of(client_user)
    _office, therapist_cookie = await browser_of(their_therapist)
    on_laptop = await connected(laptop_cookie, partnership.pk)
    on_laptop_too = await connected(laptop_cookie, partnership.pk)  # a second tab
    on_phone = await connected(phone_cookie, partnership.pk)
    therapist = await connected(therapist_cookie, partnership.pk)
    # when the client logs out on the laptop (the timer is 30 s: only the event can close it)
    response = await database_sync_to_async(laptop.post)("/account/log-out/")
    assert response.status_code == 302
    # then both laptop tabs close within seconds
    await assert_closed_for_session(on_laptop)
    await assert_closed_for_session(on_laptop_too)
    # and the phone and the therapist stay connected
    await assert_still_open(on_phone)
    assert (await receive_until(therapist, "message"))["body"] == "still here"
    await assert_still_open(therapist)
    for socket in (on_laptop, on_laptop_too, on_phone, therapist):
        await socket.disconnect()


async def test_a_closed_socket_neither_posts_nor_reads(partnership, client_user, their_therapist):
    laptop, cookie = await browser_of(client_user)
    _office, therapist_cookie = await browser_of(their_therapist)
    socket = await connected(cookie, partnership.pk)
    therapist = await connected(therapist_cookie, partnership.pk)
    await database_sync_to_async(laptop.post)("/account/log-out/")
    await assert_closed_for_session(socket)
    # frames still in flight after the close are ignored: nothing stored, nothing sent
    await socket.send_json_to({"type": "message", "id": new_id(), "body": "after log-out"})
    await socket.send_json_to({"type": "sync", "after": 0})
    assert await socket.receive_nothing(timeout=0.5)
    from alliance.conversations.models import Message

    assert await database_sync_to_async(Message.objects.count)() == 0
    # nor do the partner's messages reach it
    await therapist.send_json_to({"type": "message", "id": new_id(), "body": "hello?"})
    await receive_until(therapist, "ack")
    assert await socket.receive_nothing(timeout=0.5)
    # and opening it again with the old cookie is refused
    again = await open_socket(cookie, partnership.pk)
    assert (await receive_until(again, "error"))["code"] == "not_found"
    await socket.disconnect()
    await therapist.disconnect()


async def test_log_out_ends_a_call_on_that_socket(partnership, client_user, their_therapist):
    laptop, client_cookie = await browser_of(client_user)
    _office, therapist_cookie = await browser_of(their_therapist)
    therapist = await connected(therapist_cookie, partnership.pk)
    client = await connected(client_cookie, partnership.pk)
    await therapist.send_json_to({"type": "call.join", "mode": "video"})
    await receive_until(therapist, "call.joined")
    await client.send_json_to({"type": "call.join", "mode": "video", "location": "US-NY"})
    await receive_until(client, "call.joined")
    assert (await receive_until(therapist, "call.peer"))["event"] == "joined"
    await database_sync_to_async(laptop.post)("/account/log-out/")
    await assert_closed_for_session(client)
    # the call signalling socket left the call: the therapist is told at once
    peer = await receive_until(therapist, "call.peer")
    assert peer["event"] == "left" and peer["user"] == client_user.pk
    from alliance.conversations.models import CallParticipant

    open_seats = CallParticipant.objects.filter(user=client_user, left_at__isnull=True)
    assert not await database_sync_to_async(open_seats.exists)()
    await client.disconnect()
    await therapist.disconnect()


async def test_a_password_change_closes_every_session_of_that_person(
    partnership, client_user, their_therapist
):
    from django.contrib.auth.tokens import default_token_generator
    from django.test import Client
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    _laptop, laptop_cookie = await browser_of(client_user)
    _phone, phone_cookie = await browser_of(client_user)
    _office, therapist_cookie = await browser_of(their_therapist)
    sockets_of_client = [
        await connected(laptop_cookie, partnership.pk),
        await connected(phone_cookie, partnership.pk),
    ]
    therapist = await connected(therapist_cookie, partnership.pk)

    # when the password is changed through the reset form (the product's way to change it)
    def change_password() -> int:
        uid = urlsafe_base64_encode(force_bytes(client_user.pk))
        token = default_token_generator.make_token(client_user)
        browser = Client()
        form = browser.get(f"/account/password/reset/{uid}/{token}/", follow=True)
        done = browser.post(
            form.redirect_chain[-1][0],
            {
                "new_password1": "a new long passphrase 42",
                "new_password2": "a new long passphrase 42",
            },
        )
        return done.status_code

    assert await database_sync_to_async(change_password)() == 302
    # then every session of the client closes; the therapist's does not
    for socket in sockets_of_client:
        await assert_closed_for_session(socket)
    await assert_still_open(therapist)
    for socket in [*sockets_of_client, therapist]:
        await socket.disconnect()


async def test_deactivation_closes_every_session_of_that_person(
    partnership, client_user, their_therapist
):
    _office, cookie = await browser_of(their_therapist)
    _home, other_cookie = await browser_of(their_therapist)
    _laptop, client_cookie = await browser_of(client_user)
    therapist_sockets = [
        await connected(cookie, partnership.pk),
        await connected(other_cookie, partnership.pk),
    ]
    client = await connected(client_cookie, partnership.pk)

    def deactivate() -> None:
        their_therapist.is_active = False
        their_therapist.save(update_fields=["is_active"])

    await database_sync_to_async(deactivate)()
    for socket in therapist_sockets:
        await assert_closed_for_session(socket)
    await assert_still_open(client)
    for socket in [*therapist_sockets, client]:
        await socket.disconnect()


@pytest.mark.parametrize("reset", ["deleted", "unconfirmed"])
async def test_a_second_factor_reset_closes_every_session_of_that_person(
    reset, partnership, client_user, their_therapist
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _office, cookie = await browser_of(their_therapist)
    _home, other_cookie = await browser_of(their_therapist)
    _laptop, client_cookie = await browser_of(client_user)
    therapist_sockets = [
        await connected(cookie, partnership.pk),
        await connected(other_cookie, partnership.pk),
    ]
    client = await connected(client_cookie, partnership.pk)

    def reset_second_factor() -> None:
        for device in TOTPDevice.objects.filter(user=their_therapist):
            if reset == "deleted":
                device.delete()
            else:
                device.confirmed = False
                device.save()

    await database_sync_to_async(reset_second_factor)()
    for socket in therapist_sockets:
        await assert_closed_for_session(socket)
    await assert_still_open(client)
    for socket in [*therapist_sockets, client]:
        await socket.disconnect()


# --- what the socket's own check finds ---------------------------------------------------


async def test_an_expired_session_closes_its_sockets_by_the_check(
    check_often, partnership, client_user
):
    _laptop, cookie = await browser_of(client_user)
    _phone, phone_cookie = await browser_of(client_user)
    socket = await connected(cookie, partnership.pk)
    on_phone = await connected(phone_cookie, partnership.pk)
    key = cookie.split("=", 1)[1]
    past = timezone.now() - dt.timedelta(seconds=1)
    await database_sync_to_async(Session.objects.filter(session_key=key).update)(expire_date=past)
    await assert_closed_for_session(socket)
    await assert_still_open(on_phone)
    await socket.disconnect()
    await on_phone.disconnect()


async def test_a_deleted_session_closes_its_sockets_by_the_check(
    check_often, partnership, client_user
):
    # As `clearsessions` or a flush straight in the store would: nothing sent an event.
    _laptop, cookie = await browser_of(client_user)
    socket = await connected(cookie, partnership.pk)
    key = cookie.split("=", 1)[1]
    await database_sync_to_async(Session.objects.filter(session_key=key).delete)()
    await assert_closed_for_session(socket)
    await socket.disconnect()


async def test_the_idle_time_out_closes_an_idle_socket_and_chatting_keeps_a_session(
    check_often, settings, partnership, client_user
):
    # given a 2-second idle time-out and two sessions of the client
    settings.SESSION_COOKIE_AGE = 2
    _laptop, idle_cookie = await browser_of(client_user)
    _phone, busy_cookie = await browser_of(client_user)
    idle = await connected(idle_cookie, partnership.pk)
    busy = await connected(busy_cookie, partnership.pk)
    busy_key = busy_cookie.split("=", 1)[1]
    started = await database_sync_to_async(
        lambda: Session.objects.get(session_key=busy_key).expire_date
    )()

    # when one is left alone and the other types and writes for 4 seconds
    async def chat() -> None:
        for i in range(10):
            await busy.send_json_to({"type": "typing"})
            if i % 3 == 0:
                await busy.send_json_to({"type": "message", "id": new_id(), "body": f"{i}"})
                await receive_until(busy, "ack")
            await asyncio.sleep(0.4)

    async def idle_closes() -> None:
        await assert_closed_for_session(idle, timeout=6)

    await asyncio.gather(chat(), idle_closes())
    # then the idle one was closed and the busy one is open, its session pushed forward
    await assert_still_open(busy)
    moved = await database_sync_to_async(
        lambda: Session.objects.get(session_key=busy_key).expire_date
    )()
    assert moved > started + dt.timedelta(seconds=2)
    await idle.disconnect()
    await busy.disconnect()


async def test_a_socket_in_a_call_is_not_idle(
    check_often, settings, partnership, client_user, their_therapist
):
    settings.SESSION_COOKIE_AGE = 1
    _laptop, cookie = await browser_of(client_user)
    socket = await connected(cookie, partnership.pk)
    await socket.send_json_to({"type": "call.join", "mode": "audio", "location": "US-NY"})
    await receive_until(socket, "call.joined")
    # three idle time-outs pass without a frame: a person in a call is there
    assert await socket.receive_nothing(timeout=3)
    await socket.send_json_to({"type": "call.leave"})
    assert (await receive_until(socket, "call.left"))["type"] == "call.left"
    await assert_closed_for_session(socket, timeout=4)  # and idle once out of it
    await socket.disconnect()


async def test_a_password_or_status_changed_without_any_event_is_found_by_the_check(
    check_often, partnership, client_user, their_therapist
):
    # A raw UPDATE sends no signal: the check compares the session's password hash and the
    # user's status with the database.
    from django.contrib.auth.hashers import make_password

    from alliance.accounts.models import User

    _laptop, client_cookie = await browser_of(client_user)
    _office, therapist_cookie = await browser_of(their_therapist)
    client = await connected(client_cookie, partnership.pk)
    therapist = await connected(therapist_cookie, partnership.pk)
    await database_sync_to_async(User.objects.filter(pk=client_user.pk).update)(
        password=make_password("changed behind its back")
    )
    await assert_closed_for_session(client)
    await database_sync_to_async(User.objects.filter(pk=their_therapist.pk).update)(is_active=False)
    await assert_closed_for_session(therapist)
    await client.disconnect()
    await therapist.disconnect()


async def test_a_second_factor_gone_without_an_event_is_found_by_the_check(
    check_often, partnership, their_therapist
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _office, cookie = await browser_of(their_therapist)
    socket = await connected(cookie, partnership.pk)
    await database_sync_to_async(TOTPDevice.objects.filter(user=their_therapist).delete)()
    await assert_closed_for_session(socket)
    await socket.disconnect()


async def test_an_ended_partnership_is_found_by_the_check(
    check_often, partnership, client_user, their_therapist
):
    from alliance.care import switching

    _office, cookie = await browser_of(their_therapist)
    socket = await connected(cookie, partnership.pk)
    await database_sync_to_async(switching.switch_therapist)(
        partnership=partnership, reason="bond", consent_handoff=False
    )
    assert (await receive_until(socket, "error"))["code"] == "not_found"
    assert (await socket.receive_output(timeout=3))["code"] == 4404
    await socket.disconnect()


# --- what it costs ----------------------------------------------------------------------


async def test_the_message_path_does_not_check_the_session(monkeypatch, partnership, client_user):
    checks = []
    real = sockets.session_user
    monkeypatch.setattr(sockets, "session_user", lambda key: checks.append(key) or real(key))
    _laptop, cookie = await browser_of(client_user)
    socket = await connected(cookie, partnership.pk)
    for i in range(20):
        await socket.send_json_to({"type": "message", "id": new_id(), "body": f"m{i}"})
        await receive_until(socket, "ack")
    await socket.send_json_to({"type": "typing"})
    assert checks == []  # the timer (30 s) checks; no frame does
    await socket.disconnect()


async def test_group_names_never_carry_the_session_key():
    from channels.layers import BaseChannelLayer

    key = "abcdefghijklmnopqrstuvwxyz012345"
    group = sockets.session_group(key)
    assert key not in group and key[:8] not in group
    assert BaseChannelLayer().require_valid_group_name(group)
    assert sockets.session_group(key) == group != sockets.session_group(key[::-1])
