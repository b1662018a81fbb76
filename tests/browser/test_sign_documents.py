"""Signing clinical records in Chromium: a therapist writes a DAP progress note, signs and
locks it, and adds an addendum under it; axe on every page."""

from __future__ import annotations

import datetime as dt

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
