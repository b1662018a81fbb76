"""The therapist's billing page: sessions billed, fees they may waive, earnings. A
therapist sees only the charges of their own appointments."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliance.accounts.models import User
from alliance.billing import charging, fees, queries
from alliance.billing.errors import BillingError
from alliance.billing.forms import ReasonForm
from alliance.billing.models import Charge
from alliance.privacy import audit
from alliance.privacy.access import access

# How far back the page looks, and the choices it offers.
PERIODS = {"30": 30, "90": 90, "365": 365}


@access("therapist", scope="own_partnerships")
def therapist_billing(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    days = PERIODS.get(request.GET.get("days", ""), 90)
    since = timezone.localdate() - dt.timedelta(days=days)
    summary = queries.therapist_billing(user, since=since)
    audit.record_opening(
        user,
        fees.practice(),
        refresh=audit.is_refresh(request),
        reason="billing: therapist's sessions billed",
    )
    return render(
        request,
        "billing/therapist.html",
        {"summary": summary, "days": days, "periods": PERIODS, "form": ReasonForm()},
    )


@access("therapist", scope="own_partnerships")
@require_POST
def waive(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    charge = Charge.objects.filter(pk=pk).first()
    if charge is None:
        raise Http404("no such charge")
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        charging.waive_charge(charge=charge, by=user, reason=reason)
    except BillingError as exc:
        messages.error(request, str(exc))
        return redirect("billing:therapist")
    messages.success(request, _("The fee is waived; the client owes nothing for it."))
    return redirect("billing:therapist")
