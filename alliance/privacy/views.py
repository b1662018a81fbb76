from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliance.accounts.models import User
from alliance.privacy import chain
from alliance.privacy.access import access
from alliance.privacy.models import AuditBlock, AuditEvent


def _with_actor_names(events: list[AuditEvent]) -> list[AuditEvent]:
    names = dict(
        User.objects.filter(pk__in={e.actor_id for e in events if e.actor_id}).values_list(
            "pk", "display_name"
        )
    )
    for event in events:
        event.actor_name = names.get(event.actor_id or 0, "")  # type: ignore[attr-defined]
    return events


@access("admin", scope="practice")
def audit_log(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.order_by("-id")
    client = request.GET.get("client", "").strip()
    if client.isdigit():
        events = events.filter(client_id=int(client))
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    page.object_list = _with_actor_names(list(page.object_list))
    head = AuditBlock.objects.order_by("-seq").first()
    return render(
        request,
        "privacy/audit_log.html",
        {"page": page, "head": head, "client": client, "verdict": None},
    )


@access("admin", scope="practice")
@require_POST
def verify_audit_log(request: HttpRequest) -> HttpResponse:
    verdict = chain.verify()
    if verdict.ok:
        messages.success(
            request,
            _("The audit log is intact: %(blocks)d blocks, %(events)d sealed rows.")
            % {"blocks": verdict.blocks, "events": verdict.events},
        )
    else:
        messages.error(
            request, _("The audit log has been tampered with: ") + "; ".join(verdict.problems[:5])
        )
    return redirect("privacy:audit_log")


@access("client", scope="self")
def my_record_access(request: HttpRequest) -> HttpResponse:
    """Who opened my record and when (GDPR art. 15; HIPAA accounting of disclosures)."""
    events = list(AuditEvent.objects.filter(client_id=request.user.pk).order_by("-id")[:200])
    return render(request, "privacy/my_record_access.html", {"events": _with_actor_names(events)})
