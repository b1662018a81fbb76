"""The database itself refuses overlapping appointments, whatever writes them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.care.services import start_partnership
from alliance.schedule.models import Appointment
from tests.conftest import make_client

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)


def row(partnership, start, *, client_id=None, status="scheduled") -> Appointment:
    return Appointment(
        partnership=partnership,
        therapist_id=partnership.therapist_id,
        client_id=client_id or partnership.client_id,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=50),
        modality="video",
        status=status,
        cancelled_at=timezone.now() if status == "cancelled" else None,
    )


def refused(obj: Appointment) -> bool:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        return True
    return False


def test_same_therapist_overlap_is_refused_by_the_database(partnership, jurisdiction):
    Appointment.objects.bulk_create([row(partnership, START)])
    other = make_client("other@example.org", jurisdiction)
    second = start_partnership(client=other, therapist=partnership.therapist)
    assert refused(row(second, START + dt.timedelta(minutes=49)))
    assert not refused(row(second, START + dt.timedelta(minutes=50)))  # back to back is fine


def test_same_client_overlap_is_refused_even_with_another_therapist(
    partnership, other_therapist, client_user
):
    Appointment.objects.create(**_fields(row(partnership, START)))
    # An ended partnership's appointment at the same time, with another therapist.
    from alliance.care.models import Partnership

    old = Partnership.objects.create(
        client=client_user,
        therapist=other_therapist,
        status="ended",
        started_at=START - dt.timedelta(days=90),
        ended_at=START - dt.timedelta(days=30),
        end_reason="switched",
    )
    assert refused(row(old, START + dt.timedelta(minutes=10)))


def test_cancelled_rows_do_not_hold_the_slot(partnership):
    first = row(partnership, START, status="cancelled")
    first.late_cancellation = False
    first.save()
    assert not refused(row(partnership, START))
    # ...and un-cancelling into an overlap is refused too.
    first.status, first.cancelled_at = "scheduled", None
    assert refused(first)


def test_moving_into_an_overlap_is_refused(partnership):
    a = row(partnership, START)
    a.save()
    b = row(partnership, START + dt.timedelta(hours=2))
    b.save()
    b.starts_at = START + dt.timedelta(minutes=30)
    b.ends_at = b.starts_at + dt.timedelta(minutes=50)
    assert refused(b)


def _fields(obj: Appointment) -> dict:
    return {
        f.attname: getattr(obj, f.attname)
        for f in Appointment._meta.concrete_fields
        if f.attname != "id" and getattr(obj, f.attname) is not None
    }
