"""Times on every page in the reader's own time zone.

Django shows aware datetimes in the active time zone, which is `TIME_ZONE` (UTC) unless a
request activates another. A logged-in person reads every time (the caseload's next
appointment, a message's time, a check-in's date) in their account's zone, as the schedule's
pages always did (`availability.zone_of`); visitors read UTC. A page that shows another zone
says so with `{% timezone %}`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from alliance.core.zones import zone_of


class ReaderTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        timezone.activate(zone_of(user))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
