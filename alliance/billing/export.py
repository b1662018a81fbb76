"""The accountant's CSV: every invoice, statement and credit note issued in a period, with
what was paid and what is still owed. Amounts in the currency's main unit with a point
(150.00), as spreadsheets read them; no clinical detail (service codes only)."""

from __future__ import annotations

import csv
import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from alliance.accounts.models import User
from alliance.billing import fees, money, queries
from alliance.billing.forms import PeriodForm
from alliance.billing.models import Payment
from alliance.privacy import audit

HEADER = [
    "number",
    "kind",
    "issued",
    "due",
    "client",
    "client_id",
    "currency",
    "total",
    "credits_invoice",
    "paid",
    "balance",
    "codes",
]


def _cell(value: str) -> str:
    """A spreadsheet never runs a name as a formula (CSV injection, OWASP)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    form = PeriodForm(request.GET)
    if request.GET and form.is_valid():
        return form.cleaned_data["start"], form.cleaned_data["end"]
    today = timezone.localdate()
    return today.replace(month=1, day=1), today


def accountant_csv(request: HttpRequest, admin: User) -> HttpResponse:
    start, end = _period(request)
    rows = queries.invoices_for_export(start, end)
    paid: dict[int, int] = {}
    for invoice_id, amount in Payment.objects.filter(
        invoice_id__in=[r.invoice.pk for r in rows], status=Payment.Status.SUCCEEDED
    ).values_list("invoice_id", "amount_minor"):
        paid[invoice_id] = paid.get(invoice_id, 0) + amount
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="invoices-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(HEADER)
    for row in rows:
        invoice = row.invoice
        codes = sorted({ln.code for ln in invoice.lines.all() if ln.code})
        writer.writerow(
            [
                invoice.display_number,
                invoice.kind,
                timezone.localdate(invoice.issued_at).isoformat(),
                invoice.due_on.isoformat() if invoice.due_on else "",
                _cell(invoice.client_name),
                invoice.client_id,
                invoice.currency,
                money.major(invoice.total_minor, invoice.currency),
                invoice.credits.display_number if invoice.credits else "",
                money.major(paid.get(invoice.pk, 0), invoice.currency),
                money.major(row.balance, invoice.currency),
                " ".join(codes),
            ]
        )
    audit.record(
        admin,
        audit.Action.EXPORT,
        fees.practice(),
        reason=f"billing: accountant's CSV {start.isoformat()}..{end.isoformat()}",
    )
    return response
