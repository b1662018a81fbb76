"""Local stand-ins, as real HTTP servers on 127.0.0.1: a Web Push service (RFC 8030) and
Twilio's Messages API. The libraries under test talk to them exactly as to the real ones."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.local_http import serving


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeServer:
    url: str
    requests: list[Seen] = field(default_factory=list)
    # path -> HTTP status to answer (the push service); numbers -> Twilio error (Twilio)
    statuses: dict[str, int] = field(default_factory=dict)
    unsubscribed: set[str] = field(default_factory=set)


@contextmanager
def _serve(handler_for: Any) -> Iterator[FakeServer]:
    fake = FakeServer(url="")
    with serving(handler_for(fake)) as url:
        fake.url = url
        yield fake


def _read(handler: BaseHTTPRequestHandler, fake: FakeServer) -> Seen:
    length = int(handler.headers.get("Content-Length") or 0)
    headers = {k.lower(): v for k, v in handler.headers.items()}
    seen = Seen(handler.path, headers, handler.rfile.read(length))
    fake.requests.append(seen)
    return seen


@contextmanager
def push_service() -> Iterator[FakeServer]:
    """Answers 201 Created to every push, or the status set for its path in `statuses`."""

    def handler_for(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                seen = _read(self, fake)
                self.send_response(fake.statuses.get(seen.path, 201))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    with _serve(handler_for) as fake:
        yield fake


@contextmanager
def twilio_api() -> Iterator[FakeServer]:
    """POST /2010-04-01/Accounts/{AccountSid}/Messages.json with To, From and Body: Twilio's
    JSON answer, or error 21610 for a number in `unsubscribed`."""

    def handler_for(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                seen = _read(self, fake)
                parts = seen.path.split("/")
                form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
                if (
                    len(parts) != 5
                    or parts[1:3] != ["2010-04-01", "Accounts"]
                    or parts[4] != "Messages.json"
                ):
                    return self._answer(404, {"code": 20404, "message": "Not found"})
                if form.get("To") in fake.unsubscribed:
                    return self._answer(
                        400,
                        {
                            "code": 21610,
                            "message": "Attempt to send to unsubscribed recipient",
                            "more_info": "https://www.twilio.com/docs/errors/21610",
                            "status": 400,
                        },
                    )
                sid = f"SM{len(fake.requests):032d}"
                self._answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": parts[3],
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "uri": f"/2010-04-01/Accounts/{parts[3]}/Messages/{sid}.json",
                    },
                )

            def _answer(self, status: int, data: dict[str, Any]) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    with _serve(handler_for) as fake:
        yield fake


def sms_bodies(fake: FakeServer) -> list[dict[str, str]]:
    return [{k: v[0] for k, v in parse_qs(r.body.decode()).items()} for r in fake.requests]


@dataclass
class Browser:
    """A push subscriber's keys, as a browser makes them (RFC 8291 §3: a P-256 key pair and
    a 16-byte authentication secret)."""

    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return base64.urlsafe_b64encode(point).rstrip(b"=").decode()

    @property
    def auth(self) -> str:
        return base64.urlsafe_b64encode(self.auth_secret).rstrip(b"=").decode()


def new_browser() -> Browser:
    import os

    return Browser(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))


def run_deliveries() -> list[str]:
    """Run the queued notification tasks that are due now, as the worker would."""
    from django_tasks_db.models import DBTaskResult

    from alliance.notify import tasks

    outcomes = []
    due = DBTaskResult.objects.ready().filter(task_path__endswith="notify.tasks.deliver")
    for row in due:
        row.status = "SUCCESSFUL"
        row.save(update_fields=["status"])
        outcomes.append(tasks.deliver.call(*row.args_kwargs["args"]))
    return outcomes
