"""A local stand-in for the parts of Stripe's API that billing calls, as a real HTTP server.

It follows Stripe's published API (https://docs.stripe.com/api) for what is used:
`POST /v1/checkout/sessions` (form-encoded, nested `a[0][b]` parameters), `GET
/v1/checkout/sessions/{id}`, `POST /v1/refunds`; `Authorization: Bearer sk_test_…`;
`Idempotency-Key` (the same key with the same parameters answers the first object again,
with other parameters a 400 `idempotency_error`); errors as `{"error": {"type", "message",
"param"}}`. Its hosted Checkout page (`/pay/{id}`) is a plain form: paying marks the session
complete, creates the PaymentIntent and its charge, sends `checkout.session.completed` signed
with Stripe's scheme (`t=…,v1=HMAC-SHA256(secret, "t.payload")`) to `webhook_url`, and
redirects to the success URL. A refund sends `refund.created` and `charge.refunded` the
same way, after answering.

Tests that run the app in-process leave `webhook_url` empty and deliver the signed events
the fake returns (`complete()`, `events`) through Django's test client themselves.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from stripe import WebhookSignature

from tests.local_http import serving

API_KEY = "sk_test_alliance_fake_key"
WEBHOOK_SECRET = "whsec_alliance_fake_secret"
API_VERSION = "2025-11-17.clover"


class StripeError(Exception):
    def __init__(self, status: int, message: str, *, param: str = "", kind: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.kind = kind or "invalid_request_error"

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.kind, "message": self.message}
        if self.param:
            error["param"] = self.param
        return {"error": error}


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding: `line_items[0][price_data][unit_amount]=5` → nested dicts,
    with list indexes as dict keys turned into lists afterwards."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_listify(node[k]) for k in sorted(node, key=int)]
    return {k: _listify(v) for k, v in node.items()}


def _int(value: Any, param: str) -> int:
    if not (isinstance(value, str) and value.isdigit()):
        raise StripeError(400, f"Invalid integer: {value}", param=param)
    return int(value)


@dataclass
class Signed:
    """A webhook as Stripe sends it: the raw JSON body and its Stripe-Signature header."""

    payload: str
    header: str
    event: dict[str, Any]


@dataclass
class FakeStripe:
    url: str = ""
    webhook_url: str = ""
    secret: str = WEBHOOK_SECRET
    api_key: str = API_KEY
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[Signed] = field(default_factory=list)
    # (method, path, params, Idempotency-Key or "") of every API call, for assertions.
    calls: list[tuple[str, str, dict[str, Any], str]] = field(default_factory=list)
    idempotent: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- the API ------------------------------------------------------------------------

    def create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("mode") != "payment":
            raise StripeError(400, "Only mode=payment is supported here.", param="mode")
        if not params.get("success_url"):
            raise StripeError(400, "Missing required param: success_url.", param="success_url")
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise StripeError(400, "Missing required param: line_items.", param="line_items")
        total, currency = 0, ""
        for n, item in enumerate(items):
            price = item.get("price_data") or {}
            prefix = f"line_items[{n}][price_data]"
            amount = _int(price.get("unit_amount"), f"{prefix}[unit_amount]")
            if amount < 1:
                raise StripeError(400, "unit_amount must be positive", param=f"{prefix}")
            if not (price.get("product_data") or {}).get("name"):
                raise StripeError(400, "Missing product name.", param=f"{prefix}[product_data]")
            currency = str(price.get("currency", "")).lower()
            if not re.fullmatch(r"[a-z]{3}", currency):
                raise StripeError(400, "Invalid currency.", param=f"{prefix}[currency]")
            total += amount * _int(item.get("quantity", "1"), f"line_items[{n}][quantity]")
        intent_data = params.get("payment_intent_data") or {}
        if "statement_descriptor" in intent_data:  # card charges take only a suffix
            raise StripeError(
                400,
                "Setting statement_descriptor for a card charge returns an error; "
                "set statement_descriptor_suffix instead.",
                param="payment_intent_data[statement_descriptor]",
            )
        if len(intent_data.get("statement_descriptor_suffix", "")) > 22:
            raise StripeError(
                400,
                "statement_descriptor_suffix is too long (22 characters at most).",
                param="payment_intent_data[statement_descriptor_suffix]",
            )
        sid = f"cs_test_{secrets.token_hex(12)}"
        session = {
            "id": sid,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": total,
            "currency": currency,
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata") or {},
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            # Since API version 2022-08-01 the PaymentIntent exists once the session is paid.
            "payment_intent": None,
            "url": f"{self.url}/pay/{sid}",
            "livemode": False,
            "created": int(time.time()),
            "line_items_sent": items,
            "payment_intent_data": params.get("payment_intent_data") or {},
        }
        self.sessions[sid] = session
        return self._public(session)

    def retrieve_session(self, sid: str) -> dict[str, Any]:
        if sid not in self.sessions:
            raise StripeError(404, f"No such checkout.session: '{sid}'", param="session")
        return self._public(self.sessions[sid])

    def create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        pid = params.get("payment_intent")
        intent = self.intents.get(str(pid))
        if intent is None:
            raise StripeError(400, f"No such payment_intent: '{pid}'", param="payment_intent")
        left = intent["amount_received"] - intent["amount_refunded"]
        amount = _int(params["amount"], "amount") if "amount" in params else left
        if amount < 1:
            raise StripeError(400, "Invalid positive integer", param="amount")
        if amount > left:
            raise StripeError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                param="amount",
            )
        intent["amount_refunded"] += amount
        refund = {
            "id": f"re_test_{secrets.token_hex(12)}",
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": pid,
            "charge": intent["latest_charge"],
            "status": "succeeded",
            "metadata": params.get("metadata") or {},
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        # Since API version 2022-11-15 a charge no longer lists its refunds; refund.created
        # carries the refund itself. Sent after the answer, as Stripe does.
        charge = {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount_received"],
            "amount_refunded": intent["amount_refunded"],
            "currency": intent["currency"],
            "payment_intent": pid,
            "refunded": intent["amount_refunded"] == intent["amount_received"],
        }
        later = [self.event("refund.created", refund), self.event("charge.refunded", charge)]
        threading.Thread(target=lambda: [self._send(e) for e in later], daemon=True).start()
        return refund

    # --- the hosted page ----------------------------------------------------------------

    def complete(self, sid: str) -> list[Signed]:
        """The client pays on the hosted page: the session completes and its events go out."""
        session = self.sessions[sid]
        if session["status"] != "open":
            return []
        pid = f"pi_test_{secrets.token_hex(12)}"
        self.intents[pid] = {
            "id": pid,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_received": session["amount_total"],
            "amount_refunded": 0,
            "currency": session["currency"],
            "status": "succeeded",
            "latest_charge": f"ch_test_{secrets.token_hex(12)}",
            "metadata": session["payment_intent_data"].get("metadata") or {},
        }
        session.update(status="complete", payment_status="paid", payment_intent=pid)
        sent = [self.event("checkout.session.completed", self._public(session))]
        for signed in sent:
            self._send(signed)
        return sent

    def event(self, kind: str, obj: dict[str, Any], *, timestamp: int | None = None) -> Signed:
        event = {
            "id": f"evt_test_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "type": kind,
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": obj},
        }
        return self.sign(event, timestamp=timestamp)

    def sign(self, event: dict[str, Any], *, timestamp: int | None = None) -> Signed:
        payload = json.dumps(event)
        header = WebhookSignature.generate_signature_header(payload, self.secret, timestamp)
        signed = Signed(payload, header, event)
        self.events.append(signed)
        return signed

    def _send(self, signed: Signed) -> None:
        if not self.webhook_url:
            return
        request = urllib.request.Request(  # noqa: S310 - a local test address
            self.webhook_url,
            data=signed.payload.encode(),
            headers={"Content-Type": "application/json", "Stripe-Signature": signed.header},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            answer.read()

    @staticmethod
    def _public(session: dict[str, Any]) -> dict[str, Any]:
        hidden = {"line_items_sent", "payment_intent_data", "success_url_sent"}
        return {k: v for k, v in session.items() if k not in hidden}

    # --- dispatch -----------------------------------------------------------------------

    def api(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return self.create_session(params)
        found = re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path)
        if method == "GET" and found:
            return self.retrieve_session(found.group(1))
        if method == "POST" and path == "/v1/refunds":
            return self.create_refund(params)
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def answer(
        self, method: str, path: str, body: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        if headers.get("authorization", "") != f"Bearer {self.api_key}":
            error = StripeError(401, "Invalid API Key provided.", kind="invalid_request_error")
            return 401, error.body()
        params = parse_form(body)
        key = headers.get("idempotency-key", "")
        with self.lock:
            self.calls.append((method, path, params, key))
            fingerprint = f"{method} {path} {json.dumps(params, sort_keys=True)}"
            if key and key in self.idempotent:
                first, status, result = self.idempotent[key]
                if first != fingerprint:
                    error = StripeError(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                        kind="idempotency_error",
                    )
                    return 400, error.body()
                return status, result
            try:
                status, result = 200, self.api(method, path, params)
            except StripeError as error:
                status, result = error.status, error.body()
            if key and method == "POST":
                self.idempotent[key] = (fingerprint, status, result)
            return status, result


def _handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _body(self) -> str:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()

        def _send(self, status: int, body: bytes, kind: str, location: str = "") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(body)

        def _api(self, method: str) -> None:
            path, _, query = self.path.partition("?")
            body = self._body() if method == "POST" else query
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, result = fake.answer(method, path, body, headers)
            self._send(status, json.dumps(result).encode(), "application/json")

        def do_GET(self) -> None:
            found = re.fullmatch(r"/pay/(\w+)", self.path)
            if found and found.group(1) in fake.sessions:
                self._send(200, hosted_page(fake.sessions[found.group(1)]), "text/html")
            elif self.path.startswith("/v1/"):
                self._api("GET")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            found = re.fullmatch(r"/pay/(\w+)", self.path)
            if found and found.group(1) in fake.sessions:
                self._body()
                session = fake.sessions[found.group(1)]
                fake.complete(session["id"])
                target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
                self._send(303, b"", "text/plain", location=target)
            else:
                self._api("POST")

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def hosted_page(session: dict[str, Any]) -> bytes:
    from html import escape

    names = [escape(i["price_data"]["product_data"]["name"]) for i in session["line_items_sent"]]
    amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
    cancel = escape(session.get("cancel_url") or "")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pay (test)</title>'
        f"</head><body><main><h1>Test checkout</h1><p>{', '.join(names)}</p>"
        f'<p id="amount">{escape(amount)}</p><form method="post"><button>Pay</button></form>'
        f'<p><a href="{cancel}">Cancel</a></p></main></body></html>'
    ).encode()


def serve() -> Iterator[FakeStripe]:
    """Start the fake on a free local port for as long as the generator is open."""
    fake = FakeStripe()
    with serving(_handler(fake)) as url:
        fake.url = url
        yield fake
