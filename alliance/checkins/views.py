"""Pages of the check-in flow and the alliance monitor.

Views parse input, call a service, render. Safety is handled inside `submit_response`, in
the same request: when it raises an alert the crisis panel is rendered at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.accounts.models import User
from alliance.care import queries as care_queries
from alliance.checkins import export, queries
from alliance.checkins import instruments as lookup
from alliance.checkins.errors import CheckinError
from alliance.checkins.forms import InstrumentForm, ScheduleForm
from alliance.checkins.length import CheckinLength, checkin_length
from alliance.checkins.models import CHECKIN, CheckinRequest, Response
from alliance.checkins.requests import (
    outcome_schedule_of,
    outcomes_due,
    request_checkin,
    session_to_rate,
    set_outcome_schedule,
)
from alliance.checkins.submission import pending_instruments, submit_response
from alliance.core import language
from alliance.core.crisis import resources_for_user
from alliance.measures.cli import rule_of
from alliance.measures.instrument import Instrument
from alliance.privacy import audit
from alliance.privacy.access import access


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def switch_url() -> str | None:
    try:
        return reverse("care:switch")
    except NoReverseMatch:
        return None


def _request_for(user: User, pk: int) -> CheckinRequest:
    found = (
        CheckinRequest.objects.select_related("partnership__client", "partnership__therapist")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("no such check-in")
    partnership = found.partnership
    if user.pk == partnership.client_id or (
        user.pk == partnership.therapist_id and partnership.is_active
    ):
        return found
    raise Http404("no such check-in")


# --- client and therapist check-in flow --------------------------------------------------


@access("client", "therapist", scope="own_partnerships")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.is_client:
        partnership = care_queries.active_partnership_of_client(user)
        pending = (
            list(CheckinRequest.objects.filter(partnership=partnership, completed_at__isnull=True))
            if partnership
            else []
        )
        prompts = queries.client_prompts(partnership) if partnership else []
        # "Rate today's session" only once a session has happened and is not yet rated.
        to_rate = session_to_rate(partnership) if partnership and not pending else None
        if pending:
            asked = pending_instruments(pending[0], "client")
        elif to_rate is not None and partnership is not None:
            asked = [CHECKIN, *outcomes_due(partnership, to_rate.session_number)]
        else:
            asked = []
        return render(
            request,
            "checkins/index_client.html",
            {
                "partnership": partnership,
                "pending": pending,
                "to_rate": to_rate,
                "rate_today": to_rate is not None
                and timezone.localdate(to_rate.starts_at) == timezone.localdate(),
                "length": _length_texts(asked),
                "prompts": prompts,
                "switch_url": switch_url(),
            },
        )
    waiting = (
        CheckinRequest.objects.filter(partnership__therapist=user, partnership__status="active")
        .exclude(responses__respondent=user)
        .select_related("partnership__client")
        .order_by("-created_at")[:50]
    )
    return render(request, "checkins/index_therapist.html", {"waiting": waiting})


@access("client", "therapist", scope="own_partnerships")
@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    """Rate the latest session now (the client) or ask the client to (the therapist): only
    once a session has happened and is not yet rated; refused with a message otherwise."""
    user = _user(request)
    partnership = care_queries.partnership_for(user, pk)
    waiting = CheckinRequest.objects.filter(
        partnership=partnership, completed_at__isnull=True
    ).exists()
    try:
        checkin = request_checkin(partnership=partnership, started_by=user)
    except CheckinError as exc:
        messages.error(request, str(exc))
        if user.is_therapist:
            return redirect("checkins:progress", pk=partnership.pk)
        return redirect("checkins:index")
    if user.is_therapist:
        if waiting:
            messages.info(
                request,
                _("The client already has a check-in waiting (session %(n)s).")
                % {"n": checkin.session_number},
            )
        else:
            messages.success(request, _("The client has been asked for a check-in."))
        return redirect("checkins:progress", pk=partnership.pk)
    return redirect("checkins:fill", pk=checkin.pk)


def _length_texts(instrument_ids: list[str]) -> dict[str, str]:
    """How long a check-in asking these questionnaires takes, as sentences to show: the whole,
    and, when outcome measures follow the session rating, what the first part is."""
    if not instrument_ids:
        return {}
    length = checkin_length(instrument_ids)
    texts = {"whole": length.sentence(), "first": ""}
    rest = len(length.parts) - 1
    if instrument_ids[0] == CHECKIN and rest > 0 and length.parts:
        first = CheckinLength(length.parts[:1])
        if first.under_a_minute:
            texts["first"] = ngettext(
                "The first part (%(questions)s questions) takes under a minute; then one "
                "short questionnaire your therapist uses to follow how you are doing.",
                "The first part (%(questions)s questions) takes under a minute; then "
                "%(rest)s short questionnaires your therapist uses to follow how you are doing.",
                rest,
            ) % {"questions": first.questions, "rest": rest}
    return texts


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def fill(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    checkin = _request_for(user, pk)
    partnership = checkin.partnership
    role = "client" if user.pk == partnership.client_id else "therapist"
    pending = pending_instruments(checkin, role)
    asked = request.POST.get("instrument_id") or request.GET.get("instrument") or ""
    if request.method == "POST" and asked and asked not in pending:
        # Already answered (a double submit): stored once; move on.
        answered = Response.objects.filter(
            request=checkin, instrument_id=asked, respondent=user
        ).exists()
        if answered:
            return _after_submit(checkin, role)
    instrument_id = asked if asked in pending else (pending[0] if pending else None)
    if instrument_id is None:
        return redirect("checkins:done", pk=checkin.pk)
    instrument = lookup.instrument(instrument_id)
    # The client is told how long the check-in takes: all of it on its first page, then
    # which part of it each page is.
    parts = list(checkin.instruments) if role == "client" else []
    length = _length_texts(parts) if parts and pending == parts else {}
    part = (parts.index(instrument_id) + 1) if instrument_id in parts else 0
    status = 200
    if request.method == "POST":
        form = InstrumentForm(instrument, request.POST)
        if form.is_valid() and form.cleaned_data["instrument_id"] == instrument_id:
            try:
                submitted = submit_response(
                    partnership=partnership,
                    respondent=user,
                    instrument_id=instrument_id,
                    answers=form.answers(),
                    request=checkin,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except CheckinError as exc:
                form.add_error(None, str(exc))
            else:
                if submitted.crisis:
                    # Shown at once, in this same response (never after a task runs).
                    return _crisis_page(request, checkin, role)
                return _after_submit(checkin, role)
        status = 400
    else:
        form = InstrumentForm(
            instrument,
            initial={"instrument_id": instrument_id, "idempotency_key": uuid.uuid4().hex},
        )
    return render(
        request,
        "checkins/fill.html",
        {
            "checkin": checkin,
            "partnership": partnership,
            "instrument": instrument,
            "form": form,
            "role": role,
            "step": len(pending_instruments(checkin, role)),
            "length": length,
            "part": part,
            "parts": len(parts),
            "own_measure": instrument.own_measure,
            "credit": instrument.credit,
            "title": language.localized(instrument.title),
            "instructions": language.localized(instrument.instructions),
            "shown_in_english": language.shown_in_english(instrument.languages),
        },
        status=status,
    )


def _crisis_page(request: HttpRequest, checkin: CheckinRequest, role: str) -> HttpResponse:
    """The end of the check-in with the crisis panel and its resources."""
    return render(
        request,
        "checkins/done.html",
        {
            "checkin": checkin,
            "role": role,
            "crisis": True,
            "resources": resources_for_user(_user(request)),
            "next_instruments": pending_instruments(checkin, role),
            "switch_url": switch_url(),
        },
    )


def _after_submit(checkin: CheckinRequest, role: str) -> HttpResponse:
    if pending_instruments(checkin, role):
        return redirect("checkins:fill", pk=checkin.pk)
    return redirect("checkins:done", pk=checkin.pk)


@access("client", "therapist", scope="own_partnerships")
@require_GET
def done(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    checkin = _request_for(user, pk)
    role = "client" if user.pk == checkin.partnership.client_id else "therapist"
    return render(
        request,
        "checkins/done.html",
        {
            "checkin": checkin,
            "role": role,
            "crisis": False,
            "next_instruments": pending_instruments(checkin, role),
            "switch_url": switch_url(),
        },
    )


# --- progress and schedule -----------------------------------------------------------------


def _named(responses: list[Response]) -> list[tuple[Response, str, str, list[str]]]:
    """Each response with its instrument's name, its band's label as people read them (not
    stored codes) and where its total falls against each published cut-off (each instrument
    looked up once: a practice's own is a query)."""
    found: dict[str, Instrument | None] = {}
    for instrument_id in {r.instrument_id for r in responses}:
        try:
            found[instrument_id] = lookup.instrument(instrument_id)
        except lookup.UnknownInstrument:
            found[instrument_id] = None
    named: list[tuple[Response, str, str, list[str]]] = []
    for r in responses:
        inst = found[r.instrument_id]
        if inst is None:
            named.append((r, r.instrument_id, r.band, []))
        else:
            named.append(
                (r, inst.short_name, lookup.band_label(inst, r.band), cut_labels(inst, r.total))
            )
    return named


def cut_labels(inst: Instrument, total: float) -> list[str]:
    """Both cuts of a score, each naming its rule: the screening cut (GAD-7 >= 10, Spitzer et
    al. 2006) and caseness (GAD-7 >= 8, NHS Talking Therapies), so that "above the cut" never
    leaves the reader guessing which one. Empty for an instrument without cut-offs."""
    labels = []
    op = "≥" if inst.lower_is_better else "≤"
    if inst.screening_cutoff is not None:
        values = {
            "op": op,
            "score": f"{inst.screening_cutoff.score:g}",
            "rule": rule_of(inst.screening_cutoff),
        }
        if inst.is_screen_positive(total):
            labels.append(_("Screening cut (%(op)s %(score)s, %(rule)s): positive") % values)
        else:
            labels.append(_("Screening cut (%(op)s %(score)s, %(rule)s): negative") % values)
    if inst.cutoff is not None:
        values = {
            "op": op,
            "score": f"{inst.cutoff.score:g}",
            "rule": rule_of(inst.cutoff),
        }
        if inst.is_case(total):
            labels.append(_("%(rule)s caseness (%(op)s %(score)s): yes") % values)
        else:
            labels.append(_("%(rule)s caseness (%(op)s %(score)s): no") % values)
    return labels


@access("client", "therapist", scope="own_partnerships")
@require_GET
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    partnership = care_queries.partnership_for(user, pk)
    context: dict[str, Any] = queries.progress_context(partnership, viewer=user)
    if user.is_therapist:
        audit.record_opening(user, partnership, refresh=audit.is_refresh(request))
        wanted, every = outcome_schedule_of(partnership)
        context["schedule_form"] = ScheduleForm(
            _outcome_choices(), initial={"instruments": wanted, "every_n_sessions": every}
        )
        context["default_every"] = settings.OUTCOME_EVERY_N_SESSIONS
        context["alerts"] = list(queries.open_alerts_for(partnership))
        # "Ask for a check-in now" only once a session has happened and is not yet rated.
        context["waiting"] = (
            CheckinRequest.objects.filter(partnership=partnership, completed_at__isnull=True)
            .order_by("-session_number")
            .first()
        )
        context["to_rate"] = (
            session_to_rate(partnership)
            if context["waiting"] is None and partnership.is_active
            else None
        )
        context["responses"] = _named(
            list(
                Response.objects.filter(partnership=partnership).order_by("-session_number", "-id")[
                    :20
                ]
            )
        )
    else:
        context["prompts"] = queries.client_prompts(partnership)
        context["switch_url"] = switch_url()
    return render(request, "checkins/progress.html", context)


def _outcome_choices() -> list[tuple[str, str]]:
    return [(i, lookup.instrument(i).short_name) for i in lookup.outcome_instrument_ids()]


@access("therapist", scope="own_partnerships")
@require_POST
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    partnership = care_queries.partnership_for(user, pk)
    form = ScheduleForm(_outcome_choices(), request.POST)
    if form.is_valid():
        try:
            set_outcome_schedule(
                partnership=partnership,
                instruments=form.cleaned_data["instruments"],
                every_n_sessions=form.cleaned_data["every_n_sessions"],
                actor=user,
            )
        except CheckinError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Outcome schedule saved."))
            return redirect("checkins:progress", pk=partnership.pk)
    else:
        messages.error(
            request, _("Please check the schedule: %(e)s") % {"e": form.errors.as_text()}
        )
    return redirect("checkins:progress", pk=partnership.pk)


# --- export --------------------------------------------------------------------------------


@access("client", "therapist", scope="own_partnerships")
@require_GET
def response_fhir(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    response = get_object_or_404(Response.objects.select_related("partnership"), pk=pk)
    care_queries.partnership_for(user, response.partnership_id)
    bundle = export.fhir_bundle(response)
    audit.record(user, audit.Action.EXPORT, response)
    out = JsonResponse(bundle, json_dumps_params={"indent": 2})
    out["Content-Disposition"] = f'attachment; filename="response-{response.pk}.fhir.json"'
    return out
