"""Schedule pages: booking, the appointment page, availability, history, endings, feeds.
Progress notes have their own pages (note_views.py).

Times are shown in the viewer's own zone (`User.timezone`), with the zone named on the page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.accounts.models import User
from alliance.care import ending
from alliance.care.models import Partnership, PlannedEnding
from alliance.care.queries import partnership_for
from alliance.care.services import PartnershipError
from alliance.core.weekdays import WEEKDAYS
from alliance.core.zones import therapist_zone, zone_of
from alliance.directory.models import AvailabilityWindow
from alliance.privacy import audit
from alliance.privacy.access import access
from alliance.schedule import availability, forms, ics, note_queries, queries, services
from alliance.schedule.models import (
    Appointment,
    AvailabilityException,
    CalendarFeed,
    ProgressNote,
    TimeOff,
)

SLOT_DAYS = 7
MAX_WEEKS = 8


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@access("client", "therapist", scope="own_partnerships")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    zone = zone_of(user)
    upcoming = list(queries.upcoming_for(user)[:50])
    partnerships = list(
        Partnership.objects.filter(client=user, status=Partnership.Status.ACTIVE)
        if user.is_client
        else []
    )
    to_mark = list(queries.needs_marking(user)[:50]) if user.is_therapist else []
    therapist = user.is_therapist
    return render(
        request,
        "schedule/index.html",
        {
            "zone": str(zone),
            "upcoming": upcoming,
            "partnership": partnerships[0] if partnerships else None,
            "to_mark": to_mark,
            "late_notes": note_queries.late_to_sign(user).count() if therapist else 0,
            "to_cosign": note_queries.awaiting_cosignature(user).count() if therapist else 0,
        },
    )


def _week(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("week", "0")), 0), MAX_WEEKS)
    except ValueError:
        return 0


def _slot_context(
    request: HttpRequest,
    partnership: Partnership,
    *,
    ignore_appointment: int | None = None,
) -> dict[str, Any]:
    user = _user(request)
    zone = zone_of(user)
    week = _week(request)
    now = timezone.now()
    from django.conf import settings

    start = now + dt.timedelta(days=SLOT_DAYS * week)
    end = start + dt.timedelta(days=SLOT_DAYS)
    calendar = availability.load_calendar(
        partnership.therapist,
        start,
        end,
        client=partnership.client,
        ignore_appointment=ignore_appointment,
    )
    slots = availability.open_slots(
        calendar,
        start,
        end,
        not_before=now + dt.timedelta(minutes=settings.MIN_BOOKING_NOTICE_MINUTES),
    )
    return {
        "partnership": partnership,
        "zone": str(zone),
        "therapist_zone": str(calendar.zone),
        "days": availability.group_by_local_day(slots, zone),
        "week": week,
        "prev_week": week - 1 if week > 0 else None,
        "next_week": week + 1 if week < MAX_WEEKS else None,
    }


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    partnership = partnership_for(user, pk)
    if not partnership.is_active:
        raise Http404("this partnership has ended")
    offered = list(getattr(partnership.therapist.therapist_profile, "modalities", []) or [])
    form = forms.BookForm(modalities=offered)
    error = None
    if request.method == "POST":
        form = forms.BookForm(request.POST, modalities=offered)
        starts_at = forms.parse_instant(request.POST.get("starts_at", ""))
        modality = request.POST.get("modality", "")
        if starts_at is None:
            error = _("Choose a time.")
        else:
            try:
                appointment = services.book_appointment(
                    partnership=partnership, starts_at=starts_at, modality=modality, by=user
                )
            except services.ScheduleError as exc:
                error = str(exc)
            else:
                messages.success(request, _("Booked. A confirmation is on its way by e-mail."))
                return redirect("schedule:appointment", pk=appointment.pk)
    context = _slot_context(request, partnership) | {"form": form, "error": error}
    template = "schedule/book.html#slots" if _htmx(request) else "schedule/book.html"
    return render(request, template, context, status=400 if error else 200)


@access("client", "therapist", scope="own_partnerships")
@require_GET
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    appointment = queries.appointment_for(user, pk)
    zone = zone_of(user)
    note = (
        ProgressNote.objects.filter(appointment=appointment)
        .select_related("signed_by", "cosigner", "cosigned_by")
        .first()
    )
    if user.is_therapist and note is not None:
        audit.record_opening(user, note, refresh=audit.is_refresh(request))
    elif note is not None and note.shared_at is None:
        note = None  # the client sees a note only when the therapist shares it
    now = timezone.now()
    upcoming = appointment.status == Appointment.Status.SCHEDULED and appointment.starts_at > now
    return render(
        request,
        "schedule/appointment.html",
        {
            "appointment": appointment,
            "zone": str(zone),
            "local_start": appointment.starts_at.astimezone(zone),
            "local_end": appointment.ends_at.astimezone(zone),
            "upcoming": upcoming,
            "late_window": upcoming and services.is_late(appointment, now),
            "can_mark": user.is_therapist
            and appointment.starts_at <= now
            and not appointment.is_cancelled,
            "attendance_form": forms.AttendanceForm(),
            "note": note,
            "note_sections": note_queries.shown_sections(note) if note else [],
            "addenda": list(note.addenda.select_related("author")) if note else [],
            "call_open": queries.appointment_for_call(partnership=appointment.partnership, at=now)
            == appointment,
        },
    )


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    appointment = queries.appointment_for(user, pk)
    error = None
    if request.method == "POST":
        starts_at = forms.parse_instant(request.POST.get("starts_at", ""))
        if starts_at is None:
            error = _("Choose a time.")
        else:
            try:
                moved = services.reschedule_appointment(
                    appointment=appointment, starts_at=starts_at, by=user
                )
            except services.ScheduleError as exc:
                error = str(exc)
            else:
                messages.success(request, _("Moved. The new time is on its way by e-mail."))
                return redirect("schedule:appointment", pk=moved.pk)
    context = _slot_context(request, appointment.partnership, ignore_appointment=appointment.pk)
    context |= {
        "appointment": appointment,
        "error": error,
        "late_window": services.is_late(appointment, timezone.now()) and user.is_client,
    }
    template = "schedule/book.html#slots" if _htmx(request) else "schedule/book.html"
    return render(request, template, context, status=400 if error else 200)


@access("client", "therapist", scope="own_partnerships")
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    appointment = queries.appointment_for(user, pk)
    try:
        cancelled = services.cancel_appointment(appointment=appointment, by=user)
    except services.ScheduleError as exc:
        messages.error(request, str(exc))
        return redirect("schedule:appointment", pk=appointment.pk)
    if cancelled.late_cancellation:
        messages.warning(request, _("Cancelled. This was inside the late-cancellation window."))
    else:
        messages.success(request, _("Cancelled."))
    return redirect("schedule:index")


@access("therapist", scope="own_partnerships")
@require_POST
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    appointment = queries.appointment_for(user, pk)
    form = forms.AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose attended or missed, and minutes late as a number."))
        return redirect("schedule:appointment", pk=appointment.pk)
    try:
        services.mark_attendance(
            appointment=appointment,
            by=user,
            status=form.cleaned_data["status"],
            late_minutes=form.cleaned_data["late_minutes"] or 0,
        )
    except services.ScheduleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Attendance recorded."))
    return redirect("schedule:appointment", pk=appointment.pk)


@access("client", "therapist", scope="own_partnerships")
@require_GET
def appointment_ics(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = queries.appointment_for(_user(request), pk)
    body = ics.attachment_for(appointment, now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="alliance-session-{pk}.ics"'
    return response


@access("client", "therapist", scope="own_partnerships")
@require_GET
def history(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    partnership = partnership_for(user, pk)
    rows = queries.history_of(partnership)
    if user.is_therapist:
        audit.record(user, audit.Action.OPEN_RECORD, partnership)
    return render(
        request,
        "schedule/history.html",
        {
            "partnership": partnership,
            "zone": zone_of(user),
            "rows": rows,
            "now": timezone.now(),
        },
    )


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def ending_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    partnership = partnership_for(user, pk)
    planned = PlannedEnding.objects.filter(partnership=partnership).first()
    reasons: list[str] = (
        [Partnership.EndReason.CLIENT_ENDED.value]
        if user.is_client
        else [Partnership.EndReason.COMPLETED.value, Partnership.EndReason.THERAPIST_ENDED.value]
    )
    plan_form = forms.PlanEndingForm()
    end_form = forms.EndForm(reasons=reasons)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "plan":
                plan_form = forms.PlanEndingForm(request.POST)
                if not plan_form.is_valid():
                    raise PartnershipError(_("Give the planned last day."))
                ending.plan_ending(
                    partnership=partnership, by=user, last_day=plan_form.cleaned_data["last_day"]
                )
                messages.success(request, _("Ending planned. Final check-in requested."))
            elif action == "unplan":
                ending.cancel_planned_ending(partnership=partnership, by=user)
                messages.success(request, _("The planned ending was withdrawn."))
            elif action == "end":
                end_form = forms.EndForm(request.POST, reasons=reasons)
                if not end_form.is_valid():
                    raise PartnershipError(_("Choose a reason for ending."))
                ending.end(partnership=partnership, by=user, reason=end_form.cleaned_data["reason"])
                messages.success(request, _("The partnership has ended."))
                return redirect("home:home")
            elif action == "follow_up":
                ending.answer_follow_up_offer(
                    partnership=partnership, by=user, wanted=request.POST.get("wanted") == "1"
                )
                messages.success(request, _("Thank you. Your answer is saved."))
            else:
                raise PartnershipError(_("Unknown action."))
        except PartnershipError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            return redirect("schedule:ending", pk=partnership.pk)
    return render(
        request,
        "schedule/ending.html",
        {
            "partnership": partnership,
            "planned": planned,
            "plan_form": plan_form,
            "end_form": end_form,
        },
        status=status,
    )


@access("therapist", scope="self")
@require_http_methods(["GET", "POST"])
def availability_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    profile = getattr(user, "therapist_profile", None)
    if profile is None:
        raise Http404("no therapist profile")
    window_form = forms.WindowForm()
    exception_form = forms.ExceptionForm()
    time_off_form = forms.TimeOffForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add_window":
                window_form = forms.WindowForm(request.POST)
                if not window_form.is_valid():
                    raise services.ScheduleError(_("Give a day, a start and an end."))
                services.add_weekly_window(therapist=user, **window_form.cleaned_data)
            elif action == "add_exception":
                exception_form = forms.ExceptionForm(request.POST)
                if not exception_form.is_valid():
                    raise services.ScheduleError(_("Give a date and what changes on it."))
                services.add_exception(therapist=user, **exception_form.cleaned_data)
            elif action == "add_time_off":
                time_off_form = forms.TimeOffForm(request.POST)
                if not time_off_form.is_valid():
                    raise services.ScheduleError(_("Give the first and last day away."))
                services.add_time_off(therapist=user, **time_off_form.cleaned_data)
            elif action == "remove_window":
                services.remove_weekly_window(
                    therapist=user, window_id=_int(request.POST.get("id"))
                )
            elif action in {"remove_exception", "remove_time_off"}:
                services.remove_exception(
                    therapist=user,
                    kind=action.removeprefix("remove_"),
                    pk=_int(request.POST.get("id")),
                )
            else:
                raise services.ScheduleError(_("Unknown action."))
        except services.ScheduleError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            messages.success(request, _("Availability updated."))
            return redirect("schedule:availability")
    today = timezone.now().astimezone(therapist_zone(user)).date()
    return render(
        request,
        "schedule/availability.html",
        {
            "profile": profile,
            "windows": AvailabilityWindow.objects.filter(therapist=profile),
            "exceptions": AvailabilityException.objects.filter(therapist=user, date__gte=today),
            "time_off": TimeOff.objects.filter(therapist=user, last_day__gte=today),
            "window_form": window_form,
            "exception_form": exception_form,
            "time_off_form": time_off_form,
            "weekdays": dict(WEEKDAYS),
        },
        status=status,
    )


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


@access("client", "therapist", scope="self")
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.revoke_feed(user=user)
            messages.success(request, _("A new secret address was made; the old one stopped."))
        else:
            services.feed_for(user=user)
        return redirect("schedule:calendar")
    feed = CalendarFeed.objects.filter(user=user).first()
    feed_url = (
        request.build_absolute_uri(f"/schedule/feed/{feed.token}.ics") if feed is not None else None
    )
    return render(request, "schedule/calendar.html", {"feed": feed, "feed_url": feed_url})


@access("public", scope="public")
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private iCalendar feed: authenticated by its secret token, not by a log-in."""
    found = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if found is None or not found.user.is_active:
        raise Http404("no such feed")
    user = found.user
    since = timezone.now() - dt.timedelta(days=30)
    appointments = (
        Appointment.objects.filter(starts_at__gte=since)
        .filter(
            partnership__status=Partnership.Status.ACTIVE,
            **({"client": user} if user.is_client else {"therapist": user}),
        )
        .order_by("starts_at")[:500]
    )
    body = ics.calendar_for(appointments, now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
