"""Billing's reads for the pages, the PDFs and the accountant's export: fetched here in a few
queries, calculated in money.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.billing import balances, fees, money
from alliance.billing.models import Charge, Invoice, InvoiceLine, Payment, Refund


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    balance: int

    @property
    def is_paid(self) -> bool:
        return not self.invoice.is_credit_note and self.balance <= 0


def client_invoices(client: User) -> list[InvoiceRow]:
    """The client's invoices and credit notes, newest first, with what each still owes."""
    invoices = list(Invoice.objects.filter(client=client).order_by("-issued_at", "-id"))
    owed = balances.balances(invoices)
    return [InvoiceRow(i, owed[i.pk]) for i in invoices]


def owed_by_currency(rows: list[InvoiceRow]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.balance > 0:
            totals[row.invoice.currency] += row.balance
    return dict(totals)


def client_payments(client: User) -> list[Payment]:
    return list(
        Payment.objects.filter(invoice__client=client, status=Payment.Status.SUCCEEDED)
        .select_related("invoice")
        .order_by("-received_at", "-id")
    )


@dataclass(frozen=True)
class StatementRow:
    on: dt.date
    kind: str  # money.Entry kinds
    label: str
    amount_minor: int


@dataclass(frozen=True)
class Statement:
    start: dt.date
    end: dt.date
    currency: str
    rows: list[StatementRow]
    totals: money.StatementTotals


def _movements(client: User, currency: str) -> list[StatementRow]:
    rows = [
        StatementRow(
            timezone.localdate(i.issued_at),
            "credit" if i.is_credit_note else "invoice",
            (_("Credit note %(number)s") if i.is_credit_note else _("Invoice %(number)s"))
            % {"number": i.display_number},
            i.total_minor,
        )
        for i in Invoice.objects.filter(client=client, currency=currency)
    ]
    rows += [
        StatementRow(
            timezone.localdate(p.received_at),
            "payment",
            _("Payment (%(method)s) for %(number)s")
            % {"method": p.get_method_display(), "number": p.invoice.display_number},
            p.amount_minor,
        )
        for p in Payment.objects.filter(
            invoice__client=client, currency=currency, status=Payment.Status.SUCCEEDED
        ).select_related("invoice")
    ]
    rows += [
        StatementRow(
            timezone.localdate(r.created_at),
            "refund",
            _("Refund for %(number)s") % {"number": r.payment.invoice.display_number},
            r.amount_minor,
        )
        for r in Refund.objects.filter(
            payment__invoice__client=client, currency=currency, status=Refund.Status.SUCCEEDED
        ).select_related("payment__invoice")
    ]
    return sorted(rows, key=lambda r: (r.on, r.kind != "invoice"))


def account_statement(
    *, client: User, start: dt.date, end: dt.date, currency: str | None = None
) -> Statement:
    """The client's account from `start` to `end` (inclusive), in one currency."""
    currency = currency or fees.practice().currency
    rows = _movements(client, currency)
    before = [money.Entry(r.kind, r.amount_minor) for r in rows if r.on < start]
    opening = money.statement_totals(opening=0, entries=before).closing
    within = [r for r in rows if start <= r.on <= end]
    totals = money.statement_totals(
        opening=opening, entries=[money.Entry(r.kind, r.amount_minor) for r in within]
    )
    return Statement(start, end, currency, within, totals)


@dataclass
class ClientAgeing:
    client: User
    currency: str
    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(money.BUCKETS, 0))

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


def outstanding(today: dt.date | None = None) -> list[ClientAgeing]:
    """Every client who owes something, with their balance by age (days since the invoice
    was issued), largest first."""
    today = today or timezone.localdate()
    invoices = list(Invoice.objects.exclude(kind=Invoice.Kind.CREDIT_NOTE).select_related("client"))
    owed = balances.balances(invoices)
    found: dict[tuple[int, str], ClientAgeing] = {}
    for invoice in invoices:
        amount = owed[invoice.pk]
        if amount <= 0:
            continue
        key = (invoice.client_id, invoice.currency)
        row = found.setdefault(key, ClientAgeing(invoice.client, invoice.currency))
        days = (today - timezone.localdate(invoice.issued_at)).days
        row.buckets[money.bucket(max(0, days))] += amount
    return sorted(found.values(), key=lambda r: -r.total)


def ageing_totals(rows: list[ClientAgeing]) -> dict[str, dict[str, int]]:
    """{currency: {bucket: total}} over every client."""
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        bucket_totals = totals.setdefault(row.currency, dict.fromkeys(money.BUCKETS, 0))
        for name, amount in row.buckets.items():
            bucket_totals[name] += amount
    return totals


@dataclass(frozen=True)
class TherapistBilling:
    charges: list[Charge]
    waivable: list[Charge]
    billed: dict[str, int]
    collected: dict[str, int]


def therapist_billing(therapist: User, *, since: dt.date) -> TherapistBilling:
    """The therapist's charges since `since`: sessions billed, fees they may waive or have
    waived, and earnings — billed (net of credits) and collected, a payment of an invoice
    shared among its lines in proportion."""
    charges = list(
        Charge.objects.filter(therapist=therapist, service_date__gte=since)
        .exclude(status=Charge.Status.VOIDED)
        .select_related("client", "service")
        .prefetch_related(
            Prefetch(
                "lines", queryset=InvoiceLine.objects.filter(credit=False).select_related("invoice")
            )
        )
        .order_by("-service_date", "-id")
    )
    invoices = {ln.invoice.pk: ln.invoice for c in charges for ln in c.lines.all()}
    owed = balances.balances(list(invoices.values()))
    billed: dict[str, int] = defaultdict(int)
    collected: dict[str, int] = defaultdict(int)
    for charge in charges:
        if charge.status not in (Charge.Status.INVOICED, Charge.Status.OPEN):
            continue
        billed[charge.currency] += charge.amount_minor
        for line in charge.lines.all():
            invoice = line.invoice
            paid = max(0, invoice.total_minor - max(0, owed[invoice.pk]))
            collected[charge.currency] += line.amount_minor * paid // max(1, invoice.total_minor)
    waivable = [
        c
        for c in charges
        if c.kind != Charge.Kind.SESSION
        and c.status in (Charge.Status.OPEN, Charge.Status.INVOICED)
    ]
    return TherapistBilling(charges, waivable, dict(billed), dict(collected))


def invoices_for_export(start: dt.date, end: dt.date) -> list[InvoiceRow]:
    invoices = list(
        Invoice.objects.filter(Q(issued_at__date__gte=start) & Q(issued_at__date__lte=end))
        .select_related("client", "credits")
        .prefetch_related("lines")
        .order_by("series", "number")
    )
    owed = balances.balances(invoices)
    return [InvoiceRow(i, owed[i.pk]) for i in invoices]
