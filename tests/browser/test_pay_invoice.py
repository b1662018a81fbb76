"""A client pays for a session, in Chromium: they see the fee and the policy when booking,
the session is held and the therapist records it, the invoice appears, they pay it on the
(fake) Stripe Checkout page, and the receipt is theirs. A late cancellation shows its fee
before and after; a switch of therapist, with a session inside the window, costs nothing.
axe on every page of ours (the checkout page is Stripe's)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from tests.billing import fake_stripe
from tests.browser.conftest import assert_accessible
from tests.browser.test_call import open_as
from tests.conftest import make_appointment, make_client, make_therapist

pytestmark = pytest.mark.browser


def _practice() -> None:
    from alliance.billing import fees
    from alliance.billing.models import ServiceType

    fees.ensure_standard_services()
    ServiceType.objects.filter(code="90834").update(default_fee_minor=15000)
    practice = fees.practice()
    practice.practice_name = "Riverside Counselling"
    practice.late_cancel_fee_minor = 7500
    practice.late_cancel_window_hours = 24
    practice.save()


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_book_attend_pay_by_card_and_the_fees_a_cancellation_and_a_switch_bring(
    asgi_server_factory, new_page, jurisdiction
):
    from alliance.billing.models import Charge, Invoice, Payment
    from alliance.care.services import start_partnership
    from alliance.directory.models import AvailabilityWindow
    from alliance.schedule.models import Appointment

    _practice()
    client = make_client("robin@example.org", jurisdiction, name="Robin")
    therapist = make_therapist("tess@example.org", jurisdiction, name="Dr Tess")
    partnership = start_partnership(client=client, therapist=therapist)
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            therapist=therapist.therapist_profile, weekday=d, start=dt.time(9), end=dt.time(17)
        )
        for d in range(7)
    )
    served = fake_stripe.serve()
    stripe = next(served)
    server = asgi_server_factory(
        extra_env={
            "STRIPE_SECRET_KEY": fake_stripe.API_KEY,
            "STRIPE_WEBHOOK_SECRET": fake_stripe.WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe.url,
        }
    )
    base = server.url
    stripe.webhook_url = f"{base}/billing/stripe/webhook/"
    try:
        page = open_as(new_page, base, client)

        # booking shows the fee and the policy before anything applies
        page.goto(f"{base}/schedule/partnerships/{partnership.pk}/book/")
        terms = page.locator("section.booking-terms")
        assert "A session costs $150.00." in terms.inner_text()
        assert "costs $75.00" in terms.inner_text()
        assert "never a fee when your therapist cancels, when you change therapist" in (
            terms.inner_text()
        )
        assert_accessible(page)
        page.locator("fieldset.slot-day").nth(1).locator("label.slot").first.click()
        page.get_by_role("button", name="Book this time").click()
        page.wait_for_url(re.compile(r"/schedule/appointments/\d+/$"))
        booked = Appointment.objects.get()
        assert not Charge.objects.exists()

        # the session is held (its time comes), and the therapist records it
        start = timezone.now() - dt.timedelta(hours=2)
        Appointment.objects.filter(pk=booked.pk).update(
            starts_at=start, ends_at=start + dt.timedelta(minutes=50)
        )
        theirs = open_as(new_page, base, therapist)
        theirs.goto(f"{base}/schedule/appointments/{booked.pk}/")
        theirs.get_by_label("Attended").check()
        theirs.get_by_role("button", name="Record attendance").click()
        theirs.wait_for_url(re.compile(rf"/schedule/appointments/{booked.pk}/$"))
        assert theirs.locator("p.appointment-charge").inner_text().startswith("Session: $150.00")
        assert_accessible(theirs)

        # the client sees the invoice and pays it on the checkout page
        page.goto(f"{base}/billing/")
        assert page.locator("p.lead").first.inner_text() == "$150.00 to pay"
        invoice = Invoice.objects.get()
        assert page.get_by_role("cell", name=re.compile(rf"^{invoice.display_number}")).count() == 1
        assert_accessible(page)
        page.get_by_role("button", name=re.compile("Pay by card")).click()
        page.wait_for_url(re.compile(rf"/billing/invoices/{invoice.pk}/pay/$"))
        assert_accessible(page)
        page.get_by_role("link", name="Continue to the secure payment page").click()
        page.wait_for_url(re.compile(r"/pay/cs_test_\w+$"))
        assert page.locator("#amount").inner_text() == "150.00 USD"
        page.get_by_role("button", name="Pay").click()
        page.wait_for_url(re.compile(rf"/billing/invoices/{invoice.pk}/paid/"))
        assert page.get_by_text("Thank you: the invoice is paid.").is_visible()
        assert_accessible(page)
        payment = Payment.objects.get()
        assert (payment.method, payment.amount_minor) == ("card", 15000)

        # the receipt
        href = page.get_by_role("link", name="Your receipt (PDF)").get_attribute("href")
        receipt = page.request.get(f"{base}{href}")
        assert receipt.ok and receipt.headers["content-type"] == "application/pdf"
        text = _pdf_text(receipt.body())
        assert "Receipt" in text and invoice.display_number in text and "$0.00" in text
        page.goto(f"{base}/billing/")
        assert page.get_by_text("You owe nothing.").is_visible()

        # a late cancellation: the fee is said before, and charged after
        soon = make_appointment(partnership, timezone.now() + dt.timedelta(hours=3))
        page.goto(f"{base}/schedule/appointments/{soon.pk}/")
        assert "Cancelling now costs $75.00" in page.get_by_role("note").first.inner_text()
        assert_accessible(page)
        page.get_by_role("button", name="Cancel this session").click()
        page.wait_for_url(re.compile(r"/schedule/"))
        page.goto(f"{base}/schedule/appointments/{soon.pk}/")
        assert page.locator("#status").inner_text() == "Cancelled late"
        assert (
            page.locator("p.appointment-charge")
            .inner_text()
            .startswith("Late cancellation: $75.00")
        )
        page.goto(f"{base}/billing/")
        assert page.locator("p.lead").first.inner_text() == "$75.00 to pay"

        # a switch with a session inside the window never costs anything
        inside = make_appointment(partnership, timezone.now() + dt.timedelta(hours=5))
        page.goto(f"{base}/care/switch/")
        page.get_by_label("The approach is not right for me").check()
        page.get_by_role("button", name="Switch now").click()
        page.wait_for_load_state()
        inside.refresh_from_db()
        assert inside.status == Appointment.Status.CANCELLED
        assert not Charge.objects.filter(appointment=inside).exists()
        page.goto(f"{base}/billing/")
        assert page.locator("p.lead").first.inner_text() == "$75.00 to pay"
        assert Invoice.objects.count() == 2
        assert_accessible(page)
    finally:
        served.close()
