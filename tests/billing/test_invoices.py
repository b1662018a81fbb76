"""Invoices: numbered without gaps (also under concurrency, on PostgreSQL), immutable once
issued, corrected by credit notes; payments recorded by hand with their bad inputs; PDFs."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import formats, translation

from alliance.billing import balances, charging, invoicing, payments, pdf
from alliance.billing.errors import BillingError
from alliance.billing.models import Charge, ImmutableError, Invoice, InvoiceLine, Payment
from tests.billing.conftest import SESSION_FEE, attended, session_invoice

pytestmark = pytest.mark.django_db


def test_an_attended_session_is_invoiced_with_its_service_and_code(partnership, priced, now):
    invoice = session_invoice(partnership, now - dt.timedelta(days=2))
    assert invoice.display_number == "INV-000001"
    assert invoice.total_minor == SESSION_FEE and invoice.currency == "USD"
    assert invoice.practice_name == "Riverside Counselling"
    assert invoice.client_name == "Casey"
    line = invoice.lines.get()
    assert (line.description, line.code) == ("Session (50 min)", "90834")
    assert balances.balance_of(invoice) == SESSION_FEE


def test_numbers_run_on_and_credit_notes_have_their_own_series(partnership, priced, now):
    first = session_invoice(partnership, now - dt.timedelta(days=3))
    second = session_invoice(partnership, now - dt.timedelta(days=2))
    note = invoicing.issue_credit_note(invoice=first, reason="Billed in error", by=None)
    third = session_invoice(partnership, now - dt.timedelta(days=1))
    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert note.display_number == "CN-000001" and note.credits == first


def test_a_rolled_back_issue_gives_its_number_back(partnership, priced, now):
    charge = Charge.objects.create(
        appointment=attended(partnership, now - dt.timedelta(days=1)),
        client=partnership.client,
        therapist=partnership.therapist,
        kind="session",
        amount_minor=100,
        currency="USD",
        service_date=now.date(),
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        invoicing.issue_invoice(charges=[charge])
        raise RuntimeError("the issuing transaction fails after taking a number")
    assert invoicing.issue_invoice(charges=[charge]).number == 1


def test_an_issued_invoice_cannot_change_or_be_deleted(partnership, priced, now):
    invoice = session_invoice(partnership, now - dt.timedelta(days=1))
    invoice.total_minor = 1
    with pytest.raises(ImmutableError):
        invoice.save()
    with pytest.raises(ImmutableError):
        invoice.delete()
    line = invoice.lines.get()
    line.amount_minor = 1
    with pytest.raises(ImmutableError):
        line.save()
    # Around the ORM, the database refuses too (its triggers).
    with pytest.raises(DatabaseError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(total_minor=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        InvoiceLine.objects.filter(invoice=invoice).update(amount_minor=1)
    invoice.refresh_from_db()
    assert invoice.total_minor == SESSION_FEE


def test_a_credit_note_reduces_what_is_owed_once(partnership, priced, now):
    invoice = session_invoice(partnership, now - dt.timedelta(days=1))
    with pytest.raises(BillingError, match="Say why"):
        invoicing.issue_credit_note(invoice=invoice, reason="  ", by=None)
    note = invoicing.issue_credit_note(invoice=invoice, reason="Goodwill", by=None)
    assert note.total_minor == SESSION_FEE and note.lines.get().credit
    assert balances.balance_of(invoice) == 0
    assert Charge.objects.get().status == "waived"
    with pytest.raises(BillingError, match="already credited"):
        invoicing.issue_credit_note(invoice=invoice, reason="Again", by=None)
    with pytest.raises(BillingError, match="cannot itself be credited"):
        invoicing.issue_credit_note(invoice=note, reason="Again", by=None)
    # The database too: a charge is credited once.
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=note,
            charge=Charge.objects.get(),
            credit=True,
            description="x",
            service_date=now.date(),
            amount_minor=1,
        )


def test_a_paid_invoice_is_refunded_before_it_is_credited(partnership, priced, now, admin_user):
    invoice = session_invoice(partnership, now - dt.timedelta(days=1))
    payments.record_payment(
        invoice=invoice, amount_minor=SESSION_FEE, currency="USD", method="cash", by=admin_user
    )
    with pytest.raises(BillingError, match="refund the payment"):
        invoicing.issue_credit_note(invoice=invoice, reason="Goodwill", by=admin_user)
    assert not Invoice.objects.filter(kind="credit_note").exists()


@pytest.mark.parametrize(
    ("amount", "currency", "method", "message"),
    [
        (0, "USD", "cash", "more than zero"),
        (-500, "USD", "cash", "more than zero"),
        (1.5, "USD", "cash", "as a number"),
        (5000, "EUR", "cash", "in USD"),
        (5000, "USD", "cheque", "Choose how"),
        (SESSION_FEE + 1, "USD", "cash", r"more than the \$150.00 still owed"),
    ],
)
def test_bad_payments_are_refused_and_change_nothing(
    partnership, priced, now, admin_user, amount, currency, method, message
):
    invoice = session_invoice(partnership, now - dt.timedelta(days=1))
    with pytest.raises(BillingError, match=message):
        payments.record_payment(
            invoice=invoice, amount_minor=amount, currency=currency, method=method, by=admin_user
        )
    assert not Payment.objects.exists()


def test_a_second_payment_of_a_paid_invoice_is_refused(partnership, priced, now, admin_user):
    invoice = session_invoice(partnership, now - dt.timedelta(days=1))
    payments.record_payment(
        invoice=invoice, amount_minor=5000, currency="USD", method="bank_transfer", by=admin_user
    )
    payments.record_payment(
        invoice=invoice, amount_minor=10000, currency="USD", method="cash", by=admin_user
    )
    with pytest.raises(BillingError, match="already paid"):
        payments.record_payment(
            invoice=invoice, amount_minor=100, currency="USD", method="cash", by=admin_user
        )
    assert Payment.objects.count() == 2 and balances.balance_of(invoice) == 0


def test_a_provider_reference_records_one_payment(partnership, priced, now):
    invoice = session_invoice(partnership, now - dt.timedelta(days=1))
    first = payments.record_payment(
        invoice=invoice,
        amount_minor=SESSION_FEE,
        currency="USD",
        method="card",
        provider_ref="pi_1",
    )
    again = payments.record_payment(
        invoice=invoice,
        amount_minor=SESSION_FEE,
        currency="USD",
        method="card",
        provider_ref="pi_1",
    )
    assert again == first and Payment.objects.count() == 1


def test_monthly_mode_issues_one_statement_per_client_and_month(partnership, priced, now):
    priced.invoice_mode = "monthly"
    priced.save()
    month = (now.date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    start = dt.datetime.combine(month, dt.time(15), tzinfo=dt.UTC)
    for day in (2, 9):
        charging.settle_appointment(
            appointment_id=attended(partnership, start + dt.timedelta(days=day)).pk
        )
    assert not Invoice.objects.exists()
    assert invoicing.issue_monthly_statements(month_start=month) == 1
    assert invoicing.issue_monthly_statements(month_start=month) == 0
    statement = Invoice.objects.get()
    assert statement.kind == "statement" and statement.total_minor == 2 * SESSION_FEE
    assert statement.period_start == month and statement.lines.count() == 2


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_invoice_pdf_is_in_the_clients_language_without_clinical_detail(
    partnership, priced, now, client_user
):
    client_user.preferred_language = "es"
    client_user.save(update_fields=["preferred_language"])
    invoice = session_invoice(partnership, now - dt.timedelta(days=1))
    text = _pdf_text(pdf.invoice_pdf(invoice))
    with translation.override("es"):
        issued = formats.date_format(invoice.issued_at, "DATE_FORMAT")
    # Dates and amounts as Spanish writes them (the words follow once translated).
    assert f"{issued}" in text and "150,00" in text and "$150.00" not in text
    assert "INV-000001" in text and "Riverside Counselling" in text and "90834" in text
    for clinical in ("diagnos", "diagnóstico", "ICD", "F41"):
        assert clinical not in text


def test_a_receipt_shows_the_payment_and_a_zero_balance(partnership, priced, now):
    invoice = session_invoice(partnership, now - dt.timedelta(days=1))
    payments.record_payment(
        invoice=invoice, amount_minor=SESSION_FEE, currency="USD", method="cash"
    )
    text = _pdf_text(pdf.receipt_pdf(invoice))
    assert "Receipt" in text and "Cash" in text and "$0.00" in text


# --- numbering under concurrency --------------------------------------------------------
ISSUES = 20


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_issues_are_numbered_without_gaps(partnership, priced, now):
    # given twenty open charges, one per appointment
    charges = [
        Charge.objects.create(
            appointment=attended(partnership, now - dt.timedelta(days=2, hours=n)),
            client=partnership.client,
            therapist=partnership.therapist,
            kind="session",
            amount_minor=SESSION_FEE,
            currency="USD",
            service_date=now.date(),
        )
        for n in range(ISSUES)
    ]
    barrier = threading.Barrier(ISSUES)
    outcomes: list[object] = []
    lock = threading.Lock()

    def issue(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                invoice = invoicing.issue_invoice(charges=[charges[n]])
                if n % 5 == 0:  # a quarter of them fail after taking their number
                    raise RuntimeError("rolled back")
            outcome: object = invoice.number
        except Exception as exc:
            outcome = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    # when all twenty issue at once, each on its own connection
    threads = [threading.Thread(target=issue, args=(n,)) for n in range(ISSUES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    # then the committed ones are numbered 1..15 with no gap and no repeat
    numbers = sorted(o for o in outcomes if isinstance(o, int))
    failures = [o for o in outcomes if not isinstance(o, int)]
    assert all(isinstance(f, RuntimeError) for f in failures), failures
    assert len(failures) == ISSUES // 5
    assert numbers == list(range(1, ISSUES - ISSUES // 5 + 1))
    stored = sorted(Invoice.objects.values_list("number", flat=True))
    assert stored == numbers


def test_invoice_and_payment_emails_carry_no_clinical_detail(
    partnership, priced, now, mailoutbox, django_capture_on_commit_callbacks
):
    from alliance.billing import notices

    with django_capture_on_commit_callbacks() as queued:
        invoice = session_invoice(partnership, now - dt.timedelta(days=1))
    assert len(queued) == 1  # the e-mail is enqueued once the invoice has committed
    payment = payments.record_payment(
        invoice=invoice, amount_minor=SESSION_FEE, currency="USD", method="cash"
    )
    assert notices.send_invoice_email.call(invoice.pk)
    assert notices.send_payment_email.call(payment.pk)
    invoice_mail, payment_mail = mailoutbox
    assert "INV-000001 for $150.00" in invoice_mail.body and "/billing/" in invoice_mail.body
    assert "payment of $150.00 for invoice INV-000001" in payment_mail.body
    for message in (invoice_mail, payment_mail):
        for clinical in ("90834", "Session", "Dr Tess", "therapy", "diagnos"):
            assert clinical not in message.subject + message.body
