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
from alliance.checkins import alert_workflow, instruments, queries
from alliance.checkins.errors import CheckinError
from alliance.checkins.forms import NoteForm, RepairForm, ResolveForm, SafetyCloseForm
from alliance.checkins.models import CHECKIN, Alert, Response
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
        "answers": _answers_behind(alert) if alert.is_card else [],
    }
    return render(request, "checkins/alert_detail.html", context, status=status)


def _answers_behind(alert: Alert) -> list[dict[str, Any]]:
    """The client's check-ins of the sessions a card's evidence cites: each item's answer in
    the form's own words, and the comment, so the therapist sees what moved the risk."""
    sessions = sorted(
        {
            int(e["session"])
            for e in alert.evidence or []
            if e.get("source") in ("checkin", "risk") and isinstance(e.get("session"), int)
        }
    )[-2:]
    if not sessions or alert.partnership_id is None:
        return []
    form = instruments.instrument(CHECKIN)
    out = []
    for response in (
        Response.objects.current()
        .filter(
            partnership_id=alert.partnership_id,
            instrument_id=CHECKIN,
            respondent_role="client",
            session_number__in=sessions,
        )
        .order_by("session_number")
    ):
        answers = response.answers or {}
        rows = []
        for item in form.items:
            if item.id not in answers or item.kind == "text":
                continue
            value = answers[item.id]
            option = next((o for o in item.options if o.value == value), None)
            rows.append(
                {
                    "question": instruments.localized(item.text),
                    "answer": instruments.localized(option.text) if option else value,
                }
            )
        out.append(
            {
                "session": response.session_number,
                "submitted_at": response.submitted_at,
                "rows": rows,
                "comment": response.comment or "",
            }
        )
    return out


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
