"""Billing shown on lower parts' pages: the fee on a match card and at booking, the
cancellation policy before it can apply, and what an appointment was charged.

The match page (care) and the booking and appointment pages (schedule) sit below billing in
the import layers (pyproject.toml); they load this library, so neither imports billing. The
pages have already checked that the reader may see the partnership or appointment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone

from alliance.billing import fees
from alliance.billing.display import format_money
from alliance.billing.models import Charge

register = template.Library()


@register.simple_tag
def money(amount_minor: int, currency: str) -> str:
    return format_money(int(amount_minor), currency)


def _usual(therapist_id: int, client_id: int | None) -> fees.Fee | None:
    return fees.usual_fee(
        therapist_id=therapist_id, client_id=client_id, minutes=settings.APPOINTMENT_MINUTES
    )


@register.inclusion_tag("billing/_match_fee.html", takes_context=True)
def match_fee(context: dict[str, Any], therapist: Any) -> dict[str, Any]:
    """The fee of an ordinary session with this therapist, as this client would pay it."""
    user = context.get("user")
    client_id = getattr(user, "pk", None) if getattr(user, "is_client", False) else None
    return {"fee": _usual(therapist.pk, client_id)}


@register.inclusion_tag("billing/_booking_terms.html")
def booking_terms(partnership: Any) -> dict[str, Any]:
    """The session's fee and the late-cancellation and no-show policy, before booking."""
    policy = fees.practice()
    return {
        "fee": _usual(partnership.therapist_id, partnership.client_id),
        "policy": policy,
    }


@register.inclusion_tag("billing/_appointment_charge.html", takes_context=True)
def appointment_charge(context: dict[str, Any], appointment: Any) -> dict[str, Any]:
    """What this appointment was charged, or what cancelling it now would cost the client."""
    user = context.get("user")
    charge = (
        Charge.objects.filter(appointment=appointment).exclude(status=Charge.Status.VOIDED).first()
    )
    policy = fees.practice()
    would_cost = 0
    if (
        charge is None
        and getattr(user, "pk", None) == appointment.client_id
        and appointment.status == "scheduled"
        and appointment.starts_at > timezone.now()
        and timezone.now()
        > appointment.starts_at - dt.timedelta(hours=policy.late_cancel_window_hours)
    ):
        would_cost = policy.late_cancel_fee_minor
    return {
        "charge": charge,
        "would_cost": would_cost,
        "policy": policy,
        "is_client": getattr(user, "pk", None) == appointment.client_id,
    }
