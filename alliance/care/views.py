from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from alliance.accounts.models import User
from alliance.care import (
    client_query,
    leaving,
    offers,
    queries,
    records,
    services,
    switching,
    waitlist,
)
from alliance.care.intake import IntakeForm, save_intake
from alliance.care.models import CaseNote, MatchOffer, Partnership, WaitlistEntry
from alliance.core.crisis import resources_for, resources_for_user
from alliance.matching.vocabulary import PILLARS
from alliance.privacy import audit
from alliance.privacy.access import access


class NoteForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("New note (only you can read it)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=services.NOTE_MAX_CHARS,
    )


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def partnership_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    former = queries.former_partnership_of_therapist(user, pk) if user.is_therapist else None
    if former is not None:
        # After a switch or an ending, a therapist keeps only what they wrote, read-only.
        if request.method != "GET":
            return HttpResponse(status=405)
        audit.record(user, audit.Action.OPEN_RECORD, former, reason="former therapist, own notes")
        own = list(CaseNote.objects.filter(partnership=former, author=user)[:200])
        return render(
            request, "care/former_partnership.html", {"partnership": former, "notes": own}
        )
    partnership = queries.partnership_for(user, pk)
    form = NoteForm(request.POST or None) if user.is_therapist else None
    if request.method == "POST":
        if form is None:
            return HttpResponse(status=405)
        if form.is_valid():
            try:
                services.add_case_note(
                    partnership=partnership, author=user, text=form.cleaned_data["text"]
                )
            except services.PartnershipError as exc:
                form.add_error("text", str(exc))
            else:
                messages.success(request, _("Note saved."))
                return redirect("care:partnership_detail", pk=partnership.pk)
    notes = []
    if user.is_therapist:
        # One audit row per opening of the record, not per fragment refresh (audit.py).
        audit.record_opening(user, partnership, refresh=audit.is_refresh(request))
        notes = list(CaseNote.objects.filter(partnership=partnership)[:50])
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "care/partnership_detail.html",
        {"partnership": partnership, "form": form, "notes": notes},
        status=status,
    )


# --- intake and matching ----------------------------------------------------------------


def _has_active(user: User) -> bool:
    return queries.active_partnership_of_client(user) is not None


@access("client", scope="self")
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if _has_active(user):
        # Finding a therapist while working with one is switching: that page does it.
        messages.info(
            request,
            _("You already work with a therapist. To work with someone else, switch here."),
        )
        return redirect("care:switch")
    form = IntakeForm(request.POST or None, client=user)
    if request.method == "POST":
        if form.is_valid():
            answers, alerted = save_intake(client=user, form=form)
            if answers.screen_positive:
                # Crisis resources come at once, before any matching.
                return render(
                    request,
                    "care/intake_screen.html",
                    {
                        "resources": resources_for(answers.jurisdiction),
                        "alerted": alerted,
                    },
                )
            return redirect("care:matches")
        return render(request, "care/intake.html", {"form": form}, status=400)
    return render(request, "care/intake.html", {"form": form})


@access("client", scope="self")
@require_http_methods(["GET"])
def matches(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if _has_active(user):
        return redirect("home:home")
    answers = client_query.latest_intake(user)
    if answers is None:
        return redirect("care:intake")
    page = offers.find_matches(client=user, intake=answers)
    return render(
        request,
        "care/matches.html",
        {
            "page": page,
            "waiting": waitlist.waiting_entry(user),
            "reason_pillar": page.switch_reason in PILLARS,
        },
    )


@access("client", scope="self")
@require_POST
def choose(request: HttpRequest, offer_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    offer = get_object_or_404(MatchOffer, pk=offer_id, client=user)
    try:
        partnership = offers.choose_therapist(client=user, offer=offer)
    except offers.MatchingError as exc:
        messages.error(request, str(exc))
        target = "care:waitlist" if offer.source == MatchOffer.Source.WAITLIST else "care:matches"
        return redirect(target)
    messages.success(
        request,
        _("You are now working with %(name)s.") % {"name": partnership.therapist.name},
    )
    return redirect("home:home")


# --- switching --------------------------------------------------------------------------


class SwitchForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("What was not right? (optional)"),
        choices=switching.REASON_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    consent_handoff = forms.BooleanField(
        label=gettext_lazy("Share my goals and history with my next therapist"),
        required=False,
    )


@access("client", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def switch(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    partnership = queries.active_partnership_of_client(user)
    if partnership is None:
        return redirect("care:intake")
    form = SwitchForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                switching.switch_therapist(
                    partnership=partnership,
                    reason=form.cleaned_data["reason"],
                    consent_handoff=form.cleaned_data["consent_handoff"],
                )
            except switching.SwitchError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your previous therapist no longer has access."))
                if client_query.latest_intake(user) is None:
                    return redirect("care:intake")
                return redirect("care:matches")
        return render(
            request, "care/switch.html", {"form": form, "partnership": partnership}, status=400
        )
    return render(request, "care/switch.html", {"form": form, "partnership": partnership})


# --- waiting list -----------------------------------------------------------------------


@access("client", scope="self")
@require_http_methods(["GET", "POST"])
def waitlist_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        action = request.POST.get("action")
        answers = client_query.latest_intake(user)
        if action == "join" and answers is not None:
            try:
                waitlist.join_waitlist(client=user, intake=answers)
            except offers.MatchingError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("You are on the waiting list."))
        elif action == "leave":
            waitlist.leave_waitlist(client=user)
            messages.success(request, _("You have left the waiting list."))
        else:
            messages.error(request, _("Fill in what you are looking for first."))
            return redirect("care:intake")
        return redirect("care:waitlist")
    return render(
        request,
        "care/waitlist.html",
        {
            "entry": waitlist.waiting_entry(user),
            "offers": waitlist.pending_offers(user),
            "resources": resources_for_user(user),
        },
    )


@access("client", scope="self")
@require_POST
def decline(request: HttpRequest, offer_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    offer = get_object_or_404(MatchOffer, pk=offer_id, client=user)
    try:
        waitlist.decline_offer(client=user, offer=offer)
    except offers.MatchingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Declined. You keep your place on the waiting list."))
    return redirect("care:waitlist")


@access("admin", scope="practice")
@require_http_methods(["GET", "POST"])
def admin_waitlist(request: HttpRequest) -> HttpResponse:
    report = None
    if request.method == "POST":
        report = waitlist.run_assignment()
        messages.success(
            request,
            _("%(offered)s of %(waiting)s waiting clients received an offer.")
            % {"offered": report.offered, "waiting": report.waiting},
        )
    waiting = WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).count()
    pending = MatchOffer.objects.filter(
        source=MatchOffer.Source.WAITLIST, status=MatchOffer.Status.SHOWN
    ).count()
    return render(
        request,
        "care/admin_waitlist.html",
        {"waiting": waiting, "pending": pending, "report": report},
    )


@access("admin", scope="practice")
@require_http_methods(["GET", "POST"])
def therapist_leaves(request: HttpRequest, therapist_id: int) -> HttpResponse:
    """Confirm, then end every partnership of a therapist who leaves the practice."""
    therapist = get_object_or_404(User, pk=therapist_id, role=User.Role.THERAPIST)
    active = Partnership.objects.filter(therapist=therapist, status=Partnership.Status.ACTIVE)
    if request.method == "POST":
        if request.POST.get("confirm") != therapist.email:
            messages.error(request, _("Type the therapist's e-mail address to confirm."))
        else:
            ended = leaving.therapist_leaves(therapist=therapist, by=request.user)  # type: ignore[arg-type]
            messages.success(
                request,
                ngettext(
                    "%(name)s has left the practice; %(count)s partnership has ended and "
                    "its client has been told.",
                    "%(name)s has left the practice; %(count)s partnerships have ended and "
                    "their clients have been told.",
                    len(ended),
                )
                % {"name": therapist.name, "count": len(ended)},
            )
            return redirect("directory:therapist_detail", pk=therapist.pk)
    return render(
        request,
        "care/therapist_leaves.html",
        {"therapist": therapist, "active": active.count()},
        status=400 if request.method == "POST" else 200,
    )


# --- therapist records ------------------------------------------------------------------


@access("admin", scope="practice")
@require_http_methods(["GET"])
def records_list(request: HttpRequest) -> HttpResponse:
    """A practice has hundreds of therapists: the list is searched and paged, 50 at a time."""
    q = request.GET.get("q", "").strip()[:100]
    therapists = User.objects.filter(role=User.Role.THERAPIST).order_by("display_name", "id")
    if q:
        therapists = therapists.filter(Q(display_name__icontains=q) | Q(email__icontains=q))
    page = Paginator(therapists, 50).get_page(request.GET.get("page"))
    counts = records.case_counts()
    rows = [(t, counts.get(t.pk, 0)) for t in page]
    return render(request, "care/records_list.html", {"rows": rows, "page": page, "q": q})


def _record_page(request: HttpRequest, therapist: User) -> HttpResponse:
    record = records.therapist_records([therapist.pk])[therapist.pk]
    return render(request, "care/record_detail.html", {"therapist": therapist, "record": record})


@access("admin", scope="practice")
@require_http_methods(["GET"])
def record_detail(request: HttpRequest, therapist_id: int) -> HttpResponse:
    therapist = get_object_or_404(User, pk=therapist_id, role=User.Role.THERAPIST)
    return _record_page(request, therapist)


@access("therapist", scope="self")
@require_http_methods(["GET"])
def my_record(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_therapist:
        raise Http404
    return _record_page(request, user)
