"""Helpers for tests against live ASGI servers: log in over HTTP like a browser, then open
the conversation socket with the session cookie and a same-origin header."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import httpx
from django_otp.oath import totp
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import PASSWORD, TOTP_HEX

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_env() -> dict[str, str]:
    # A fresh group prefix: other test runs may share this Redis.
    return {"REDIS_URL": REDIS_URL, "CONVERSATION_GROUP_PREFIX": f"t{uuid.uuid4().hex[:12]}"}


def _csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(base: str, email: str, *, second_factor: bool = False) -> str:
    """Log in through the real forms; returns the Cookie header for the socket."""
    with httpx.Client(base_url=base, follow_redirects=True, timeout=20) as client:
        token = _csrf(client, "/account/log-in/")
        client.post(
            "/account/log-in/",
            data={"csrfmiddlewaretoken": token, "email": email, "password": PASSWORD},
            headers={"Referer": base + "/account/log-in/"},
        )
        if second_factor:
            token = _csrf(client, "/account/two-factor/")
            client.post(
                "/account/two-factor/",
                data={
                    "csrfmiddlewaretoken": token,
                    "token": f"{totp(bytes.fromhex(TOTP_HEX)):06d}",
                },
                headers={"Referer": base + "/account/two-factor/"},
            )
        session = client.cookies.get("sessionid")
        assert session, "log-in did not set a session"
        return f"sessionid={session}"


async def open_socket(base: str, pk: int, cookie: str) -> ClientConnection:
    url = base.replace("http://", "ws://") + f"/ws/conversations/{pk}/"
    socket = await connect(url, additional_headers={"Cookie": cookie, "Origin": base})
    ready = json.loads(await socket.recv())
    assert ready["type"] == "ready", ready
    return socket


async def next_of(socket: ClientConnection, kind: str, timeout: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == kind:
                return frame
