"""Each role's home page and the health check: the pages that gather every part.

They sit above all the parts (the top layer of the import contract in pyproject.toml), so
they import each part's queries directly: the caseload and alerts from check-ins, the
partnership from care, licences and the practice's counts from the directory.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db import DatabaseError, connection
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from alliance.accounts.models import User
from alliance.care import queries as care_queries
from alliance.checkins.queries import (
    caseload_by_risk,
    open_evaluation_failure_count,
    open_safety_alerts,
)
from alliance.core.crisis import resources_for_user
from alliance.directory import queries as directory_queries
from alliance.home import next_steps
from alliance.privacy.access import access


@access("public", scope="public")
def health(request: HttpRequest) -> HttpResponse:
    """The load balancer's check: `status` is "ok" while the database answers (503 when it
    does not). `checks` adds detail for operators: partnerships whose alerts cannot be
    evaluated make `alert_evaluation` "failing", not the instance unhealthy. Two queries."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "checks": {"database": "error"}}, status=503)
    alert_evaluation: dict[str, Any]
    try:
        failures = open_evaluation_failure_count()
    except DatabaseError:
        alert_evaluation = {"status": "unknown"}
    else:
        status = "failing" if failures else "ok"
        alert_evaluation = {"status": status, "open_failures": failures}
    return JsonResponse(
        {"status": "ok", "checks": {"database": "ok", "alert_evaluation": alert_evaluation}}
    )


@access("client", "therapist", "admin", scope="self")
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.is_client:
        return client_home(request, user)
    if user.is_therapist:
        return therapist_home(request, user)
    return admin_home(request, user)


def client_home(request: HttpRequest, user: User) -> HttpResponse:
    partnership = care_queries.active_partnership_of_client(user)
    past = care_queries.past_partnerships_of_client(user)
    steps = next_steps.for_client(user, partnership)
    return render(
        request,
        "core/home_client.html",
        {
            "partnership": partnership,
            "past": past,
            "resources": resources_for_user(user),
            "now_step": steps[0] if steps else None,
            "later_steps": steps[1:],
        },
    )


def therapist_home(request: HttpRequest, user: User) -> HttpResponse:
    """The caseload ordered by risk (open alerts by severity); htmx polls the table."""
    caseload = caseload_by_risk(user)
    on_call_alerts = list(open_safety_alerts()) if user.is_on_call else []
    day = next_steps.for_therapist(user)
    for row in caseload:
        row["unread"] = day.unread.get(row["partnership"].pk, 0)
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "core/home_therapist.html#caseload",
            {"caseload": caseload, "on_call_alerts": on_call_alerts, "day": day},
        )
    licences = directory_queries.licences_of(user)
    profile = getattr(user, "therapist_profile", None)
    return render(
        request,
        "core/home_therapist.html",
        {
            "caseload": caseload,
            "licences": licences,
            "profile": profile,
            "on_call_alerts": on_call_alerts,
            "day": day,
        },
    )


def admin_home(request: HttpRequest, user: User) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    tab = request.GET.get("tab", "therapists")
    licences = request.GET.get("licences", "")
    if licences not in directory_queries.LICENCE_FILTERS:
        licences = ""  # an unknown filter shows everyone rather than an error page
    page: Page[Any]
    if tab == "clients":
        clients = User.objects.filter(role=User.Role.CLIENT).select_related(
            "client_profile__jurisdiction"
        )
        if q:
            clients = clients.filter(Q(display_name__icontains=q) | Q(email__icontains=q))
        clients = clients.annotate(
            active=Count("client_partnerships", filter=Q(client_partnerships__status="active"))
        ).order_by("display_name", "id")
        page = Paginator(clients, 50).get_page(request.GET.get("page"))
    else:
        page = Paginator(directory_queries.therapist_directory(q, licences), 50).get_page(
            request.GET.get("page")
        )
    counts = directory_queries.practice_counts()
    counts["evaluation_failures"] = open_evaluation_failure_count()
    template = "core/home_admin.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#results"
    context = {"page": page, "q": q, "tab": tab, "counts": counts, "licences": licences}
    return render(request, template, context)
