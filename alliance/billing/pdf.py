"""PDF invoices, receipts and statements, rendered with WeasyPrint in the client's language.

A document is HTML from a template (alliance/templates/billing/pdf/), turned into PDF by
alliance.core.pdf with no network; everything it shows was copied onto the invoice when it
was issued.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from alliance.billing import balances, fees, queries
from alliance.billing.models import Invoice
from alliance.core.pdf import render


def _invoice_context(invoice: Invoice) -> dict[str, Any]:
    lines = list(invoice.lines.all())
    paid = list(invoice.payments.filter(status="succeeded").order_by("received_at", "id"))
    notes = list(invoice.credit_notes.order_by("issued_at", "id"))
    return {
        "invoice": invoice,
        "lines": lines,
        "payments": paid,
        "credit_notes": notes,
        "balance": balances.balance_of(invoice),
    }


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice, statement or credit note as issued, with what has been paid since."""
    return render("billing/pdf/invoice.html", _invoice_context(invoice), language=invoice.language)


def receipt_pdf(invoice: Invoice) -> bytes:
    """The receipt of an invoice's payments: what was paid, how and when, what is left."""
    return render(
        "billing/pdf/invoice.html",
        {**_invoice_context(invoice), "receipt": True},
        language=invoice.language,
    )


def statement_pdf(*, client: Any, start: dt.date, end: dt.date) -> bytes:
    """A client's account over a period: opening balance, each movement, closing balance."""
    statement = queries.account_statement(client=client, start=start, end=end)
    return render(
        "billing/pdf/statement.html",
        {"statement": statement, "client": client, "practice": fees.practice()},
        language=client.preferred_language or "en",
    )
