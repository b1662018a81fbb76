"""The billing pages through requests: the client's, the therapist's and the admin's; bad
input refused with a clear message and nothing changed; staff reads audited; the export and
erasure."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliance.billing import payments
from alliance.billing.models import Invoice, Payment, PracticeBilling
from alliance.privacy.models import AuditEvent
from tests.billing.conftest import SESSION_FEE, session_invoice
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(partnership, priced, now):
    return session_invoice(partnership, now - dt.timedelta(days=3))


def test_the_client_sees_what_they_owe_and_downloads_the_pdf(client_user, invoice):
    browser = logged_in(client_user)
    html = browser.get("/billing/").content.decode()
    assert "$150.00" in html and "to pay" in html and "INV-000001" in html
    document = browser.get(f"/billing/invoices/{invoice.pk}.pdf")
    assert document.status_code == 200 and document["Content-Type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")
    # Nothing paid yet: no receipt.
    assert browser.get(f"/billing/invoices/{invoice.pk}/receipt.pdf").status_code == 404


def test_a_receipt_and_a_statement_once_paid(client_user, invoice, now):
    payments.record_payment(
        invoice=invoice, amount_minor=SESSION_FEE, currency="USD", method="bank_transfer"
    )
    browser = logged_in(client_user)
    html = browser.get("/billing/").content.decode()
    assert "You owe nothing." in html and "Bank transfer" in html
    assert browser.get(f"/billing/invoices/{invoice.pk}/receipt.pdf").status_code == 200
    start = (now - dt.timedelta(days=30)).date().isoformat()
    statement = browser.get(f"/billing/statement.pdf?start={start}&end={now.date().isoformat()}")
    assert statement.status_code == 200 and statement.content.startswith(b"%PDF")
    refused = browser.get("/billing/statement.pdf?start=2026-05-01&end=2026-04-01", follow=True)
    assert "The end comes before the start." in refused.content.decode()


def test_nobody_else_opens_a_clients_invoice(invoice, jurisdiction, other_therapist):
    from tests.conftest import make_client

    stranger = make_client("stranger@example.org", jurisdiction, name="Sam")
    assert logged_in(stranger).get(f"/billing/invoices/{invoice.pk}.pdf").status_code == 404
    assert logged_in(other_therapist).get(f"/billing/invoices/{invoice.pk}.pdf").status_code == 403


def test_the_client_page_does_not_query_per_invoice(client_user, partnership, priced, now):
    session_invoice(partnership, now - dt.timedelta(days=9))
    browser = logged_in(client_user)
    with CaptureQueriesContext(connection) as one:
        browser.get("/billing/")
    for days in (8, 7, 6, 5):
        session_invoice(partnership, now - dt.timedelta(days=days))
    with CaptureQueriesContext(connection) as five:
        browser.get("/billing/")
    assert len(five) == len(one)


def test_the_therapist_sees_their_own_sessions_billed(their_therapist, other_therapist, invoice):
    html = logged_in(their_therapist).get("/billing/therapist/").content.decode()
    assert "Casey" in html and "Session (50 min) (90834)" in html and "$150.00" in html
    other = logged_in(other_therapist).get("/billing/therapist/").content.decode()
    assert "Casey" not in other and "Nothing billed in this period." in other
    assert AuditEvent.objects.filter(reason="billing: therapist's sessions billed").exists()


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("-20", "USD", "An amount cannot be negative."),
        ("0", "USD", "The amount must be more than zero."),
        ("12.345", "USD", "Enter an amount in USD, such as 150 or 150.00."),
        ("50", "EUR", "This invoice is in USD; record the payment in USD."),
        ("150.01", "USD", "That is more than the $150.00 still owed on this invoice."),
    ],
)
def test_bad_payments_on_the_page_are_refused_and_change_nothing(
    admin_user, invoice, amount, currency, message
):
    response = logged_in(admin_user).post(
        f"/billing/practice/invoices/{invoice.pk}/payments/",
        {"amount": amount, "currency": currency, "method": "cash", "received_on": "2026-01-02"},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Payment.objects.exists()


def test_a_payment_is_recorded_and_a_second_one_refused(admin_user, invoice):
    browser = logged_in(admin_user)
    url = f"/billing/practice/invoices/{invoice.pk}/payments/"
    today = dt.date.today().isoformat()
    data = {"amount": "150", "currency": "USD", "method": "cash", "received_on": today}
    assert browser.post(url, data).status_code == 302
    again = browser.post(url, {**data, "amount": "10"})
    assert again.status_code == 400 and "This invoice is already paid." in again.content.decode()
    assert Payment.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="billing.invoice", actor_id=admin_user.pk)


def test_a_credit_note_from_the_page(admin_user, invoice):
    browser = logged_in(admin_user)
    response = browser.post(
        f"/billing/practice/invoices/{invoice.pk}/credit/", {"reason": "Billed twice"}, follow=True
    )
    assert "Credit note CN-000001 issued." in response.content.decode()
    refused = browser.post(
        f"/billing/practice/invoices/{invoice.pk}/credit/", {"reason": "Again"}, follow=True
    )
    assert "already credited" in refused.content.decode()
    assert Invoice.objects.filter(kind="credit_note").count() == 1


def test_the_admin_sets_fees_and_policy_and_bad_input_changes_nothing(admin_user, priced):
    browser = logged_in(admin_user)
    page = browser.get("/billing/practice/").content.decode()
    assert "Outstanding balances by age" in page and "90834" in page
    base = {
        "practice_name": "Riverside",
        "practice_address": "",
        "currency": "USD",
        "invoice_mode": "monthly",
        "payment_terms_days": "30",
        "late_cancel_window_hours": "12",
        "late_fee": "50",
        "no_show_fee": "80.00",
    }
    for field, bad, message in [
        ("late_fee", "-5", "An amount cannot be negative."),
        ("currency", "US1", "Give the three-letter ISO code, such as USD."),
        ("late_cancel_window_hours", "48", "Choose between 1 and 24 hours"),
    ]:
        response = browser.post("/billing/practice/settings/", {**base, field: bad})
        assert response.status_code == 400 and message in response.content.decode(), field
    practice = PracticeBilling.objects.get()
    assert (practice.late_cancel_fee_minor, practice.invoice_mode) == (7500, "per_session")
    assert browser.post("/billing/practice/settings/", base).status_code == 302
    practice.refresh_from_db()
    assert (practice.late_cancel_fee_minor, practice.no_show_fee_minor) == (5000, 8000)
    assert (practice.late_cancel_window_hours, practice.invoice_mode) == (12, "monthly")


def test_balances_by_age_and_the_accountants_csv(admin_user, partnership, priced, now):
    session_invoice(partnership, now - dt.timedelta(days=45))
    session_invoice(partnership, now - dt.timedelta(days=2))
    browser = logged_in(admin_user)
    page = browser.get("/billing/practice/").content.decode()
    assert "Casey" in page and "$300.00" in page
    response = browser.get("/billing/practice/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["number", "kind", "issued"]
    assert [r[0] for r in rows[1:]] == ["INV-000001", "INV-000002"]
    assert rows[1][7] == "150.00" and rows[1][11] == "90834"
    assert AuditEvent.objects.filter(action="export", reason__startswith="billing:").exists()


def test_the_export_has_billing_and_erasure_keeps_the_invoices(client_user, invoice, admin_user):
    from alliance.privacy import rights

    data = rights.export_json(user=client_user)
    billing = data["parts"]["billing"]
    assert billing["invoices"][0]["number"] == "INV-000001"
    assert billing["invoices"][0]["lines"][0]["code"] == "90834"
    report = rights.erase_client(user=client_user, actor=admin_user)
    assert report.parts["billing"]["invoices_kept_for_accounting"] == 1
    assert Invoice.objects.get().client_name == "Casey"


def test_the_admin_bills_a_partnership_as_a_couple(admin_user, partnership, priced, now):
    from alliance.billing import charging
    from alliance.billing.models import ServiceType
    from tests.billing.conftest import attended

    ServiceType.objects.filter(code="90847").update(default_fee_minor=17000)
    couple = ServiceType.objects.get(code="90847")
    browser = logged_in(admin_user)
    url = "/billing/practice/partnerships/"
    refused = browser.post(url, {"partnership": "999999", "service": couple.pk})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    assert (
        browser.post(url, {"partnership": partnership.pk, "service": couple.pk}).status_code == 302
    )
    charge = charging.settle_appointment(
        appointment_id=attended(partnership, now - dt.timedelta(days=1)).pk
    )
    assert (charge.service.code, charge.amount_minor) == ("90847", 17000)
