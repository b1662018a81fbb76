"""Pages of the alert workflow: an alert's detail, where the therapist acknowledges it, plans
a repair, resolves it or closes a safety alert; and the on-call list of open safety alerts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alliance.accounts.models import User
from alliance.checkins import alert_workflow, queries
from alliance.checkins.errors import CheckinError
from alliance.checkins.forms import NoteForm, RepairForm, ResolveForm, SafetyCloseForm
from alliance.checkins.models import Alert, Response
from alliance.privacy import audit
from alliance.privacy.access import access


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@access("therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    alert = queries.alert_for(user, pk)
    forms_by_action: dict[str, Any] = {
        "acknowledge": NoteForm(prefix="ack"),
        "plan": RepairForm(prefix="plan"),
        "resolve": ResolveForm(prefix="resolve"),
        "close_safety": SafetyCloseForm(prefix="safety"),
    }
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        form_class = {
            "acknowledge": NoteForm,
            "plan": RepairForm,
            "resolve": ResolveForm,
            "close_safety": SafetyCloseForm,
        }.get(action)
        if form_class is None:
            messages.error(request, _("Unknown action."))
            status = 400
        else:
            prefix = {"acknowledge": "ack", "plan": "plan", "resolve": "resolve"}.get(
                action, "safety"
            )
            form = form_class(request.POST, prefix=prefix)
            forms_by_action[action] = form
            if form.is_valid():
                try:
                    _apply(action, alert, user, form.cleaned_data)
                except CheckinError as exc:
                    form.add_error(None, str(exc))
                    status = 400
                else:
                    messages.success(request, _("Saved."))
                    return redirect("checkins:alert_detail", pk=alert.pk)
            else:
                status = 400
    audit.record_opening(user, alert, refresh=audit.is_refresh(request))
    events = list(alert.events.select_related("actor"))
    context = {
        "alert": alert,
        "events": events,
        "forms": forms_by_action,
        "profile": getattr(alert.client, "client_profile", None),
        "recent_phq9": list(
            Response.objects.filter(
                partnership__client_id=alert.client_id, instrument_id="phq9"
            ).order_by("-submitted_at")[:3]
        )
        if alert.is_safety
        else [],
    }
    return render(request, "checkins/alert_detail.html", context, status=status)


def _apply(action: str, alert: Alert, user: User, data: dict[str, Any]) -> None:
    if action == "acknowledge":
        alert_workflow.acknowledge_alert(alert=alert, actor=user, note=data.get("note", ""))
    elif action == "plan":
        alert_workflow.plan_repair(alert=alert, actor=user, note=data["note"])
    elif action == "resolve":
        alert_workflow.resolve_alert(alert=alert, actor=user, note=data["note"])
    else:
        alert_workflow.close_safety_alert(
            alert=alert,
            actor=user,
            risk_level=data["risk_level"],
            risk_assessment=data["risk_assessment"],
            plan={f: data[f] for f in alert_workflow.SAFETY_PLAN_FIELDS},
        )


@access("therapist", scope="practice")
@require_GET
def on_call(request: HttpRequest) -> HttpResponse:
    """Open safety alerts for the on-call clinician (and for therapists, their own)."""
    user = _user(request)
    alerts = list(queries.open_safety_alerts())
    if not user.is_on_call:
        alerts = [
            a
            for a in alerts
            if a.partnership is not None
            and a.partnership.is_active
            and a.partnership.therapist_id == user.pk
        ]
    # After an ending, who the client works with now: one query for the whole list.
    now_with = queries.current_therapist_names({a.client_id for a in alerts})
    for a in alerts:
        a.current_therapist = now_with.get(a.client_id, "")  # type: ignore[attr-defined]
    template = "checkins/on_call.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#alerts"
    return render(request, template, {"alerts": alerts, "on_call": user.is_on_call})
