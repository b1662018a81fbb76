"""The billing pages of the client, the therapist and the admin on a 390 x 844 phone: nothing
scrolls sideways, touch targets are big enough, and axe finds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.conftest import assert_accessible
from tests.browser.test_call import open_as
from tests.browser.test_mobile import MEASURE, PHONE, TOO_SMALL
from tests.conftest import make_appointment

pytestmark = pytest.mark.browser


def _billing(partnership, therapist) -> int:
    """A paid session, an unpaid one and a late-cancellation fee; the paid invoice's id."""
    from alliance.billing import charging, fees, payments
    from alliance.billing.models import ServiceType, SlidingScaleTier

    fees.ensure_standard_services()
    ServiceType.objects.filter(code="90834").update(default_fee_minor=15000)
    practice = fees.practice()
    practice.practice_name = "Riverside Counselling"
    practice.late_cancel_fee_minor = 7500
    practice.save()
    SlidingScaleTier.objects.create(name="Reduced", percent=60)
    now = timezone.now()
    charges = []
    for days in (40, 3):
        start = now - dt.timedelta(days=days)
        appointment = make_appointment(partnership, start, status="attended")
        charges.append(charging.settle_appointment(appointment_id=appointment.pk, now=start))
    late = make_appointment(
        partnership,
        now - dt.timedelta(days=1),
        status="cancelled",
        cancelled_at=now - dt.timedelta(days=1, hours=2),
        cancelled_by=partnership.client,
        late_cancellation=True,
    )
    charging.settle_appointment(appointment_id=late.pk)
    paid = charges[0].lines.get().invoice
    payments.record_payment(invoice=paid, amount_minor=15000, currency="USD", method="cash")
    return paid.pk


def test_the_billing_pages_fit_a_phone(
    asgi_server_factory, new_page, partnership, client_user, their_therapist, admin_user
):
    invoice_id = _billing(partnership, their_therapist)
    journeys = {
        client_user: ["/billing/"],
        their_therapist: ["/billing/therapist/"],
        admin_user: [
            "/billing/practice/",
            "/billing/practice/invoices/",
            f"/billing/practice/invoices/{invoice_id}/",
        ],
    }
    base = asgi_server_factory().url
    problems: dict[str, object] = {}
    for user, paths in journeys.items():
        page = open_as(lambda: new_page(viewport=PHONE), base, user)
        for path in paths:
            page.goto(f"{base}{path}")
            assert page.url.endswith(path), f"{path} redirected to {page.url}"
            sizes = page.evaluate(MEASURE)
            print(path, sizes)  # the figures, for the record
            found = [f"too small to touch: {e}" for e in page.evaluate(TOO_SMALL)]
            if sizes["scrollWidth"] > PHONE["width"]:
                found.append(f"scrolls sideways: {sizes['scrollWidth']} px")
            if found:
                problems[path] = found
            assert_accessible(page)
    assert problems == {}
