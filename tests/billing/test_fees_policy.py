"""Fees (defaults, a therapist's own, the sliding scale), the fee on a match and at booking,
and the cancellation policy applied from the schedule's events — never when the therapist
cancels, for a switch, a move, or messages and check-ins; waivers by the therapist only."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from alliance.billing import charging, fees, money, sliding_scale
from alliance.billing.errors import BillingError
from alliance.billing.models import (
    Charge,
    Invoice,
    PartnershipService,
    ServiceType,
    SlidingScaleTier,
    TherapistFee,
)
from alliance.schedule import services as schedule
from tests.billing.conftest import LATE_FEE, NO_SHOW_FEE, SESSION_FEE, attended
from tests.conftest import logged_in, make_appointment

# --- money.py: pure ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("150", "USD", 15000), ("150.5", "USD", 15050), ("150,50", "EUR", 15050),
     ("1,234.50", "USD", 123450), ("1500", "JPY", 1500), ("1.250", "KWD", 1250)],
)  # fmt: skip
def test_amounts_are_read_as_minor_units(text, currency, minor):
    assert money.parse_amount(text, currency) == minor


@pytest.mark.parametrize("text", ["", "-5", "1e3", "abc", "1.234", "12.3.4", "15.5"])
def test_what_is_not_an_amount_is_refused(text):
    currency = "JPY" if text == "15.5" else "USD"
    with pytest.raises(money.MoneyError):
        money.parse_amount(text, currency)


def test_session_codes_follow_the_cpt_time_rule():
    assert [money.individual_code(m) for m in (15, 16, 37, 38, 50, 52, 53, 90)] == [
        None, "90832", "90832", "90834", "90834", "90834", "90837", "90837",
    ]  # fmt: skip


def test_ageing_buckets_have_their_edges():
    assert [money.bucket(d) for d in (0, 30, 31, 60, 61, 90, 91)] == [
        "0-30", "0-30", "31-60", "31-60", "61-90", "61-90", "90+",
    ]  # fmt: skip


@given(
    base=st.integers(0, 10**9),
    override=st.none() | st.integers(0, 10**9),
    low=st.integers(1, 100),
    high=st.integers(1, 100),
)
def test_a_sliding_scale_never_raises_a_fee_and_grows_with_its_share(base, override, low, high):
    low, high = sorted((low, high))
    full = money.resolve_fee(default_minor=base, override_minor=override)
    cheaper = money.resolve_fee(default_minor=base, override_minor=override, percent=low)
    dearer = money.resolve_fee(default_minor=base, override_minor=override, percent=high)
    assert 0 <= cheaper <= dearer <= full
    assert full == (base if override is None else override)
    assert money.resolve_fee(default_minor=base, override_minor=override, percent=100) == full


@given(st.lists(st.tuples(st.integers(-5, 400), st.integers(0, 10**7))))
def test_ageing_keeps_every_cent(balances):
    totals = money.ageing(balances)
    assert set(totals) == set(money.BUCKETS)
    assert sum(totals.values()) == sum(amount for _days, amount in balances)


@given(
    opening=st.integers(-(10**7), 10**7),
    entries=st.lists(
        st.tuples(
            st.sampled_from(["invoice", "credit", "payment", "refund"]), st.integers(0, 10**6)
        )
    ),
)
def test_a_statement_closes_on_its_movements(opening, entries):
    totals = money.statement_totals(
        opening=opening, entries=[money.Entry(kind, amount) for kind, amount in entries]
    )
    sign = {"invoice": 1, "credit": -1, "payment": -1, "refund": 1}
    assert totals.closing == opening + sum(sign[k] * a for k, a in entries)


@given(minor=st.integers(0, 10**12), currency=st.sampled_from(["USD", "JPY", "KWD", "EUR"]))
def test_an_amount_written_out_reads_back_the_same(minor, currency):
    assert money.parse_amount(str(money.major(minor, currency)), currency) == minor


def test_money_imports_no_django():
    code = (
        "import sys; sys.modules['django'] = None\n"
        "import alliance.billing.money as m\n"
        "assert m.resolve_fee(default_minor=100, percent=50) == 50"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- fees -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_therapists_own_fee_and_an_approved_sliding_scale_apply(partnership, priced, admin_user):
    service = ServiceType.objects.get(code="90834")
    therapist, client = partnership.therapist, partnership.client
    assert fees.fee_for(service=service, therapist_id=therapist.pk).amount_minor == SESSION_FEE
    TherapistFee.objects.create(therapist=therapist, service=service, fee_minor=16000)
    assert fees.fee_for(service=service, therapist_id=therapist.pk).amount_minor == 16000
    # A client's application changes nothing until an admin approves it.
    tier = SlidingScaleTier.objects.create(name="Reduced", percent=50)
    application = sliding_scale.apply(client=client, tier=tier, stated_income_minor=2_000_000)
    fee = fees.fee_for(service=service, therapist_id=therapist.pk, client_id=client.pk)
    assert fee.amount_minor == 16000 and fee.tier is None
    with pytest.raises(BillingError, match="already applied"):
        sliding_scale.apply(client=client, tier=tier, stated_income_minor=None)
    sliding_scale.decide(application=application, approve=True, by=admin_user)
    fee = fees.fee_for(service=service, therapist_id=therapist.pk, client_id=client.pk)
    assert (fee.amount_minor, fee.full_minor, fee.tier) == (8000, 16000, tier)


@pytest.mark.django_db
def test_only_an_admin_decides_a_sliding_scale(partnership, priced, their_therapist):
    tier = SlidingScaleTier.objects.create(name="Reduced", percent=50)
    application = sliding_scale.apply(
        client=partnership.client, tier=tier, stated_income_minor=None
    )
    with pytest.raises(BillingError, match="Only the practice's admin"):
        sliding_scale.decide(application=application, approve=True, by=their_therapist)
    application.refresh_from_db()
    assert application.status == "pending"


@pytest.mark.django_db
def test_the_first_session_is_the_intake_and_a_couple_is_billed_as_one(partnership, priced, now):
    ServiceType.objects.filter(code="90791").update(default_fee_minor=20000)
    first = charging.settle_appointment(
        appointment_id=attended(partnership, now - dt.timedelta(days=9)).pk
    )
    second = charging.settle_appointment(
        appointment_id=attended(partnership, now - dt.timedelta(days=2)).pk
    )
    assert (first.service.code, first.amount_minor) == ("90791", 20000)
    assert (second.service.code, second.amount_minor) == ("90834", SESSION_FEE)
    couple = ServiceType.objects.get(code="90847")
    couple.default_fee_minor = 17000
    couple.save()
    PartnershipService.objects.create(partnership=partnership, service=couple)
    third = charging.settle_appointment(
        appointment_id=attended(partnership, now - dt.timedelta(days=1)).pk
    )
    assert (third.service.code, third.amount_minor) == ("90847", 17000)


@pytest.mark.django_db
def test_with_no_fees_set_nothing_is_charged(partnership, now):
    fees.ensure_standard_services()
    appointment = attended(partnership, now - dt.timedelta(days=1))
    assert charging.settle_appointment(appointment_id=appointment.pk) is None
    assert not Charge.objects.exists() and not Invoice.objects.exists()


# --- the policy, from the schedule's events ---------------------------------------------


@pytest.fixture
def upcoming(partnership, now):
    def make(hours: float):
        return make_appointment(partnership, now + dt.timedelta(hours=hours))

    return make


@pytest.mark.django_db
def test_a_clients_late_cancellation_is_charged_and_invoiced(
    upcoming, client_user, priced, on_commit_now
):
    appointment = upcoming(5)
    schedule.cancel_appointment(appointment=appointment, by=client_user)
    charge = Charge.objects.get(appointment=appointment)
    assert (charge.kind, charge.amount_minor) == ("late_cancellation", LATE_FEE)
    line = charge.lines.get()
    assert line.description == "Late cancellation fee" and line.code == ""


@pytest.mark.django_db
def test_cancelling_in_good_time_costs_nothing(upcoming, client_user, priced, on_commit_now):
    schedule.cancel_appointment(appointment=upcoming(48), by=client_user)
    assert not Charge.objects.exists()


@pytest.mark.django_db
def test_the_therapist_cancelling_late_costs_the_client_nothing(
    upcoming, their_therapist, priced, on_commit_now
):
    schedule.cancel_appointment(appointment=upcoming(2), by=their_therapist)
    assert not Charge.objects.exists()


@pytest.mark.django_db
def test_switching_therapist_costs_nothing(upcoming, partnership, priced, on_commit_now):
    from alliance.care.switching import switch_therapist

    appointment = upcoming(3)
    switch_therapist(partnership=partnership, reason="bond", consent_handoff=False)
    appointment.refresh_from_db()
    assert appointment.is_cancelled
    assert not Charge.objects.exists()


@pytest.mark.django_db
def test_moving_a_session_late_costs_nothing(
    upcoming, client_user, priced, monkeypatch, django_capture_on_commit_callbacks
):
    from alliance.schedule import booking

    appointment = upcoming(5)
    monkeypatch.setattr(booking, "_check_time", lambda **kw: None)
    # The events run once the move has committed, as they do after a request.
    with django_capture_on_commit_callbacks(execute=True):
        moved = schedule.reschedule_appointment(
            appointment=appointment,
            starts_at=appointment.starts_at + dt.timedelta(days=2),
            by=client_user,
        )
    appointment.refresh_from_db()
    assert appointment.late_cancellation and moved.rescheduled_from_id == appointment.pk
    assert not Charge.objects.exists()


@pytest.mark.django_db
def test_a_no_show_is_charged_and_a_corrected_attendance_credits_it(
    partnership, their_therapist, priced, now, on_commit_now
):
    appointment = make_appointment(partnership, now - dt.timedelta(hours=2))
    schedule.mark_attendance(appointment=appointment, by=their_therapist, status="no_show")
    charge = Charge.objects.get(appointment=appointment)
    assert (charge.kind, charge.amount_minor) == ("no_show", NO_SHOW_FEE)
    # The therapist corrects it: the client was there after all.
    schedule.mark_attendance(appointment=appointment, by=their_therapist, status="attended")
    charge.refresh_from_db()
    assert charge.status == "voided"
    live = Charge.objects.exclude(status="voided").get(appointment=appointment)
    assert live.kind == "session" and live.amount_minor == SESSION_FEE
    note = Invoice.objects.get(kind="credit_note")
    assert note.total_minor == NO_SHOW_FEE and note.reason == "Attendance corrected"


@pytest.mark.django_db
def test_a_session_and_its_check_in_are_charged_once(
    partnership, their_therapist, priced, now, on_commit_now
):
    appointment = make_appointment(partnership, now - dt.timedelta(hours=2))
    schedule.mark_attendance(appointment=appointment, by=their_therapist, status="attended")
    # The event's second delivery (AttendanceChanged and SessionFinished both arrive).
    charging.settle_appointment(appointment_id=appointment.pk)
    assert Charge.objects.count() == 1 and Invoice.objects.count() == 1
    # Messages and check-ins are not appointments: they have no fee to charge.
    assert {c.kind for c in Charge.objects.all()} == {"session"}


# --- waivers ----------------------------------------------------------------------------


@pytest.fixture
def late_fee(upcoming, client_user, priced, on_commit_now):
    schedule.cancel_appointment(appointment=upcoming(5), by=client_user)
    return Charge.objects.get()


@pytest.mark.django_db
def test_the_therapist_waives_a_late_fee_by_a_credit_note(late_fee, their_therapist):
    charging.waive_charge(charge=late_fee, by=their_therapist, reason="Illness")
    late_fee.refresh_from_db()
    assert late_fee.status == "waived" and late_fee.waived_by == their_therapist
    note = Invoice.objects.get(kind="credit_note")
    assert note.total_minor == LATE_FEE and note.reason == "Illness"
    with pytest.raises(BillingError, match="already been waived"):
        charging.waive_charge(charge=late_fee, by=their_therapist)


@pytest.mark.django_db
def test_another_therapist_cannot_waive(late_fee, other_therapist):
    with pytest.raises(BillingError, match="Only the therapist of that appointment"):
        charging.waive_charge(charge=late_fee, by=other_therapist)
    late_fee.refresh_from_db()
    assert late_fee.status == "invoiced" and not Invoice.objects.filter(kind="credit_note")


@pytest.mark.django_db
def test_a_waiver_by_another_therapist_is_refused_on_the_page(late_fee, other_therapist):
    response = logged_in(other_therapist).post(
        f"/billing/charges/{late_fee.pk}/waive/", {"reason": "x"}, follow=True
    )
    assert "Only the therapist of that appointment can waive its fee." in response.content.decode()
    late_fee.refresh_from_db()
    assert late_fee.status == "invoiced"


# --- the reconcile job ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reconcile_job_charges_what_a_lost_handler_left_once(partnership, priced, now):
    # given sessions whose on-commit handlers never ran (the worker died)
    attended(partnership, now - dt.timedelta(days=1))
    make_appointment(partnership, now - dt.timedelta(days=2), status="no_show")
    make_appointment(
        partnership,
        now - dt.timedelta(hours=30),
        status="cancelled",
        cancelled_at=now - dt.timedelta(hours=31),
        cancelled_by=partnership.therapist,
    )
    # when the daily job runs twice
    assert charging.reconcile(now=now) == 2
    assert charging.reconcile(now=now) == 0
    # then each owed appointment has one charge, and the database refuses a second
    assert sorted(Charge.objects.values_list("kind", flat=True)) == ["no_show", "session"]
    first = Charge.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.create(
            appointment=first.appointment,
            client=first.client,
            therapist=first.therapist,
            kind="session",
            amount_minor=1,
            currency="USD",
            service_date=first.service_date,
        )


# --- shown before it applies ------------------------------------------------------------


@pytest.mark.django_db
def test_the_fee_shows_on_each_match(client_user, jurisdiction, priced):
    from tests.care.conftest import submit_intake
    from tests.conftest import make_therapist

    ana = make_therapist("ana@example.org", jurisdiction, name="Dr Ana")
    make_therapist("ben@example.org", jurisdiction, name="Dr Ben")
    TherapistFee.objects.create(
        therapist=ana, service=ServiceType.objects.get(code="90834"), fee_minor=12000
    )
    submit_intake(client_user)
    html = logged_in(client_user).get("/care/matches/").content.decode()
    assert "$120.00" in html and "$150.00" in html


@pytest.mark.django_db
def test_the_fee_and_policy_show_at_booking(partnership, client_user, priced):
    html = (
        logged_in(client_user)
        .get(f"/schedule/partnerships/{partnership.pk}/book/")
        .content.decode()
    )
    assert "A session costs $150.00." in html
    assert "Cancelling less than 24 hours before the start costs $75.00." in html
    assert "Missing a session without cancelling costs $100.00." in html
    assert "when you change therapist" in html


def test_a_currency_setting_that_is_no_code_is_a_check_error(settings):
    from alliance.billing.apps import check_currency

    settings.BILLING_CURRENCY = "DOLLARS"
    assert [e.id for e in check_currency()] == ["billing.E001"]
    settings.BILLING_CURRENCY = "EUR"
    assert check_currency() == []
