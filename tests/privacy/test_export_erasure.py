"""Export validates as FHIR; erasure leaves no personal data in a dump and shreds text."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from alliance.accounts.models import User
from alliance.care.models import CaseNote
from alliance.care.services import add_case_note
from alliance.privacy import keys
from alliance.privacy.fields import UNREADABLE
from tests.conftest import PASSWORD, logged_in
from tests.privacy.dump import database_dump

NOTE = "Zebra-quartz marker: client described the flood of 2019"


@pytest.fixture
def client_with_history(transactional_db, partnership, their_therapist, client_user):
    add_case_note(partnership=partnership, author=their_therapist, text=NOTE)
    return client_user


def test_json_export_has_the_clients_data(client_with_history):
    response = logged_in(client_with_history).get("/privacy/settings/export.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == "client@example.org"
    assert data["profile"]["emergency_contact"]["name"] == "Jamie"
    assert data["consents"][0]["kind"] == "telehealth"
    assert data["partnerships"][0]["therapist"] == "Dr Tess"


def test_fhir_export_validates(client_with_history):
    response = logged_in(client_with_history).get("/privacy/settings/export.fhir.json")
    assert response.status_code == 200
    bundle = Bundle.model_validate(json.loads(response.content))
    kinds = {entry.resource.get_resource_type() for entry in bundle.entry}
    assert {"Patient", "Consent"} <= kinds


def test_others_cannot_export_a_client(client_with_history, their_therapist, admin_user, client):
    assert logged_in(their_therapist).get("/privacy/settings/export.json").status_code == 403
    assert logged_in(admin_user).get("/privacy/settings/export.json").status_code == 403
    assert client.get("/privacy/settings/export.json").status_code == 302


def test_erasure_needs_the_right_confirmation_and_changes_nothing_otherwise(client_with_history):
    browser = logged_in(client_with_history)
    response = browser.post(
        "/privacy/settings/erase/", {"confirm_email": "wrong@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert User.objects.get(pk=client_with_history.pk).is_active
    response = browser.post(
        "/privacy/settings/erase/", {"confirm_email": client_with_history.email, "password": "nope"}
    )
    assert response.status_code == 400
    assert CaseNote.objects.get().text == NOTE


def test_after_erasure_a_dump_holds_no_personal_data_and_text_is_shredded(
    client_with_history, partnership
):
    # given the client's personal data and an encrypted note are in the database
    before = database_dump()
    assert b"client@example.org" in before and b"Jamie" in before
    stored = CaseNote.objects.values_list("id", flat=True).get()
    # when the client erases their account
    browser = logged_in(client_with_history)
    response = browser.post(
        "/privacy/settings/erase/",
        {"confirm_email": client_with_history.email, "password": PASSWORD},
    )
    assert response.status_code == 200
    keys.forget()
    # then a dump holds none of their personal data ...
    after = database_dump()
    for personal in (b"client@example.org", b"Jamie", b"+1 555 123 4567", b"Casey", b"1990-05-17"):
        assert personal not in after, personal
    # ... the retained clinical structure is still there, its text unreadable
    assert CaseNote.objects.filter(pk=stored).exists()
    assert CaseNote.objects.get(pk=stored).text == UNREADABLE
    partnership.refresh_from_db()
    assert partnership.status == "ended" and partnership.end_reason == "client_ended"
    user = User.objects.get(pk=client_with_history.pk)
    assert not user.is_active and not user.has_usable_password()
    # and they can no longer log in
    assert browser.get("/home/").status_code == 302


def test_intake_is_exported_and_its_identity_preferences_erased(client_with_history, jurisdiction):
    from alliance.care.models import Intake

    Intake.objects.create(
        client=client_with_history,
        concerns=["anxiety"],
        change_wanted="Sleep through the night",
        preferences={"faith_informed": {"value": True, "must": True}},
        languages=["en"],
        modality="video",
        jurisdiction=jurisdiction,
        timezone="America/New_York",
    )
    data = json.loads(logged_in(client_with_history).get("/privacy/settings/export.json").content)
    intake = data["parts"]["care"]["intakes"][0]
    assert intake["what_you_want_to_change"] == "Sleep through the night"
    assert intake["preferences"]["faith_informed"]["must"] is True
    from alliance.privacy.rights import erase_client

    erase_client(user=client_with_history, actor=client_with_history)
    keys.forget()
    kept = Intake.objects.get(client=client_with_history)
    assert kept.preferences == {} and kept.change_wanted == UNREADABLE
    assert kept.concerns == ["anxiety"]  # the clinical outline is retained


def test_goals_and_journal_are_in_the_export(client_with_history, partnership, their_therapist):
    from django.utils import timezone

    from alliance.goals.models import Goal
    from alliance.journal.models import JournalEntry

    Goal.objects.create(
        partnership=partnership,
        title="Walk to work twice a week",
        proposed_by=their_therapist,
        proposed_by_side="therapist",
        created_at=timezone.now(),
    )
    JournalEntry.objects.create(
        client=client_with_history,
        partnership=partnership,
        body="Felt calmer today",
        created_at=timezone.now(),
    )
    data = json.loads(logged_in(client_with_history).get("/privacy/settings/export.json").content)
    assert data["parts"]["goals"]["goals"][0]["title"] == "Walk to work twice a week"
    assert data["parts"]["journal"]["entries"][0]["text"] == "Felt calmer today"


def test_check_ins_are_in_the_fhir_export_with_loinc_totals(client_with_history, partnership):
    from alliance.checkins import services

    request = services.request_checkin(partnership=partnership)
    services.submit_response(
        partnership=partnership,
        respondent=client_with_history,
        instrument_id="phq9",
        answers={f"phq9_{i}": 1 for i in range(1, 10)},
        request=request,
    )
    bundle = Bundle.model_validate(
        json.loads(logged_in(client_with_history).get("/privacy/settings/export.fhir.json").content)
    )
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert "QuestionnaireResponse" in kinds
    codes = {
        coding.code
        for entry in bundle.entry
        if entry.resource.get_resource_type() == "Observation"
        for coding in entry.resource.code.coding
    }
    assert "44261-6" in codes


def test_messages_are_exported_then_shredded(client_with_history, partnership):
    from alliance.conversations.models import Message
    from alliance.conversations.services import post_message
    from alliance.privacy.rights import erase_client

    post_message(
        partnership=partnership,
        sender=client_with_history,
        client_id="message-0001",
        body="See you Tuesday",
    )
    data = json.loads(logged_in(client_with_history).get("/privacy/settings/export.json").content)
    assert data["parts"]["conversations"]["messages"][0]["text"] == "See you Tuesday"
    erase_client(user=client_with_history, actor=client_with_history)
    keys.forget()
    assert Message.objects.get(partnership=partnership).body == UNREADABLE


def test_every_reference_in_the_fhir_export_lands_on_an_entry(client_with_history, partnership):
    from alliance.checkins import services

    request = services.request_checkin(partnership=partnership)
    services.submit_response(
        partnership=partnership,
        respondent=client_with_history,
        instrument_id="phq9",
        answers={f"phq9_{i}": 1 for i in range(1, 10)},
        request=request,
    )
    data = json.loads(
        logged_in(client_with_history).get("/privacy/settings/export.fhir.json").content
    )
    full_urls = {entry["fullUrl"] for entry in data["entry"]}
    base = {url.rsplit("/", 2)[0] for url in full_urls}
    assert len(base) == 1  # one FHIR base for the whole Bundle

    def references(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "reference" and isinstance(inner, str):
                    yield inner
                else:
                    yield from references(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from references(inner)

    found = [ref for entry in data["entry"] for ref in references(entry["resource"])]
    assert any(ref.startswith("QuestionnaireResponse/") for ref in found)
    for ref in found:
        assert f"{next(iter(base))}/{ref}" in full_urls, ref
