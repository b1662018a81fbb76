"""PDF invoices, receipts and statements, rendered with WeasyPrint in the client's language.

A document is HTML from a template (alliance/templates/billing/pdf/), turned into PDF with
no network: the URL fetcher refuses every address, so a document can never load anything
from another host, and everything it shows was copied onto the invoice when it was issued.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from alliance.billing import balances, fees, queries
from alliance.billing.models import Invoice


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"a billing document loads nothing ({url})")


def render(template: str, context: dict[str, Any], *, language: str) -> bytes:
    from weasyprint import HTML  # imported on use: it loads Pango

    with translation.override(language):
        html = render_to_string(template, {**context, "language": language})
    return bytes(HTML(string=html, url_fetcher=_no_fetching).write_pdf())


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
