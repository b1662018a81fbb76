"""The public pages: the landing page and where to get help now."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from alliance.core.crisis import resources_for_user
from alliance.privacy.access import access


@access("public", scope="public")
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home:home")
    return render(request, "core/landing.html")


@access("public", scope="public")
def get_help(request: HttpRequest) -> HttpResponse:
    return render(request, "core/help.html", {"resources": resources_for_user(request.user)})
