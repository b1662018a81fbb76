"""Signing clinical records in Chromium: a new client signs the documents the practice
requires before booking and downloads the signed copy; a therapist writes a DAP progress
note, signs and locks it, and adds an addendum under it; axe on every page."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.conftest import assert_accessible
from tests.browser.test_call import open_as
from tests.conftest import make_appointment, make_client, make_therapist

pytestmark = pytest.mark.browser


def test_a_therapist_writes_a_dap_note_signs_it_and_adds_an_addendum(
    live_asgi_server, new_page, jurisdiction
):
    from alliance.care.services import start_partnership
    from alliance.schedule.models import NoteAddendum, ProgressNote

    client = make_client("noor@example.org", jurisdiction, name="Noor")
    therapist = make_therapist("dana@example.org", jurisdiction, name="Dr Dana")
    partnership = start_partnership(client=client, therapist=therapist)
    start = timezone.now() - dt.timedelta(hours=2)
    appointment = make_appointment(partnership, start, status="attended")
    base = live_asgi_server.url
    page = open_as(new_page, base, therapist)

    # the attended session links to its note
    page.goto(f"{base}/schedule/appointments/{appointment.pk}/")
    assert_accessible(page)
    page.get_by_role("link", name="Write the progress note").click()
    page.wait_for_url(f"**/schedule/appointments/{appointment.pk}/note/")
    assert_accessible(page)

    # choosing DAP shows its three fields and nothing else
    page.get_by_role("combobox", name="Format").select_option("dap")
    page.get_by_role("button", name="Use this format").click()
    page.wait_for_url("**/note/?template=dap")
    editor = page.locator("#note-editor")
    assert editor.locator("textarea").evaluate_all("els => els.map(e => e.name)") == [
        "data",
        "assessment",
        "plan",
    ]
    assert_accessible(page)
    page.get_by_role("textbox", name="Data").fill("Described two arguments at work.")
    page.get_by_role("textbox", name="Assessment").fill("Anger follows feeling dismissed.")
    page.get_by_role("textbox", name="Plan").fill("Notice the moment and write it down.")
    page.get_by_role("button", name="Save note").click()
    page.get_by_text("Note saved.").wait_for()
    assert_accessible(page)

    # signing locks it: no editable field is left but the addendum's
    page.get_by_role("button", name="Sign and lock").click()
    page.get_by_role("heading", name="Signed and locked").wait_for()
    assert page.locator("#note-editor").count() == 0
    assert page.get_by_role("button", name="Save note").count() == 0
    assert page.locator("textarea").evaluate_all("els => els.map(e => e.name)") == ["text"]
    assert "Described two arguments at work." in page.locator(".note-body").inner_text()
    assert_accessible(page)

    # the addendum appears under the original, with its author
    page.get_by_role("textbox", name="Addendum").fill(
        "Phoned the next day: the exercise felt too much."
    )
    page.get_by_role("button", name="Add addendum").click()
    page.get_by_text("Addendum added.").wait_for()
    body = page.locator("main").inner_text()
    assert body.index("Described two arguments at work.") < body.index(
        "Phoned the next day: the exercise felt too much."
    )
    assert "Added by Dr Dana" in body
    assert_accessible(page)

    note = ProgressNote.objects.get(appointment=appointment)
    assert note.template == "dap" and note.signed_by_id == therapist.pk
    assert note.section_values()["data"] == "Described two arguments at work."
    assert NoteAddendum.objects.filter(note=note).count() == 1


def test_a_new_client_signs_the_required_documents_before_booking_and_keeps_a_copy(
    live_asgi_server, new_page, jurisdiction, admin_user
):

    from pypdf import PdfReader

    from alliance.care.services import start_partnership
    from alliance.directory.models import AvailabilityWindow
    from alliance.records import documents
    from alliance.records.models import Signature
    from alliance.schedule.models import Appointment

    for title, body in (
        ("Informed consent", "We meet by video.\n\nYou may stop at any time."),
        ("Financial policy", "A session costs what the booking page says."),
    ):
        documents.create_document(
            kind="informed_consent" if title == "Informed consent" else "financial_policy",
            title=title,
            body=body,
            required_before_booking=True,
            by=admin_user,
        )
    client = make_client("robin@example.org", jurisdiction, name="Robin")
    therapist = make_therapist("tess@example.org", jurisdiction, name="Dr Tess")
    partnership = start_partnership(client=client, therapist=therapist)
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            therapist=therapist.therapist_profile, weekday=d, start=dt.time(9), end=dt.time(17)
        )
        for d in range(7)
    )
    base = live_asgi_server.url
    page = open_as(lambda: new_page(accept_downloads=True), base, client)

    # the booking page says what is missing, and booking anyway is refused
    page.goto(f"{base}/schedule/partnerships/{partnership.pk}/book/")
    blockers = page.get_by_role("region", name="Before you book")
    assert blockers.get_by_role("link").count() == 2
    assert_accessible(page)
    page.locator("fieldset.slot-day").nth(1).locator("label.slot").first.click()
    page.get_by_role("button", name="Book this time").click()
    assert page.get_by_role("alert").filter(has_text="Before booking").is_visible()
    assert not Appointment.objects.exists()

    # each document is read and signed
    for title in ("Informed consent", "Financial policy"):
        page.goto(f"{base}/schedule/partnerships/{partnership.pk}/book/")
        page.get_by_role("link", name=f"Sign “{title}”").click()
        page.wait_for_url(re.compile(r"/records/documents/\d+/sign/$"))
        assert page.get_by_role("heading", name=title, level=1).is_visible()
        assert_accessible(page)
        page.get_by_label("I have read this document").check()
        page.get_by_label("I agree to sign and keep this document electronically").check()
        page.get_by_label("Type your full name").fill("Robin Ashe")
        page.get_by_role("button", name="Sign").click()
        page.wait_for_url(re.compile(r"/records/documents/$"))
    assert Signature.objects.filter(client=client).count() == 2
    assert_accessible(page)

    # the signed copy downloads
    with page.expect_download() as info:
        page.get_by_role("link", name="Download (PDF) Informed consent").click()
    data = Path(info.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Informed consent" in text and "Robin Ashe" in text

    # and now booking goes through
    page.goto(f"{base}/schedule/partnerships/{partnership.pk}/book/")
    assert page.get_by_role("region", name="Before you book").count() == 0
    page.locator("fieldset.slot-day").nth(1).locator("label.slot").first.click()
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_url(re.compile(r"/schedule/appointments/\d+/$"))
    assert Appointment.objects.filter(client=client).count() == 1
