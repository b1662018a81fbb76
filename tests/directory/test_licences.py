from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase
from django.utils import timezone

from alliance.directory import services
from alliance.directory.models import Licence
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(their_therapist, jurisdiction):
    return Licence.objects.create(
        therapist=their_therapist,
        jurisdiction=jurisdiction,
        licence_type="LMHC",
        number="NY-PENDING",
        issuing_board="NYSED",
        expires_on=timezone.localdate() + dt.timedelta(days=200),
    )


def test_only_verified_unexpired_licences_count(their_therapist, pending, jurisdiction):
    today = timezone.localdate()
    Licence.objects.create(
        therapist=their_therapist,
        jurisdiction=jurisdiction,
        licence_type="LCSW",
        number="OLD",
        issuing_board="NYSED",
        expires_on=today - dt.timedelta(days=1),
        verified_at=timezone.now(),
    )
    valid = Licence.objects.filter(therapist=their_therapist).valid()
    assert [lic.number for lic in valid] == ["NY-their.therapist@example.org"]


def test_admin_verifies_a_licence(admin_user, pending):
    response = logged_in(admin_user).post(f"/directory/licences/{pending.pk}/verify/")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.verified_by == admin_user and pending.verified_at is not None


def test_therapist_cannot_verify_even_their_own_licence(their_therapist, pending):
    response = logged_in(their_therapist).post(f"/directory/licences/{pending.pk}/verify/")
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.verified_at is None


def test_expired_licence_cannot_be_verified(admin_user, pending):
    Licence.objects.filter(pk=pending.pk).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    pending.refresh_from_db()
    with pytest.raises(services.LicenceError):
        services.verify_licence(licence=pending, admin=admin_user)


def test_therapist_adds_a_licence_which_starts_unverified(their_therapist, jurisdiction):
    response = logged_in(their_therapist).post(
        "/directory/licences/",
        {
            "jurisdiction": jurisdiction.pk,
            "licence_type": "LMFT",
            "number": "123",
            "issuing_board": "NYSED",
            "expires_on": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert Licence.objects.get(number="123").verified_at is None


def test_adding_an_already_expired_or_duplicate_licence_is_refused(
    their_therapist, jurisdiction, pending
):
    browser = logged_in(their_therapist)
    expired = browser.post(
        "/directory/licences/",
        {
            "jurisdiction": jurisdiction.pk,
            "licence_type": "LMFT",
            "number": "9",
            "issuing_board": "NYSED",
            "expires_on": "2001-01-01",
        },
    )
    assert expired.status_code == 400 and "already expired" in expired.content.decode()
    duplicate = browser.post(
        "/directory/licences/",
        {
            "jurisdiction": jurisdiction.pk,
            "licence_type": "LMHC",
            "number": "NY-PENDING",
            "issuing_board": "NYSED",
            "expires_on": (timezone.localdate() + dt.timedelta(days=9)).isoformat(),
        },
    )
    assert duplicate.status_code == 400 and "already registered" in duplicate.content.decode()
    assert Licence.objects.filter(therapist=their_therapist).count() == 2


def test_daily_check_marks_lapsed_and_warns_once(their_therapist, jurisdiction, mailoutbox):
    today = timezone.localdate()
    lapsed = Licence.objects.create(
        therapist=their_therapist,
        jurisdiction=jurisdiction,
        licence_type="A",
        number="L1",
        issuing_board="B",
        expires_on=today - dt.timedelta(days=2),
        verified_at=timezone.now(),
    )
    soon = Licence.objects.create(
        therapist=their_therapist,
        jurisdiction=jurisdiction,
        licence_type="A",
        number="L2",
        issuing_board="B",
        expires_on=today + dt.timedelta(days=30),
        verified_at=timezone.now(),
    )
    first = services.check_licences(today=today)
    second = services.check_licences(today=today)
    assert first == {"lapsed": 1, "warned": 1}
    assert second == {"lapsed": 0, "warned": 0}
    lapsed.refresh_from_db()
    assert lapsed.lapsed_at is not None and lapsed.status() == "expired"
    assert len(mailoutbox) == 1
    assert soon.number in mailoutbox[0].body and "30 days" in mailoutbox[0].body


def test_daily_job_is_enqueued_once_a_day_by_any_number_of_workers(db):
    from django_tasks_db.models import DBTaskResult

    from alliance.core import scheduler

    with TestCase.captureOnCommitCallbacks(execute=True):
        first = scheduler.enqueue_due()
    with TestCase.captureOnCommitCallbacks(execute=True):
        second = scheduler.enqueue_due()
    assert "directory.check_licences" in first
    assert second == []
    assert DBTaskResult.objects.count() == len(first)


def test_check_licences_task_runs(their_therapist):
    from alliance.directory.tasks import check_licences

    assert check_licences.call() == {"lapsed": 0, "warned": 0}
