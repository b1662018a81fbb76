"""Documents a client signs: versions, the signature bound to a SHA-256 of what was shown,
booking held back until the required ones are signed, the signed copy an encrypted PDF,
releases of information that end or are revoked."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.utils import timezone

from alliance.privacy.models import AuditEvent
from alliance.records import documents, signing
from alliance.records.errors import RecordsError
from alliance.records.models import Document, DocumentVersion, Signature
from tests.conftest import logged_in, make_client

CONSENT = "We meet by video.\n\nYou may stop at any time."


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def consent(admin_user):
    return documents.create_document(
        kind="informed_consent",
        title="Informed consent",
        body=CONSENT,
        required_before_booking=True,
        by=admin_user,
    )


@pytest.fixture
def release_doc(admin_user):
    return documents.create_document(
        kind="release_of_information",
        title="Release of information",
        body="I allow the practice to send my record to the person named below.",
        required_before_booking=False,
        by=admin_user,
    )


def sign_page(browser, version, **fields):
    headers = {k: fields.pop(k) for k in list(fields) if k.startswith("HTTP_")}
    data = {
        "typed_name": "Casey Jones",
        "agreed": "on",
        "electronic": "on",
        "shown": documents.sha256(signing.shown_text(version)),
        **fields,
    }
    return browser.post(
        f"/records/documents/{version.pk}/sign/",
        {k: v for k, v in data.items() if v is not None},
        **headers,
    )


# --- versions ---------------------------------------------------------------------------------


def test_a_new_version_is_numbered_and_the_old_text_never_changes(consent, admin_user):
    first = documents.current_version(consent)
    second = documents.publish_version(document=consent, body=CONSENT + "\n\nNew.", by=admin_user)
    assert (first.number, second.number) == (1, 2)
    assert second.body_sha256 == documents.sha256(CONSENT + "\n\nNew.")
    assert documents.current_version(consent) == second
    first.body = "edited"
    with pytest.raises(ValueError, match="cannot change"):
        first.save()
    assert DocumentVersion.objects.get(pk=first.pk).body == CONSENT


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "cannot be empty"), ("x" * 50_001, "at most 50000"), (CONSENT, "already published")],
)
def test_a_bad_new_version_is_refused_and_changes_nothing(consent, admin_user, body, message):
    with pytest.raises(RecordsError, match=message):
        documents.publish_version(document=consent, body=body, by=admin_user)
    assert consent.versions.count() == 1


def test_the_admin_page_publishes_and_bad_input_changes_nothing(admin_user, consent):
    page = logged_in(admin_user)
    assert page.get("/records/practice/documents/").status_code == 200
    url = f"/records/practice/documents/{consent.pk}/"
    assert page.post(url, {"publish": "1", "body": "x" * 50_001}).status_code == 400
    assert page.post(url, {"publish": "1", "body": CONSENT + " v2"}).status_code == 302
    assert consent.versions.count() == 2
    made = page.post(
        "/records/practice/documents/",
        {
            "kind": "release_of_information",
            "title": "ROI",
            "body": "x",
            "required_before_booking": "on",
        },
    )
    assert made.status_code == 400 and "never required" in made.content.decode()
    assert not Document.objects.filter(title="ROI").exists()


def test_only_an_admin_writes_documents(their_therapist, client_user, consent):
    for user in (their_therapist, client_user):
        assert logged_in(user).get("/records/practice/documents/").status_code in (302, 403)
        with pytest.raises(RecordsError, match="administrator"):
            documents.publish_version(document=consent, body="other", by=user)


# --- booking waits for the signatures ---------------------------------------------------------


def test_booking_waits_for_the_required_documents_and_a_new_version(
    consent, partnership, client_user, admin_user
):
    from alliance.schedule import services
    from alliance.schedule.errors import ScheduleError

    when = timezone.now() + dt.timedelta(days=3)
    with pytest.raises(ScheduleError, match="Sign “Informed consent”"):
        services.book_appointment(
            partnership=partnership, starts_at=when, modality="video", by=client_user
        )
    page = logged_in(client_user).get(f"/schedule/partnerships/{partnership.pk}/book/")
    version = documents.current_version(consent)
    assert f'href="/records/documents/{version.pk}/sign/"' in page.content.decode()

    assert sign_page(logged_in(client_user), version).status_code == 302
    assert documents.to_sign(client_user) == []
    assert (
        "Before you book"
        not in logged_in(client_user)
        .get(f"/schedule/partnerships/{partnership.pk}/book/")
        .content.decode()
    )

    # a new version asks again
    newer = documents.publish_version(document=consent, body=CONSENT + " Changed.", by=admin_user)
    assert documents.to_sign(client_user) == [newer]
    with pytest.raises(ScheduleError, match="Informed consent"):
        services.book_appointment(
            partnership=partnership, starts_at=when, modality="video", by=client_user
        )


# --- signing ----------------------------------------------------------------------------------


def test_a_signature_keeps_the_intent_and_the_hash_of_what_was_shown(consent, client_user):
    version = documents.current_version(consent)
    response = sign_page(logged_in(client_user), version, HTTP_USER_AGENT="TestBrowser/1")
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.typed_name == "Casey Jones" and signature.electronic_records_consent
    assert signature.statement == signing.statement()
    assert signature.shown_sha256 == documents.sha256(signing.shown_text(version))
    assert signature.version == version and signature.user_agent == "TestBrowser/1"
    shown = signing.shown_text(version)
    assert CONSENT in shown and "Version 1" in shown and signing.statement() in shown


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"typed_name": "Alex Other"}, "only for yourself"),
        ({"typed_name": " "}, "Type your full name"),
        ({"agreed": None}, "Tick the statement"),
        ({"electronic": None}, "sign electronically"),
        ({"shown": "0" * 64}, "not what is on record"),
    ],
)
def test_a_signature_without_intent_or_for_someone_else_is_refused(
    consent, client_user, fields, message
):
    version = documents.current_version(consent)
    response = sign_page(logged_in(client_user), version, **fields)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Signature.objects.exists()


def test_an_outdated_version_cannot_be_signed(consent, client_user, admin_user):
    old = documents.current_version(consent)
    documents.publish_version(document=consent, body=CONSENT + " v2", by=admin_user)
    response = sign_page(logged_in(client_user), old)
    assert response.status_code == 400 and "newer version" in response.content.decode()
    assert not Signature.objects.exists()


def test_a_version_is_signed_once_and_only_by_a_client(consent, client_user, their_therapist):
    version = documents.current_version(consent)
    assert sign_page(logged_in(client_user), version).status_code == 302
    again = sign_page(logged_in(client_user), version)
    assert again.status_code == 400 and "already signed" in again.content.decode()
    with pytest.raises(RecordsError, match="Only a client"):
        signing.sign(
            client=their_therapist,
            version=version,
            typed_name="Dr Tess",
            agreed=True,
            electronic=True,
            shown_sha256=documents.sha256(signing.shown_text(version)),
        )
    assert Signature.objects.count() == 1


# --- the signed copy --------------------------------------------------------------------------


def test_the_signed_copy_is_an_encrypted_pdf_only_the_client_downloads(
    consent, client_user, admin_user, jurisdiction
):
    sign_page(logged_in(client_user), documents.current_version(consent))
    signature = Signature.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT signed_pdf FROM {Signature._meta.db_table}")  # noqa: S608
        stored = cursor.fetchone()[0]
    assert stored.startswith("ck1:") and "JVBER" not in stored  # base64 of "%PDF" never in clear

    response = logged_in(client_user).get(f"/records/signatures/{signature.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = pdf_text(response.content)
    for expected in (
        "Informed consent",
        "You may stop at any time.",
        "Casey Jones",
        signature.shown_sha256[:32],
    ):
        assert expected in text.replace("\n", ""), expected

    stranger = make_client("stranger@example.org", jurisdiction, name="Sam")
    assert logged_in(stranger).get(f"/records/signatures/{signature.pk}.pdf").status_code == 404
    before = AuditEvent.objects.filter(client_id=client_user.pk).count()
    assert logged_in(admin_user).get(f"/records/signatures/{signature.pk}.pdf").status_code == 200
    assert AuditEvent.objects.filter(client_id=client_user.pk).count() == before + 1


# --- releases of information ------------------------------------------------------------------


def _release(browser, version, **fields):
    until = (timezone.localdate() + dt.timedelta(days=90)).isoformat()
    return sign_page(
        browser,
        version,
        **{
            "recipient": "Dr Lee, Northside Clinic",
            "purpose": "Continuing care",
            "expires_on": until,
            **fields,
        },
    )


def test_a_release_names_its_recipient_and_end_and_can_be_revoked(release_doc, client_user):
    version = documents.current_version(release_doc)
    browser = logged_in(client_user)
    assert _release(browser, version).status_code == 302
    assert _release(browser, version, recipient="Dr Kim").status_code == 302  # one per recipient
    first, second = Signature.objects.order_by("id")
    assert str(first.recipient) == "Dr Lee, Northside Clinic" and first.release
    assert len(signing.releases_in_force(client_user)) == 2
    later = timezone.localdate() + dt.timedelta(days=91)
    assert signing.releases_in_force(client_user, on=later) == []

    assert browser.post(f"/records/signatures/{first.pk}/revoke/").status_code == 302
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert [s.pk for s in signing.releases_in_force(client_user)] == [second.pk]
    with pytest.raises(RecordsError, match="already revoked"):
        signing.revoke(signature=first, by=client_user)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"recipient": ""}, "Who may receive"),
        ({"expires_on": "2020-01-01"}, "a date after today"),
        ({"expires_on": (dt.date.today() + dt.timedelta(days=400)).isoformat()}, "at most a year"),
    ],
)
def test_a_bad_release_is_refused(release_doc, client_user, fields, message):
    response = _release(logged_in(client_user), documents.current_version(release_doc), **fields)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Signature.objects.exists()


def test_nobody_else_revokes_and_a_consent_is_not_revoked_here(
    release_doc, consent, client_user, jurisdiction
):
    _release(logged_in(client_user), documents.current_version(release_doc))
    sign_page(logged_in(client_user), documents.current_version(consent))
    release, signed_consent = Signature.objects.order_by("id")
    stranger = make_client("stranger@example.org", jurisdiction, name="Sam")
    assert logged_in(stranger).post(f"/records/signatures/{release.pk}/revoke/").status_code == 404
    with pytest.raises(RecordsError, match="Only a release"):
        signing.revoke(signature=signed_consent, by=client_user)
    assert not Signature.objects.filter(revoked_at__isnull=False).exists()


# --- export and erasure -----------------------------------------------------------------------


def test_the_export_lists_signatures_and_erasure_keeps_the_evidence_only(
    consent, release_doc, client_user, admin_user
):
    from alliance.privacy import rights

    sign_page(logged_in(client_user), documents.current_version(consent))
    _release(logged_in(client_user), documents.current_version(release_doc))
    exported = rights.export_json(user=client_user)["parts"]["records"]["signed_documents"]
    assert {row["document"] for row in exported} == {"Informed consent", "Release of information"}
    [release] = [row["release"] for row in exported if row["release"]]
    assert release["recipient"] == "Dr Lee, Northside Clinic"

    report = rights.erase_client(user=client_user, actor=admin_user)
    assert report.parts["records"]["signatures_kept_as_evidence_of_consent"] == 2
    for signature in Signature.objects.all():
        assert signature.typed_name == "" and signature.shown_sha256
        assert "Dr Lee" not in str(signature.recipient)
        assert str(signature.signed_pdf).startswith("[")  # unreadable once the key is gone
