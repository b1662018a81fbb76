"""Refuse a NUL character anywhere in a request's path, query, form or JSON body.

PostgreSQL text cannot hold NUL: a lookup or a write with one fails inside the database
(`DataError`), which would be a server error, on PostgreSQL only. Django's form fields
already refuse NUL; this refuses it once, at the door, for everything else that reaches a
query (URL tokens, filters, API fields, JSON stored as it came). No text a person means to
send contains one, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _

JSON_NUL = b"\\u0000"


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    for query in (request.GET, request.POST if request.method == "POST" else None):
        if query is None:
            continue
        for key, values in query.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return True
    if request.content_type == "application/json":
        body = request.body
        return b"\x00" in body or JSON_NUL in body
    return False


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not _has_nul(request):
            return self.get_response(request)
        message = _("Text cannot contain the NUL character (code 0).")
        if request.path.startswith("/api/") or request.content_type == "application/json":
            return JsonResponse({"detail": message}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
