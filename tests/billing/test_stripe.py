"""Card payments: the real `stripe` library against the local fake of Stripe's API, and
webhooks signed and verified with Stripe's scheme."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from django.test import override_settings

from alliance.billing.models import Payment, Refund, StripeEvent
from tests.billing import fake_stripe
from tests.billing.conftest import session_invoice
from tests.conftest import logged_in

WEBHOOK = "/billing/stripe/webhook/"


@pytest.fixture
def fake() -> Iterator[fake_stripe.FakeStripe]:
    served = fake_stripe.serve()
    found = next(served)
    with override_settings(
        STRIPE_SECRET_KEY=fake_stripe.API_KEY,
        STRIPE_WEBHOOK_SECRET=fake_stripe.WEBHOOK_SECRET,
        STRIPE_API_BASE=found.url,
    ):
        yield found
    served.close()


@pytest.fixture
def invoice(priced, partnership, now):
    return session_invoice(partnership, now - dt.timedelta(days=1))


def post(browser, signed):
    return browser.post(
        WEBHOOK,
        signed.payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signed.header,
    )


def test_pay_by_card_records_one_payment_from_the_signed_webhook(
    fake, invoice, client_user, admin_user
):
    from django.test import Client

    browser = logged_in(client_user)
    page = browser.post(f"/billing/invoices/{invoice.pk}/pay/")
    assert page.status_code == 200
    _method, path, params, key = fake.calls[-1]
    assert path == "/v1/checkout/sessions" and key == f"alliance-checkout-{invoice.pk}-1"
    assert params["line_items"][0]["price_data"]["unit_amount"] == str(invoice.total_minor)
    assert params["metadata"]["invoice_id"] == str(invoice.pk)
    assert "therap" not in str(params).lower()
    session_id = next(iter(fake.sessions))
    assert fake.sessions[session_id]["url"] in page.content.decode()
    # a second press offers the same session
    browser.post(f"/billing/invoices/{invoice.pk}/pay/")
    assert len(fake.sessions) == 1
    # the redirect alone records nothing
    back = browser.get(f"/billing/invoices/{invoice.pk}/paid/?session_id={session_id}")
    assert "confirming" in back.content.decode() and not Payment.objects.exists()

    [signed] = fake.complete(session_id)
    stripe_side = Client()
    assert post(stripe_side, signed).status_code == 200
    assert post(stripe_side, signed).json()["outcome"] == "already processed"
    payment = Payment.objects.get()
    assert payment.method == "card" and payment.amount_minor == invoice.total_minor
    assert "Paid." in browser.get(f"/billing/invoices/{invoice.pk}/paid/").content.decode()

    # an admin refunds part through Stripe; more than is left is refused
    admin = logged_in(admin_user)
    admin.post(f"/billing/practice/payments/{payment.pk}/refund/", {"amount": "50"})
    refund = Refund.objects.get()
    assert refund.amount_minor == 5000 and refund.provider_ref.startswith("re_test_")
    too_much = admin.post(f"/billing/practice/payments/{payment.pk}/refund/", {"amount": "500"})
    assert too_much.status_code == 400 and Refund.objects.count() == 1
    for event in fake.events:
        if event.event["type"] == "refund.created":
            assert post(stripe_side, event).status_code == 200
    assert Refund.objects.count() == 1


def test_unsigned_forged_and_replayed_webhooks_are_refused(fake, invoice):
    from django.test import Client

    session = fake.create_session(
        {
            "mode": "payment",
            "success_url": "http://x/",
            "metadata": {"invoice_id": str(invoice.pk)},
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": "100",
                        "product_data": {"name": "x"},
                    }
                }
            ],
        }
    )
    [signed] = fake.complete(session["id"])
    stripe_side = Client()
    unsigned = stripe_side.post(WEBHOOK, signed.payload, content_type="application/json")
    forged = fake_stripe.FakeStripe(secret="whsec_wrong").sign(signed.event)
    replayed = fake.sign(signed.event, timestamp=int(time.time()) - 3600)
    assert unsigned.status_code == 400
    assert post(stripe_side, forged).status_code == 400
    assert post(stripe_side, replayed).status_code == 400
    assert not Payment.objects.exists() and not StripeEvent.objects.exists()


# --- one payment, confirmed twenty times at once --------------------------------------------
CONFIRMATIONS = 20


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_confirmations_record_one_payment(fake, invoice):
    import threading

    from django.db import connection
    from django.test import Client

    session = fake.create_session(
        {
            "mode": "payment",
            "success_url": "http://x/",
            "metadata": {"invoice_id": str(invoice.pk)},
            "payment_intent_data": {"metadata": {"invoice_id": str(invoice.pk)}},
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": str(invoice.total_minor),
                        "product_data": {"name": "Invoice"},
                    }
                }
            ],
        }
    )
    [completed] = fake.complete(session["id"])
    intent = fake.intents[fake.sessions[session["id"]]["payment_intent"]]
    # half are Stripe delivering one event again; half are the PaymentIntent's own events,
    # each with an id of its own, for the same payment
    deliveries = [completed] * (CONFIRMATIONS // 2) + [
        fake.event("payment_intent.succeeded", intent) for _ in range(CONFIRMATIONS // 2)
    ]
    barrier = threading.Barrier(CONFIRMATIONS)
    answers: list[object] = []
    lock = threading.Lock()

    def deliver(signed) -> None:
        try:
            barrier.wait(timeout=30)
            answer: object = post(Client(), signed).status_code
        except Exception as exc:
            answer = exc
        finally:
            connection.close()
        with lock:
            answers.append(answer)

    calls_before = len(fake.calls)
    threads = [threading.Thread(target=deliver, args=(s,)) for s in deliveries]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert answers == [200] * CONFIRMATIONS
    payment = Payment.objects.get()
    assert payment.amount_minor == invoice.total_minor and payment.provider_ref == intent["id"]
    assert StripeEvent.objects.count() == 1 + CONFIRMATIONS // 2
    # nothing was refunded as a "second" payment
    assert not [c for c in fake.calls[calls_before:] if c[1] == "/v1/refunds"]
    assert not Refund.objects.exists()
