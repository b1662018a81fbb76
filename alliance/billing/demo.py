"""Demo billing: the practice's fees and policy, a sliding-scale tier, and invoices for the
last weeks' attended sessions — most paid by card or bank transfer, some still owed (so the
balances by age have something in each bucket), one late-cancellation fee waived."""

from __future__ import annotations

import datetime as dt

from alliance.billing import charging, fees, notices, payments
from alliance.billing.models import Charge, Invoice, ServiceType, SlidingScaleTier
from alliance.core.demo import DemoContext
from alliance.schedule.models import Appointment

FEES = {"90791": 20000, "90832": 10000, "90834": 15000, "90837": 18000, "90847": 17000}
# How far back sessions are billed, and how many partnerships are (the demo client's first).
DAYS = 120
PARTNERSHIPS = 12


def _configure() -> None:
    fees.ensure_standard_services()
    for code, fee in FEES.items():
        ServiceType.objects.filter(code=code).update(default_fee_minor=fee)
    practice = fees.practice()
    practice.practice_name = "Alliance Demo Practice"
    practice.practice_address = "12 Harbour Street\nNew York, NY 10001"
    practice.late_cancel_fee_minor = 7500
    practice.no_show_fee_minor = 10000
    practice.save()
    SlidingScaleTier.objects.get_or_create(
        name="Reduced", defaults={"percent": 60, "max_income_minor": 3_500_000}
    )
    SlidingScaleTier.objects.get_or_create(
        name="Low income", defaults={"percent": 40, "max_income_minor": 2_000_000}
    )


def _pay(ctx: DemoContext, invoice: Invoice) -> None:
    age = (ctx.now - invoice.issued_at).days
    # Older invoices are mostly paid; a few stay owed in every age bucket.
    if age < 10 or ctx.rng.random() < 0.2:
        return
    method = "card" if ctx.rng.random() < 0.6 else "bank_transfer"
    payments.record_payment(
        invoice=invoice,
        amount_minor=invoice.total_minor,
        currency=invoice.currency,
        method=method,
        provider_ref=f"demo_pi_{invoice.pk}" if method == "card" else "",
        received_at=invoice.issued_at + dt.timedelta(days=ctx.rng.randint(0, 9)),
    )


def run(ctx: DemoContext) -> None:
    with notices.silenced():
        _bill(ctx)


def _bill(ctx: DemoContext) -> None:
    _configure()
    partnerships = ctx.shared.get("partnerships", [])[: ctx.count(PARTNERSHIPS)]
    since = ctx.now - dt.timedelta(days=DAYS)
    owed = Appointment.objects.filter(
        partnership__in=partnerships, starts_at__gte=since, ends_at__lte=ctx.now
    ).exclude(status=Appointment.Status.SCHEDULED)
    waived = False
    for appointment in owed.order_by("starts_at"):
        charge = charging.settle_appointment(appointment_id=appointment.pk, now=appointment.ends_at)
        if charge is None:
            continue
        line = charge.lines.filter(credit=False).select_related("invoice").first()
        if charge.kind != Charge.Kind.SESSION and not waived:
            charging.waive_charge(
                charge=charge, by=appointment.therapist, reason="First time; waived"
            )
            waived = True
        elif line is not None:
            _pay(ctx, line.invoice)


STEPS = [(45, run)]
