"""Helpers for conversation tests: websocket communicators that log in like a browser."""

from __future__ import annotations

import uuid

import pytest
import pytest_asyncio
from channels.testing import WebsocketCommunicator

from tests.conftest import logged_in


def session_cookie(user) -> str:
    browser = logged_in(user)
    return f"sessionid={browser.cookies['sessionid'].value}"


async def open_socket(cookie: str | None, pk: int) -> WebsocketCommunicator:
    """A websocket through the real ASGI stack (origin check, session auth, routing)."""
    from alliance.asgi import application

    headers = [(b"origin", b"http://localhost")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    socket = WebsocketCommunicator(application, f"/ws/conversations/{pk}/", headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def receive_until(socket: WebsocketCommunicator, kind: str, timeout: float = 3) -> dict:
    """The next frame of type `kind`, skipping others (typing, read, peer events)."""
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


@pytest_asyncio.fixture(autouse=True)
async def _loop_pool_closed_with_its_loop():
    """Each test has its own event loop, and the chat fast path opens a pool of PostgreSQL
    connections per loop (conversations/fastpath.py): closed here, in the test's loop, or
    every test would leave its connections open (too many clients for the server) and its
    pool's tasks pending when the loop closes."""
    yield
    from alliance.conversations import fastpath

    await fastpath.close()


@pytest.fixture(autouse=True)
def _no_pending_tasks_from_other_tests():
    # The record of pending notification and evaluation tasks is per process; ids repeat
    # across test databases, so each test starts without it.
    from django.core.cache import caches

    from alliance.conversations import services

    services.forget_pending()
    caches["default"].clear()  # per-sender message counts (the abuse limit)
    yield
    services.forget_pending()


def new_id() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def cookies(client_user, their_therapist, other_therapist, admin_user) -> dict[str, str]:
    from django.urls import reverse

    reverse("conversations:inbox")  # load the URLconf now, not inside a timed receive
    return {
        "client": session_cookie(client_user),
        "therapist": session_cookie(their_therapist),
        "other": session_cookie(other_therapist),
        "admin": session_cookie(admin_user),
    }
