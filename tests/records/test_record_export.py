"""The record on request: the PDF's text holds every part of the record, the FHIR form is a
document Bundle that fhir.resources (R4B) validates, and a transfer needs a release in force."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from alliance.privacy.models import AuditEvent
from alliance.records import documents, signing
from tests.checkins.conftest import phq9_answers
from tests.conftest import logged_in, make_appointment, make_client


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _sign(client, version, **release):
    return signing.sign(
        client=client,
        version=version,
        typed_name="Casey Jones",
        agreed=True,
        electronic=True,
        shown_sha256=documents.sha256(signing.shown_text(version)),
        release=signing.Release(**release) if release else None,
    )


@pytest.fixture
def record(partnership, client_user, their_therapist, admin_user):
    """A consent and a release signed, an agreed goal, a signed DAP note with an addendum,
    an attended and a missed session, a PHQ-9 answered."""
    from alliance.checkins import services
    from alliance.goals.models import Goal
    from alliance.records import plans
    from alliance.schedule import progress_notes

    consent = documents.create_document(
        kind="informed_consent",
        title="Informed consent",
        body="We meet by video.",
        required_before_booking=True,
        by=admin_user,
    )
    release = documents.create_document(
        kind="release_of_information",
        title="Release of information",
        body="Send my record.",
        required_before_booking=False,
        by=admin_user,
    )
    _sign(client_user, documents.current_version(consent))
    roi = _sign(
        client_user,
        documents.current_version(release),
        recipient="Dr Lee, Northside Clinic",
        purpose="Continuing care",
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    now = timezone.now()
    Goal.objects.create(
        partnership=partnership,
        title="Sleep through the night",
        proposed_by=client_user,
        proposed_by_side="client",
        agreed_by_client_at=now,
        agreed_by_therapist_at=now,
        created_at=now,
    )
    held = make_appointment(partnership, now - dt.timedelta(days=7), status="attended")
    make_appointment(partnership, now - dt.timedelta(days=14), status="no_show")
    note = progress_notes.save_progress_note(
        appointment=held,
        author=their_therapist,
        template="dap",
        data="Slept four hours",
        assessment="Improving",
        plan="Keep a diary",
    )
    progress_notes.sign_progress_note(note=note, by=their_therapist)
    progress_notes.add_note_addendum(note=note, author=their_therapist, text="Diary started.")
    progress_notes.share_progress_note(note=note, by=their_therapist, shared=True)
    goal = Goal.objects.get(partnership=partnership)
    plans.write_plan(
        partnership=partnership,
        by=their_therapist,
        draft=plans.Draft(
            diagnoses=("F51.01",),
            presenting_problems="Waking at 3 a.m. most nights",
            goals=(
                plans.GoalEntry(
                    goal.pk,
                    (
                        plans.Objective(
                            "Six hours on 5 nights of 7",
                            timezone.localdate() + dt.timedelta(days=60),
                        ),
                    ),
                ),
            ),
            interventions="CBT for insomnia",
            frequency="weekly",
            review_on=timezone.localdate() + dt.timedelta(days=90),
        ),
    )
    services.submit_response(
        partnership=partnership,
        respondent=client_user,
        instrument_id="phq9",
        answers=phq9_answers([1] * 9),
        request=services.request_checkin(partnership=partnership),
    )
    return roi


def test_the_pdf_holds_every_part_of_the_record(record, client_user):
    response = logged_in(client_user).get("/records/my-record.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "Clinical record",
        "Informed consent v1",
        "Release of information v1",
        "Dr Lee, Northside Clinic",
        "Sleep through the night",
        "Slept four hours",
        "Keep a diary",
        "Diary started.",
        "F51.01",
        "Waking at 3 a.m. most nights",
        "Six hours on 5 nights of 7",
        "CBT for insomnia",
        "phq9",
        "Attended",
        "1 / ",  # numbered pages
    ):
        assert expected in text, expected
    assert AuditEvent.objects.filter(
        client_id=client_user.pk, action="export", reason="record on request (pdf)"
    ).exists()


def test_drafts_are_not_in_the_record_and_unshared_notes_only_in_a_transfer(
    record, partnership, their_therapist, client_user, admin_user
):
    from alliance.schedule import progress_notes

    def note(days, text):
        return progress_notes.save_progress_note(
            appointment=make_appointment(
                partnership, timezone.now() - dt.timedelta(days=days), status="attended"
            ),
            author=their_therapist,
            template="free",
            text=text,
        )

    note(1, "Draft thoughts")
    kept = note(2, "Working hypothesis")
    progress_notes.sign_progress_note(note=kept, by=their_therapist)
    text = pdf_text(logged_in(client_user).get("/records/my-record.pdf").content)
    assert "Draft thoughts" not in text and "Working hypothesis" not in text
    assert "1 signed note is kept as your therapist's working note" in text.replace("\n", " ")
    sent = pdf_text(
        logged_in(admin_user).get(f"/records/practice/releases/{record.pk}/record.pdf").content
    )
    assert "Working hypothesis" in sent and "Draft thoughts" not in sent


def test_the_fhir_record_is_a_valid_document_bundle(record, client_user):
    response = logged_in(client_user).get("/records/my-record.fhir.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.type == "document"
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert kinds[0] == "Composition" and "Patient" in kinds
    for kind in ("DocumentReference", "Goal", "Encounter", "QuestionnaireResponse", "CarePlan"):
        assert kind in kinds, kind
    composition = bundle.entry[0].resource
    ids = {f"{e.resource.get_resource_type()}/{e.resource.id}" for e in bundle.entry}
    titles = [section.title for section in composition.section]
    assert titles == [
        "Signed documents",
        "Treatment plan",
        "Goals",
        "Progress notes",
        "Measures",
        "Attendance",
    ]
    # every section entry points at an entry of the bundle
    for section in composition.section:
        for ref in section.entry or []:
            assert ref.reference in ids, ref.reference
    notes = [
        e.resource
        for e in bundle.entry
        if e.resource.get_resource_type() == "DocumentReference"
        and e.resource.type.coding
        and e.resource.type.coding[0].code == "11506-3"
    ]
    assert len(notes) == 1
    signed = [
        e.resource
        for e in bundle.entry
        if e.resource.get_resource_type() == "DocumentReference" and not e.resource.type.coding
    ]
    assert len(signed) == 2
    assert all(d.content[0].attachment.contentType == "application/pdf" for d in signed)
    assert all(d.content[0].attachment.data.startswith(b"%PDF") for d in signed)
    [condition] = [
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "Condition"
    ]
    assert condition.code.coding[0].code == "F51.01"
    assert condition.code.coding[0].system == "http://hl7.org/fhir/sid/icd-10-cm"
    [care_plan] = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "CarePlan"]
    assert care_plan.addresses[0].reference == f"Condition/{condition.id}"
    assert care_plan.goal[0].reference in ids
    encounters = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Encounter"]
    assert sorted(e.status for e in encounters) == ["cancelled", "finished"]


def test_a_transfer_needs_a_release_in_force_and_is_audited(record, admin_user, client_user):
    page = logged_in(admin_user)
    listing = page.get("/records/practice/releases/").content.decode()
    assert "Dr Lee, Northside Clinic" in listing
    sent = page.get(f"/records/practice/releases/{record.pk}/record.pdf")
    assert sent.status_code == 200
    assert (
        AuditEvent.objects.filter(
            client_id=client_user.pk, actor_id=admin_user.pk, reason__startswith="record transfer"
        ).count()
        == 1
    )
    signing.revoke(signature=record, by=client_user)
    refused = page.get(f"/records/practice/releases/{record.pk}/record.fhir.json")
    assert refused.status_code == 302
    assert AuditEvent.objects.filter(reason__startswith="record transfer").count() == 1
    assert "Dr Lee" not in page.get("/records/practice/releases/").content.decode()


def test_nobody_else_gets_the_record(record, their_therapist, jurisdiction):
    stranger = make_client("stranger@example.org", jurisdiction, name="Sam")
    # a client's own URL only ever gives their own record
    text = pdf_text(logged_in(stranger).get("/records/my-record.pdf").content)
    assert "Sleep through the night" not in text and "Dr Lee" not in text
    therapist = logged_in(their_therapist)
    assert therapist.get("/records/my-record.pdf").status_code in (302, 403)
    assert therapist.get(f"/records/practice/releases/{record.pk}/record.pdf").status_code in (
        302,
        403,
    )
