"""The treatment plan's pages: the plan (therapist, client, or an admin, audited), writing or
revising it (the client's own therapist), the client's answer, and the plans due for review.

Another therapist, or a client who is not the plan's, gets 404: the scoped queries of
care/queries.py decide, so nothing tells them a plan exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alliance.accounts.models import User
from alliance.care import queries as care_queries
from alliance.care.models import Partnership
from alliance.privacy import audit
from alliance.privacy.access import access
from alliance.records import plan_review, plan_signing, plans
from alliance.records.documents import sha256
from alliance.records.errors import RecordsError
from alliance.records.plan_forms import PlanForm, RespondForm, initial_for
from alliance.records.plan_models import PlanVersion


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _partnership(request: HttpRequest, pk: int) -> Partnership:
    user = _user(request)
    if user.role == User.Role.ADMIN:
        return get_object_or_404(Partnership.objects.select_related("client", "therapist"), pk=pk)
    return care_queries.partnership_for(user, pk)


def _chosen(
    request: HttpRequest, partnership: Partnership
) -> tuple[PlanVersion | None, list[PlanVersion]]:
    versions = list(plans.versions_of(partnership))
    wanted = request.GET.get("version", "")
    if wanted:
        found = [v for v in versions if str(v.number) == wanted]
        if not found:
            raise Http404("no such plan version")
        return found[0], versions
    return (versions[0] if versions else None), versions


def _plan_page(
    request: HttpRequest,
    partnership: Partnership,
    *,
    respond_form: RespondForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    version, versions = _chosen(request, partnership)
    if version is not None and not user.is_client:
        # Staff reads of the plan are in the audit log; the therapist's too, as for goals.
        audit.record_opening(
            user, version, refresh=audit.is_refresh(request), reason="records: treatment plan"
        )
    current = versions[0] if versions else None
    context: dict[str, Any] = {
        "partnership": partnership,
        "version": version,
        "is_current": version is not None and version == current,
        "rows": [(v, plans.latest_response(v)) for v in versions],
        "response": plans.latest_response(version) if version else None,
        "due": version is not None and plan_review.is_due(version),
        "today": timezone.localdate(),
        "can_write": user.is_therapist and partnership.status == Partnership.Status.ACTIVE,
    }
    if user.is_client and version is not None and version == current:
        shown = sha256(plan_signing.shown_text(version))
        context["respond_form"] = respond_form or RespondForm(initial={"shown": shown})
        context["statement"] = plan_signing.statement()
        context["can_answer"] = partnership.status == Partnership.Status.ACTIVE and not any(
            r.agreed for r in version.responses.all()
        )
    return render(request, "records/plan.html", context, status=status)


@access("client", "therapist", "admin", scope="own_partnerships")
@require_http_methods(["GET"])
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_page(request, _partnership(request, pk))


def _write_page(
    request: HttpRequest, partnership: Partnership, form: PlanForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "records/plan_write.html",
        {"partnership": partnership, "form": form, "current": plans.current_version(partnership)},
        status=status,
    )


@access("therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def plan_write(request: HttpRequest, pk: int) -> HttpResponse:
    """Write the first plan, or revise the current one (starting from its text)."""
    user = _user(request)
    partnership = care_queries.partnership_for(user, pk)
    goals = plans.agreed_goals(partnership)
    if request.method != "POST":
        current = plans.current_version(partnership)
        draft = plans.draft_of(current) if current else plans.Draft()
        if draft.review_on is None or draft.review_on <= timezone.localdate():
            draft = plans.Draft(**{**draft.__dict__, "review_on": plans.default_review_on()})
        form = PlanForm(initial=initial_for(draft), goals=goals, draft=draft)
        return _write_page(request, partnership, form)
    form = PlanForm(request.POST, goals=goals)
    if form.is_valid():
        try:
            version = plans.write_plan(partnership=partnership, by=user, draft=form.draft())
        except RecordsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Plan version %(n)d saved; your client is asked to read and sign it.")
                % {"n": version.number},
            )
            return redirect("records:plan", pk=partnership.pk)
    return _write_page(request, partnership, form, status=400)


@access("client", scope="own_partnerships")
@require_POST
def plan_respond(request: HttpRequest, pk: int) -> HttpResponse:
    """The client agrees (signing) or disagrees (with a comment) with a version."""
    user = _user(request)
    version = get_object_or_404(
        PlanVersion.objects.select_related("plan__partnership"),
        pk=pk,
        plan__partnership__client=user,
    )
    partnership = version.plan.partnership
    form = RespondForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, partnership, respond_form=form, status=400)
    data = form.cleaned_data
    agree = data["answer"] == "agree"
    try:
        plan_signing.respond(
            client=user,
            version=version,
            agree=agree,
            shown_sha256=data["shown"],
            typed_name=data["typed_name"],
            agreed_statement=data["agreed"],
            comment=data["comment"],
            user_agent=request.headers.get("User-Agent", ""),
        )
    except RecordsError as exc:
        form.add_error(None, str(exc))
        return _plan_page(request, partnership, respond_form=form, status=400)
    if agree:
        messages.success(request, _("Signed: you agreed to this treatment plan."))
    else:
        messages.success(
            request, _("Your disagreement is recorded; your therapist will talk it over with you.")
        )
    return redirect("records:plan", pk=partnership.pk)


@access("therapist", scope="own_partnerships")
@require_http_methods(["GET"])
def plans_due(request: HttpRequest) -> HttpResponse:
    """The therapist's plans whose review is within a week or overdue."""
    return render(
        request,
        "records/plans_due.html",
        {"due": plan_review.due_for_review(_user(request)), "today": timezone.localdate()},
    )
