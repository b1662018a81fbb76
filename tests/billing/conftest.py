"""A practice with fees and a policy set, and what the tests of billing share."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import make_appointment

SESSION_FEE = 15000  # $150.00 for a 50-minute session (90834)
INTAKE_FEE = 20000
LATE_FEE = 7500
NO_SHOW_FEE = 10000


@pytest.fixture
def priced(db):
    """Fees on the standard services, a $75 late-cancellation and $100 no-show fee inside
    24 hours, an invoice per session."""
    from alliance.billing import fees
    from alliance.billing.models import ServiceType

    fees.ensure_standard_services()
    ServiceType.objects.filter(code="90834").update(default_fee_minor=SESSION_FEE)
    ServiceType.objects.filter(code="90837").update(default_fee_minor=18000)
    ServiceType.objects.filter(code="90832").update(default_fee_minor=10000)
    practice = fees.practice()
    practice.practice_name = "Riverside Counselling"
    practice.practice_address = "1 River Road\nSpringfield"
    practice.late_cancel_fee_minor = LATE_FEE
    practice.no_show_fee_minor = NO_SHOW_FEE
    practice.late_cancel_window_hours = 24
    practice.save()
    return practice


@pytest.fixture
def on_commit_now(monkeypatch):
    """On-commit work runs at once (a `db` test's transaction never commits)."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


@pytest.fixture
def now():
    return timezone.now().replace(second=0, microsecond=0)


def attended(partnership, start, **extra):
    """An appointment attended and finished, as the schedule leaves it."""
    return make_appointment(
        partnership, start, status="attended", finished_at=start + dt.timedelta(minutes=50), **extra
    )


def session_invoice(partnership, start):
    """An attended appointment settled: its invoice."""
    from alliance.billing import charging

    charge = charging.settle_appointment(appointment_id=attended(partnership, start).pk)
    assert charge is not None
    return charge.lines.get(credit=False).invoice
