from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from alliance.accounts.models import User
from alliance.care import queries as care_queries
from alliance.care.models import Partnership
from alliance.checkins import queries as checkins_queries
from alliance.goals import forms, queries, services
from alliance.goals.models import GAS_LABELS, Goal, Side, Task
from alliance.privacy import audit
from alliance.privacy.access import access


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _opened(request: HttpRequest, user: User, partnership: Partnership) -> None:
    """One audit row per page a therapist opens, not per fragment refresh or form post."""
    if user.is_therapist:
        audit.record_opening(user, partnership, refresh=audit.is_refresh(request))


def _side(user: User) -> str:
    return Side.CLIENT if user.is_client else Side.THERAPIST


# --- overview -------------------------------------------------------------------------


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET"])
def overview(request: HttpRequest) -> HttpResponse:
    """The client goes straight to "progress together"; a therapist sees their caseload
    with what is waiting for them."""
    user = _user(request)
    if user.is_client:
        partnership = care_queries.active_partnership_of_client(user)
        if partnership is not None:
            return redirect("goals:progress", pk=partnership.pk)
        return render(request, "goals/overview_client.html", {})
    caseload = list(care_queries.caseload(user))
    ids = [p.pk for p in caseload]
    rates = queries.completion_rates(ids)
    waiting = dict(
        Goal.objects.filter(partnership_id__in=ids, status=Goal.Status.ACTIVE)
        .values("partnership_id")
        .annotate(n=Count("id", filter=Q(agreed_by_therapist_at__isnull=True)))
        .values_list("partnership_id", "n")
    )
    agreed = dict(
        Goal.objects.filter(
            partnership_id__in=ids,
            agreed_by_client_at__isnull=False,
            agreed_by_therapist_at__isnull=False,
        )
        .exclude(status=Goal.Status.ARCHIVED)
        .values("partnership_id")
        .annotate(n=Count("id"))
        .values_list("partnership_id", "n")
    )
    rows = [
        {
            "partnership": p,
            "completion": rates.get(p.pk),
            "waiting": waiting.get(p.pk, 0),
            "agreed": agreed.get(p.pk, 0),
        }
        for p in caseload
    ]
    return render(request, "goals/overview_therapist.html", {"rows": rows})


# --- goals ----------------------------------------------------------------------------


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def partnership_goals(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    partnership = care_queries.partnership_for(user, pk)
    form = forms.GoalForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.propose_goal(
                    partnership=partnership,
                    by=user,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                )
            except services.GoalError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Goal proposed. It becomes shared once you both agree.")
                )
                return redirect("goals:partnership_goals", pk=partnership.pk)
        status = 400
    _opened(request, user, partnership)
    goals = list(queries.goals_of(partnership))
    return render(
        request,
        "goals/goals.html",
        {
            "partnership": partnership,
            "goals": goals,
            "form": form,
            "side": _side(user),
            "handed_over": queries.handed_over_goals(partnership) if user.is_therapist else [],
        },
        status=status,
    )


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    goal = queries.goal_for(user, pk)
    partnership = goal.partnership
    rating_form = forms.RatingForm()
    edit_form = forms.GoalForm(initial={"title": goal.title, "description": goal.description})
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "agree":
                services.agree_goal(goal=goal, by=user)
                messages.success(request, _("You agreed to this goal."))
            elif action == "rate":
                rating_form = forms.RatingForm(request.POST)
                if not rating_form.is_valid():
                    raise services.GoalError(_("Please choose a rating from -2 to +2."))
                services.rate_goal(
                    goal=goal,
                    by=user,
                    value=rating_form.cleaned_data["value"],
                    note=rating_form.cleaned_data["note"],
                )
                messages.success(request, _("Progress saved."))
            elif action == "edit":
                edit_form = forms.GoalForm(request.POST)
                if not edit_form.is_valid():
                    raise services.GoalError(_("Please check the goal's wording."))
                services.edit_goal(
                    goal=goal,
                    by=user,
                    title=edit_form.cleaned_data["title"],
                    description=edit_form.cleaned_data["description"],
                )
                messages.success(
                    request, _("Goal reworded. The other side is asked to agree again.")
                )
            elif action in {"achieve", "archive"}:
                status = Goal.Status.ACHIEVED if action == "achieve" else Goal.Status.ARCHIVED
                services.close_goal(goal=goal, by=user, status=status)
                messages.success(request, _("Goal closed; its history is kept."))
            else:
                raise services.GoalError(_("Unknown action."))
        except services.GoalError as exc:
            error = str(exc)
        else:
            return redirect("goals:goal_detail", pk=goal.pk)
        goal = queries.goal_for(user, pk)
    _opened(request, user, partnership)
    return render(
        request,
        "goals/goal_detail.html",
        {
            "partnership": partnership,
            "goal": goal,
            "history": queries.goal_history(goal),
            "rating_form": rating_form,
            "edit_form": edit_form,
            "error": error,
            "side": _side(user),
            "may_agree": goal.is_active and not goal.agreed_by(_side(user)),
        },
        status=400 if error else 200,
    )


# --- tasks ----------------------------------------------------------------------------


def _tasks_page(
    request: HttpRequest,
    user: User,
    partnership: Partnership,
    *,
    form: forms.TaskForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    open_goals = [g for g in queries.goals_of(partnership) if g.is_active]
    if form is None:
        form = forms.TaskForm(goals=open_goals)
    _opened(request, user, partnership)
    return render(
        request,
        "goals/tasks.html",
        {
            "partnership": partnership,
            "tasks": list(queries.tasks_of(partnership)),
            "form": form,
            "outcome_form": forms.OutcomeForm(),
            "completion": queries.completion_for(partnership),
            "side": _side(user),
            "error": error,
        },
        status=status,
    )


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def partnership_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    partnership = care_queries.partnership_for(user, pk)
    if request.method == "GET":
        return _tasks_page(request, user, partnership)
    open_goals = [g for g in queries.goals_of(partnership) if g.is_active]
    form = forms.TaskForm(request.POST, goals=open_goals)
    if form.is_valid():
        goal = next((g for g in open_goals if g.pk == form.cleaned_data["goal"]), None)
        try:
            services.propose_task(
                partnership=partnership,
                by=user,
                title=form.cleaned_data["title"],
                due_on=form.cleaned_data["due_on"],
                goal=goal,
            )
        except services.GoalError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Task saved. It counts once you both agree."))
            return redirect("goals:partnership_tasks", pk=partnership.pk)
    return _tasks_page(request, user, partnership, form=form, status=400)


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["POST"])
def task_action(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    task = queries.task_for(user, pk)
    action = request.POST.get("action", "")
    try:
        if action == "agree":
            services.agree_task(task=task, by=user)
            messages.success(request, _("You agreed to this task."))
        elif action == "outcome":
            outcome = forms.OutcomeForm(request.POST)
            if not outcome.is_valid():
                raise services.GoalError(_("Please say whether it was done."))
            services.record_task_outcome(
                task=task,
                by=user,
                done=outcome.cleaned_data["done"],
                reflection=outcome.cleaned_data["reflection"],
            )
            messages.success(request, _("Thank you, that is saved."))
        else:
            raise services.GoalError(_("Unknown action."))
    except services.GoalError as exc:
        return _tasks_page(request, user, task.partnership, error=str(exc), status=400)
    return redirect("goals:partnership_tasks", pk=task.partnership_id)


# --- working agreement ----------------------------------------------------------------


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def working_agreement(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    partnership = care_queries.partnership_for(user, pk)
    current = queries.current_agreement(partnership)
    form_class = forms.ClientAgreementForm if user.is_client else forms.TherapistAgreementForm
    initial = (
        {name: getattr(current, name) or "" for name in form_class.base_fields} if current else {}
    )
    form = form_class(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.revise_working_agreement(
                    partnership=partnership, by=user, changes=dict(form.cleaned_data)
                )
            except services.GoalError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved. Thank you for saying what helps."))
                return redirect("goals:working_agreement", pk=partnership.pk)
        status = 400
    _opened(request, user, partnership)
    return render(
        request,
        "goals/working_agreement.html",
        {
            "partnership": partnership,
            "current": current,
            "history": queries.agreement_history(partnership),
            "form": form,
        },
        status=status,
    )


# --- progress together ----------------------------------------------------------------


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET"])
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """One page for both sides: goals and their progress, tasks, the alliance pillars and
    outcome over time (check-ins), and what the client shared (the journal's tag library)."""
    user = _user(request)
    partnership = care_queries.partnership_for(user, pk)
    _opened(request, user, partnership)
    goals = list(queries.goals_of(partnership))
    context: dict[str, Any] = {
        # The alliance pillars and outcome over time, drawn by the check-ins part.
        **checkins_queries.progress_context(partnership, viewer=user),
        "has_progress_charts": True,
        "partnership": partnership,
        "active_goals": [g for g in goals if g.is_active],
        "closed_goals": [g for g in goals if not g.is_active],
        "tasks": list(queries.tasks_of(partnership).filter(status=Task.Status.OPEN)[:20]),
        "recent_tasks": list(
            queries.tasks_of(partnership)
            .exclude(status=Task.Status.OPEN)
            .order_by("-resolved_at")[:10]
        ),
        "completion": queries.completion_for(partnership),
        "agreement": queries.current_agreement(partnership),
        "gas_labels": GAS_LABELS,
        "side": _side(user),
    }
    return render(request, "goals/progress.html", context)
