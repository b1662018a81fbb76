"""Superbills: the identifiers and diagnosis they carry, checked on the way in; the PDF a
client asks for, with its codes and totals; and the diagnosis nowhere else."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection

from alliance.billing import (
    diagnoses,
    invoicing,
    payments,
    pdf,
    superbill,
    superbill_identifiers,
)
from alliance.billing.errors import BillingError
from alliance.billing.models import Charge
from alliance.billing.superbill_models import Diagnosis, ProviderIdentifiers, Superbill
from alliance.privacy.models import AuditEvent
from tests.billing.conftest import LATE_FEE, SESSION_FEE, attended, session_invoice
from tests.conftest import logged_in, make_appointment, make_client

# The NPI of CMS's own worked example of the check digit, and another of ours that passes.
PRACTICE_NPI = "1234567893"
THERAPIST_NPI = "1245319599"


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- identifiers --------------------------------------------------------------------------


@pytest.mark.parametrize("npi", [PRACTICE_NPI, THERAPIST_NPI, "1234-567-893", " 1234567893 "])
def test_an_npi_with_a_right_check_digit_is_taken(npi):
    assert superbill_identifiers.check_npi(npi) == npi.replace("-", "").strip()


@pytest.mark.parametrize(
    ("npi", "message"),
    [
        ("1234567890", "check digit"),
        ("1234567894", "check digit"),
        ("123456789", "ten digits"),
        ("12345678931", "ten digits"),
        ("12345678a3", "ten digits"),
    ],
)
def test_a_wrong_npi_is_refused(npi, message):
    with pytest.raises(BillingError, match=message):
        superbill_identifiers.check_npi(npi)


@pytest.mark.parametrize(
    ("text", "found"), [("12-3456789", "12-3456789"), ("123456789", "12-3456789")]
)
def test_an_ein_is_written_as_the_irs_writes_it(text, found):
    assert superbill_identifiers.check_tax_id(text) == found


@pytest.mark.parametrize("text", ["00-1234567", "1-23456789", "12-345678", "123-45-6789"])
def test_a_wrong_ein_or_a_social_security_number_is_refused(text):
    with pytest.raises(BillingError, match="EIN"):
        superbill_identifiers.check_tax_id(text)


def test_a_therapist_sets_their_identifiers_and_a_bad_one_changes_nothing(their_therapist):
    page = logged_in(their_therapist)
    good = page.post(
        "/billing/therapist/identifiers/", {"npi": THERAPIST_NPI, "tax_id": "12-3456789"}
    )
    assert good.status_code == 302
    bad = page.post("/billing/therapist/identifiers/", {"npi": "1234567890", "tax_id": ""})
    assert bad.status_code == 400 and "check digit" in bad.content.decode()
    row = ProviderIdentifiers.objects.get(therapist=their_therapist)
    assert (row.npi, row.tax_id) == (THERAPIST_NPI, "12-3456789")


def test_only_an_admin_sets_the_practices_identifiers(their_therapist, admin_user):
    assert logged_in(their_therapist).get("/billing/practice/identifiers/").status_code in (
        302,
        403,
        404,
    )
    done = logged_in(admin_user).post(
        "/billing/practice/identifiers/", {"npi": PRACTICE_NPI, "tax_id": "98-7654321"}
    )
    assert done.status_code == 302
    assert ProviderIdentifiers.objects.get(therapist__isnull=True).npi == PRACTICE_NPI


# --- the diagnosis ------------------------------------------------------------------------


def test_the_shipped_codes_are_billable_mental_health_codes():
    codes = diagnoses.codes()
    assert "F41.1" in codes and "F43.10" in codes and "F32.A" in codes
    assert all(code.startswith("F") for code in codes)
    # a category with subcodes is a header, never billable
    assert "F43.1" not in codes and "F32" not in codes


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("F43.1", "not a billable"),  # a header: F43.10, F43.11, F43.12 are the codes
        ("F99.9", "not a billable"),
        ("Z63.0", "Write the ICD-10-CM code"),
        ("F4", "Write the ICD-10-CM code"),
        ("F41.1; DROP", "Write the ICD-10-CM code"),
    ],
)
def test_an_unknown_or_header_code_is_refused(code, message):
    with pytest.raises(BillingError, match=message):
        diagnoses.check_code(code)


def test_the_therapist_enters_a_diagnosis_which_is_stored_encrypted(their_therapist, partnership):
    page = logged_in(their_therapist)
    url = f"/billing/therapist/diagnosis/{partnership.pk}/"
    assert page.get(url).status_code == 200
    done = page.post(url, {"code": "f41.1", "diagnosed_on": dt.date.today().isoformat()})
    assert done.status_code == 302
    found = Diagnosis.objects.get()
    assert (found.code, found.description) == ("F41.1", diagnoses.codes()["F41.1"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT code, description FROM {Diagnosis._meta.db_table}")  # noqa: S608
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert "F41" not in raw and "anxiety" not in raw.lower()


@pytest.mark.parametrize(
    ("code", "day", "message"),
    [
        ("F43.1", 0, "not a billable"),
        ("Z63.0", 0, "Write the ICD-10-CM code"),
        ("F41.1", 2, "in the future"),
    ],
)
def test_a_bad_diagnosis_on_the_page_changes_nothing(
    their_therapist, partnership, code, day, message
):
    day_text = (dt.date.today() + dt.timedelta(days=day)).isoformat()
    page = logged_in(their_therapist).post(
        f"/billing/therapist/diagnosis/{partnership.pk}/", {"code": code, "diagnosed_on": day_text}
    )
    assert page.status_code == 400 and message in page.content.decode()
    assert not Diagnosis.objects.exists()


def test_another_therapist_cannot_enter_or_read_a_diagnosis(partnership, other_therapist):
    url = f"/billing/therapist/diagnosis/{partnership.pk}/"
    page = logged_in(other_therapist)
    assert page.get(url).status_code == 404
    assert page.post(url, {"code": "F41.1", "diagnosed_on": "2026-01-05"}).status_code == 404
    with pytest.raises(BillingError, match="own therapist"):
        diagnoses.enter_diagnosis(partnership=partnership, code="F41.1", by=other_therapist)
    assert not Diagnosis.objects.exists()


# --- the superbill --------------------------------------------------------------------------


@pytest.fixture
def billed(partnership, priced, now, their_therapist, admin_user):
    """Two sessions billed (one by video, one audio only), the first paid; a late
    cancellation charged; a third session credited; identifiers and a diagnosis set."""
    from alliance.billing import charging

    superbill_identifiers.set_identifiers(therapist=None, npi=PRACTICE_NPI, tax_id="98-7654321")
    superbill_identifiers.set_identifiers(
        therapist=their_therapist, npi=THERAPIST_NPI, tax_id="12-3456789"
    )
    diagnoses.enter_diagnosis(
        partnership=partnership,
        code="F41.1",
        by=their_therapist,
        diagnosed_on=(now - dt.timedelta(days=20)).date(),
    )
    first = session_invoice(partnership, now - dt.timedelta(days=14))
    payments.record_payment(
        invoice=first, amount_minor=SESSION_FEE, currency="USD", method="cash", by=admin_user
    )
    audio = attended(partnership, now - dt.timedelta(days=7))
    audio.modality = "audio"
    audio.save(update_fields=["modality"])
    charging.settle_appointment(appointment_id=audio.pk)
    late = make_appointment(
        partnership,
        now - dt.timedelta(days=3),
        status="cancelled",
        cancelled_at=now - dt.timedelta(days=3, hours=2),
        cancelled_by=partnership.client,
        late_cancellation=True,
    )
    charging.settle_appointment(appointment_id=late.pk)
    credited = session_invoice(partnership, now - dt.timedelta(days=2))
    invoicing.issue_credit_note(invoice=credited, reason="Billed twice", by=admin_user)
    return partnership


def test_the_superbill_pdf_has_the_codes_providers_and_totals(billed, client_user, now):
    # the late cancellation was charged, and is not a service
    assert Charge.objects.filter(kind="late_cancellation", amount_minor=LATE_FEE).exists()
    browser = logged_in(client_user)
    start = (now - dt.timedelta(days=30)).date().isoformat()
    asked = browser.post(
        "/billing/superbills/request/", {"start": start, "end": now.date().isoformat()}
    )
    assert asked.status_code == 302
    made = Superbill.objects.get()
    response = browser.get(f"/billing/superbills/{made.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(
        b"".join(response.streaming_content) if response.streaming else response.content
    )

    for expected in (
        "Superbill",
        "Riverside Counselling",
        PRACTICE_NPI,
        "98-7654321",
        "Dr Tess",
        THERAPIST_NPI,
        "12-3456789",
        "F41.1",
        diagnoses.codes()["F41.1"],
        "90834",
        "Casey",
    ):
        assert expected in text, expected
    data = superbill.superbill_data(made)
    # the two sessions, not the late fee, not the credited session
    assert [(line.code, line.place, line.modifier) for line in data.lines] == [
        ("90834", "10", "95"),
        ("90834", "10", "93"),
    ]
    assert (data.total_fees_minor, data.total_paid_minor, data.balance_minor) == (
        2 * SESSION_FEE,
        SESSION_FEE,
        SESSION_FEE,
    )
    assert "$300.00" in text and "$150.00" in text
    assert " 95 " in f" {text} ".replace("\n", " ") and " 93 " in f" {text} ".replace("\n", " ")
    assert "$75.00" not in text


def test_only_the_client_opens_their_superbill_and_an_admin_is_audited(
    billed, client_user, their_therapist, admin_user, jurisdiction, now
):
    made = superbill.request_superbill(
        client=client_user, start=(now - dt.timedelta(days=30)).date(), end=now.date()
    )
    url = f"/billing/superbills/{made.pk}.pdf"
    stranger = make_client("stranger@example.org", jurisdiction, name="Sam")
    assert logged_in(stranger).get(url).status_code == 404
    assert logged_in(their_therapist).get(url).status_code in (302, 403, 404)
    with pytest.raises(BillingError, match="Only the client"):
        superbill.superbill_pdf(superbill=made, reader=their_therapist)
    before = AuditEvent.objects.filter(client_id=client_user.pk).count()
    opened = logged_in(admin_user).get(f"/billing/practice/superbills/{made.pk}.pdf")
    assert opened.status_code == 200
    event = AuditEvent.objects.filter(client_id=client_user.pk).order_by("-id").first()
    assert AuditEvent.objects.filter(client_id=client_user.pk).count() == before + 1
    assert event.actor_id == admin_user.pk and event.reason == "superbill"


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(0, -5, "end comes before"), (-10, 3, "end it today")],
)
def test_a_bad_period_is_refused_and_nothing_is_requested(client_user, now, start, end, message):
    today = now.date()
    page = logged_in(client_user).post(
        "/billing/superbills/request/",
        {
            "start": (today + dt.timedelta(days=start)).isoformat(),
            "end": (today + dt.timedelta(days=end)).isoformat(),
        },
    )
    assert page.status_code == 400 and message in page.content.decode()
    assert not Superbill.objects.exists()


def test_only_a_client_asks_for_a_superbill(their_therapist, now):
    with pytest.raises(BillingError, match="Only a client"):
        superbill.request_superbill(client=their_therapist, start=now.date(), end=now.date())


def test_the_diagnosis_is_on_no_invoice_receipt_statement_or_page(billed, client_user):
    from alliance.billing.models import Invoice

    invoices = Invoice.objects.filter(client=client_user).exclude(kind="credit_note")
    description = diagnoses.codes()["F41.1"]
    for invoice in invoices:
        for data in (pdf.invoice_pdf(invoice), pdf.receipt_pdf(invoice)):
            text = pdf_text(data)
            assert "F41" not in text and description not in text
    browser = logged_in(client_user)
    for url in ["/billing/", *[f"/billing/invoices/{i.pk}/" for i in invoices]]:
        body = browser.get(url).content.decode()
        assert "F41" not in body and description not in body


def test_the_export_has_the_diagnosis_and_superbills_and_erasure_makes_it_unreadable(
    billed, client_user, admin_user, now
):
    from alliance.privacy import rights

    superbill.request_superbill(client=client_user, start=now.date(), end=now.date())
    billing = rights.export_json(user=client_user)["parts"]["billing"]
    [diagnosis] = billing["diagnoses"]
    assert diagnosis["code"] == "F41.1" and diagnosis["entered_by"] == "Dr Tess"
    assert billing["superbills"][0]["period_end"] == now.date().isoformat()
    rights.erase_client(user=client_user, actor=admin_user)
    assert "F41.1" not in str(Diagnosis.objects.get().code)
