from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from alliance.accounts.models import User
from alliance.care import queries
from alliance.privacy import audit
from alliance.privacy.access import access


@access("client", "therapist", scope="own_partnerships")
def partnership_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    partnership = queries.partnership_for(user, pk)
    if user.is_therapist and not request.htmx:
        # One audit row per opening of the record, not per fragment refresh.
        audit.record(user, audit.Action.OPEN_RECORD, partnership)
    return render(request, "care/partnership_detail.html", {"partnership": partnership})
