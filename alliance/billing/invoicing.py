"""Issuing invoices, monthly statements and credit notes.

Numbers come from an `InvoiceCounter` row per series, locked (`select_for_update`) in the
transaction that issues: a second issue waits for the first to commit, and an issue that
rolls back gives its number back, so the numbers run without gaps. Everything on an invoice
is copied onto it when it is issued (practice, client name, descriptions in the client's
language) because an issued invoice never changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.billing import balances, fees, notices
from alliance.billing.errors import BillingError
from alliance.billing.models import Charge, Invoice, InvoiceCounter, InvoiceLine

SERIES: dict[str, str] = {
    Invoice.Kind.INVOICE: "INV",
    Invoice.Kind.STATEMENT: "INV",
    Invoice.Kind.CREDIT_NOTE: "CN",
}


def next_number(series: str) -> int:
    """The next number of `series`, taken inside the caller's transaction."""
    InvoiceCounter.objects.get_or_create(series=series)
    counter = InvoiceCounter.objects.select_for_update().get(series=series)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def describe(charge: Charge) -> tuple[str, str]:
    """The line's words and code: the service's name and code, or the policy's fee. Never
    anything clinical (no diagnosis, no note): an invoice is read by whoever pays it."""
    if charge.kind == Charge.Kind.LATE_CANCELLATION:
        return _("Late cancellation fee"), ""
    if charge.kind == Charge.Kind.NO_SHOW:
        return _("Missed session fee"), ""
    service = charge.service
    return (service.name, service.code) if service else (_("Session"), "")


def _issue(
    *,
    kind: str,
    client: User,
    charges: Sequence[Charge],
    amounts: Sequence[int],
    currency: str,
    by: User | None,
    now: dt.datetime,
    credits: Invoice | None = None,
    reason: str = "",
    period: tuple[dt.date, dt.date] | None = None,
) -> Invoice:
    settings_row = fees.practice()
    language = client.preferred_language or "en"
    invoice = Invoice.objects.create(
        kind=kind,
        series=SERIES[kind],
        number=next_number(SERIES[kind]),
        client=client,
        currency=currency,
        total_minor=sum(amounts),
        issued_at=now,
        due_on=None
        if kind == Invoice.Kind.CREDIT_NOTE
        else timezone.localdate(now) + dt.timedelta(days=settings_row.payment_terms_days),
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        credits=credits,
        reason=reason[:200],
        language=language,
        practice_name=settings_row.practice_name,
        practice_address=settings_row.practice_address,
        client_name=client.display_name or client.email,
        issued_by=by,
    )
    with translation.override(language):
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                charge=charge,
                credit=kind == Invoice.Kind.CREDIT_NOTE,
                description=str(describe(charge)[0]),
                code=describe(charge)[1],
                service_date=charge.service_date,
                amount_minor=amount,
                position=n,
            )
            for n, (charge, amount) in enumerate(zip(charges, amounts, strict=True))
        )
    return invoice


def _locked_open(charges: Sequence[Charge]) -> list[Charge]:
    ids = [c.pk for c in charges]
    locked = list(
        Charge.objects.select_for_update(of=("self",))
        .select_related("service")
        .filter(pk__in=ids)
        .order_by("service_date", "id")
    )
    if len(locked) != len(set(ids)) or not locked:
        raise BillingError(_("There is nothing to invoice."))
    if any(c.status != Charge.Status.OPEN for c in locked):
        raise BillingError(_("One of these charges is already invoiced or waived."))
    if len({c.client_id for c in locked}) != 1 or len({c.currency for c in locked}) != 1:
        raise BillingError(_("An invoice is for one client in one currency."))
    return locked


@transaction.atomic
def issue_invoice(
    *,
    charges: Sequence[Charge],
    by: User | None = None,
    now: dt.datetime | None = None,
    period: tuple[dt.date, dt.date] | None = None,
) -> Invoice:
    """Invoice open charges of one client (a session's, or a month's as a statement)."""
    now = now or timezone.now()
    locked = _locked_open(charges)
    client = User.objects.get(pk=locked[0].client_id)
    invoice = _issue(
        kind=Invoice.Kind.STATEMENT if period else Invoice.Kind.INVOICE,
        client=client,
        charges=locked,
        amounts=[c.amount_minor for c in locked],
        currency=locked[0].currency,
        by=by,
        now=now,
        period=period,
    )
    Charge.objects.filter(pk__in=[c.pk for c in locked]).update(status=Charge.Status.INVOICED)
    notices.invoice_issued(invoice)
    return invoice


@transaction.atomic
def issue_credit_note(
    *,
    invoice: Invoice,
    charges: Sequence[Charge] | None = None,
    reason: str,
    by: User | None,
    then: str = Charge.Status.WAIVED,
    now: dt.datetime | None = None,
) -> Invoice:
    """Credit the lines of `invoice` for these charges (all of them if none are named);
    each charge becomes `then` (waived, or voided when it is to be billed again). Refused
    when it would credit more than is still owed: a paid invoice is refunded first."""
    now = now or timezone.now()
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.is_credit_note:
        raise BillingError(_("A credit note cannot itself be credited."))
    if not reason.strip():
        raise BillingError(_("Say why the invoice is corrected."))
    lines = list(locked.lines.filter(credit=False).select_related("charge__service"))
    wanted = {c.pk for c in charges} if charges is not None else {ln.charge_id for ln in lines}
    credited = set(
        InvoiceLine.objects.filter(credit=True, charge_id__in=wanted).values_list(
            "charge_id", flat=True
        )
    )
    chosen = [ln for ln in lines if ln.charge_id in wanted and ln.charge_id not in credited]
    if not chosen or len(chosen) != len(wanted):
        raise BillingError(_("These lines are not on this invoice or are already credited."))
    amount = sum(ln.amount_minor for ln in chosen)
    if amount > balances.balance_of(locked):
        raise BillingError(_("This invoice has been paid; refund the payment before crediting it."))
    note = _issue(
        kind=Invoice.Kind.CREDIT_NOTE,
        client=locked.client,
        charges=[ln.charge for ln in chosen],
        amounts=[ln.amount_minor for ln in chosen],
        currency=locked.currency,
        by=by,
        now=now,
        credits=locked,
        reason=reason.strip(),
    )
    Charge.objects.filter(pk__in=[ln.charge_id for ln in chosen]).update(status=then)
    return note


def issue_monthly_statements(*, month_start: dt.date, now: dt.datetime | None = None) -> int:
    """A statement per client and currency of the month's open charges; idempotent (a
    charge once invoiced is no longer open). Returns how many were issued."""
    month_end = (month_start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    groups = (
        Charge.objects.filter(
            status=Charge.Status.OPEN, service_date__gte=month_start, service_date__lte=month_end
        )
        .values_list("client_id", "currency")
        .distinct()
    )
    issued = 0
    for client_id, currency in list(groups):
        charges = list(
            Charge.objects.filter(
                status=Charge.Status.OPEN,
                client_id=client_id,
                currency=currency,
                service_date__gte=month_start,
                service_date__lte=month_end,
            )
        )
        try:
            issue_invoice(charges=charges, now=now, period=(month_start, month_end))
        except BillingError:
            continue  # another run took them first
        issued += 1
    return issued
