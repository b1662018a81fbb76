from __future__ import annotations

import pytest
from django.utils import timezone

from alliance.accounts.models import ClientProfile, ConsentRecord, User
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_client(jurisdiction):
    user = User.objects.create_user(
        email="new@example.org", password="x" * 12, role="client", email_verified_at=timezone.now()
    )
    ClientProfile.objects.create(user=user, date_of_birth="1990-01-01")
    return user


def test_client_without_consent_is_sent_to_onboarding(new_client):
    browser = logged_in(new_client)
    response = browser.get("/home/")
    assert response.status_code == 302
    assert response["Location"] == "/account/welcome/"


def test_missing_consent_tick_is_refused_and_records_nothing(new_client):
    browser = logged_in(new_client)
    response = browser.post("/account/welcome/", {"step": "consent"})
    assert response.status_code == 400
    assert "tick the box" in response.content.decode()
    assert not ConsentRecord.objects.filter(user=new_client).exists()


def test_onboarding_completes_with_profile_and_consent(new_client, jurisdiction):
    browser = logged_in(new_client)
    response = browser.post(
        "/account/welcome/",
        {
            "step": "profile",
            "jurisdiction": jurisdiction.pk,
            "timezone": "America/New_York",
            "emergency_contact_name": "Sam",
            "emergency_contact_phone": "+1 555 000 1111",
            "emergency_contact_relationship": "sister",
        },
    )
    assert response.status_code == 302
    browser.post("/account/welcome/", {"step": "consent", "agree": "on"})
    record = ConsentRecord.objects.get(user=new_client)
    assert record.kind == "telehealth" and record.version and record.withdrawn_at is None
    assert browser.get("/home/").status_code == 200


def test_bad_phone_number_changes_nothing(new_client, jurisdiction):
    browser = logged_in(new_client)
    response = browser.post(
        "/account/welcome/",
        {
            "step": "profile",
            "jurisdiction": jurisdiction.pk,
            "timezone": "America/New_York",
            "emergency_contact_name": "Sam",
            "emergency_contact_phone": "call me maybe",
        },
    )
    assert response.status_code == 400
    new_client.client_profile.refresh_from_db()
    assert new_client.client_profile.emergency_contact_phone == ""


def test_withdrawn_consent_blocks_clinical_pages(client_user):
    from alliance.accounts import services

    services.withdraw_consent(user=client_user, kind="telehealth")
    response = logged_in(client_user).get("/home/")
    assert response["Location"] == "/account/welcome/"
