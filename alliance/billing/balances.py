"""What is owed on an invoice: its total less its credit notes and payments, plus refunds.

Read from the rows each time, never stored on the invoice (which never changes)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Sum

from alliance.billing import money
from alliance.billing.models import Invoice, Payment, Refund


def _sums(rows: Iterable[tuple[int, int | None]]) -> dict[int, int]:
    return {key: int(value or 0) for key, value in rows}


def balances(invoices: Iterable[Invoice]) -> dict[int, int]:
    """{invoice id: balance} for these invoices in three queries (credit notes owe nothing)."""
    bills = [i for i in invoices if not i.is_credit_note]
    ids = [i.pk for i in bills]
    credited = _sums(
        Invoice.objects.filter(credits_id__in=ids)
        .values("credits_id")
        .annotate(total=Sum("total_minor"))
        .values_list("credits_id", "total"),
    )
    paid = _sums(
        Payment.objects.filter(invoice_id__in=ids, status=Payment.Status.SUCCEEDED)
        .values("invoice_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("invoice_id", "total"),
    )
    refunded = _sums(
        Refund.objects.filter(payment__invoice_id__in=ids, status=Refund.Status.SUCCEEDED)
        .values("payment__invoice_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("payment__invoice_id", "total"),
    )
    found = {
        i.pk: money.balance(
            total=i.total_minor,
            credited=credited.get(i.pk, 0),
            paid=paid.get(i.pk, 0),
            refunded=refunded.get(i.pk, 0),
        )
        for i in bills
    }
    found.update({i.pk: 0 for i in invoices if i.is_credit_note})
    return found


def balance_of(invoice: Invoice) -> int:
    return balances([invoice])[invoice.pk]
