"""Billing in a client's export, and what erasure keeps.

The export holds the client's invoices, credit notes, payments, refunds, sliding-scale
applications, the diagnoses their therapists entered for superbills (a client's right of
access covers them, GDPR art. 15) and the superbills they asked for.

Erasure keeps the invoices, credit notes, payments and refunds: tax and accounting law
requires them kept for years (e.g. US IRS records guidance, at least 3-7 years; EU member
states' VAT rules, up to 10; GDPR art. 17(3)(b) allows it), and an issued invoice never
changes, so the name printed on it stays there. The sliding-scale applications' stated
income is blanked: no law requires it once the fee has been charged. A diagnosis is
encrypted with the client's data key, which erasure destroys, so it is unreadable after.
"""

from __future__ import annotations

from typing import Any

from alliance.accounts.models import User
from alliance.billing import balances, money
from alliance.billing.models import Invoice, Payment, Refund, SlidingScaleApplication
from alliance.billing.superbill_models import Diagnosis, Superbill


def _amount(minor: int, currency: str) -> str:
    return str(money.major(minor, currency))


def export_client(user: User) -> dict[str, Any]:
    invoices = list(Invoice.objects.filter(client=user).prefetch_related("lines").order_by("id"))
    owed = balances.balances(invoices)
    return {
        "invoices": [
            {
                "number": i.display_number,
                "kind": i.kind,
                "issued_at": i.issued_at.isoformat(),
                "currency": i.currency,
                "total": _amount(i.total_minor, i.currency),
                "balance": _amount(owed[i.pk], i.currency),
                "credits": i.credits.display_number if i.credits_id and i.credits else None,
                "lines": [
                    {
                        "date_of_service": ln.service_date.isoformat(),
                        "description": ln.description,
                        "code": ln.code,
                        "amount": _amount(ln.amount_minor, i.currency),
                    }
                    for ln in i.lines.all()
                ],
            }
            for i in invoices
        ],
        "payments": [
            {
                "invoice": p.invoice.display_number,
                "method": p.method,
                "status": p.status,
                "amount": _amount(p.amount_minor, p.currency),
                "currency": p.currency,
                "received_at": p.received_at.isoformat(),
            }
            for p in Payment.objects.filter(invoice__client=user).select_related("invoice")
        ],
        "refunds": [
            {
                "invoice": r.payment.invoice.display_number,
                "status": r.status,
                "amount": _amount(r.amount_minor, r.currency),
                "currency": r.currency,
                "at": r.created_at.isoformat(),
            }
            for r in Refund.objects.filter(payment__invoice__client=user).select_related(
                "payment__invoice"
            )
        ],
        "sliding_scale": [
            {
                "tier": a.tier.name,
                "percent": a.tier.percent,
                "status": a.status,
                "applied_at": a.created_at.isoformat(),
            }
            for a in SlidingScaleApplication.objects.filter(client=user).select_related("tier")
        ],
        "diagnoses": [
            {
                "code": str(d.code),
                "description": str(d.description),
                "diagnosed_on": d.diagnosed_on.isoformat(),
                "entered_by": d.entered_by.display_name if d.entered_by else None,
            }
            for d in Diagnosis.objects.filter(partnership__client=user).select_related("entered_by")
        ],
        "superbills": [
            {
                "period_start": b.period_start.isoformat(),
                "period_end": b.period_end.isoformat(),
                "requested_at": b.requested_at.isoformat(),
            }
            for b in Superbill.objects.filter(client=user)
        ],
    }


def erase_client(user: User) -> dict[str, int]:
    blanked = SlidingScaleApplication.objects.filter(
        client=user, stated_income_minor__isnull=False
    ).update(stated_income_minor=None)
    kept = Invoice.objects.filter(client=user).count()
    return {"sliding_scale_income_blanked": blanked, "invoices_kept_for_accounting": kept}
