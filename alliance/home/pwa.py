"""The installable web app: its manifest, the service worker and the offline page.

They are views, not plain static files, because a service worker controls only the pages
under the folder it is served from (so it must come from the site root), and because the
manifest and the worker name static files by the hashed names they have in production.

What the worker may keep on the phone is the offline page and the static files it links to,
nothing else (docs/security.md, "What the installed app keeps on the phone").
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse

from alliance.privacy.access import access

# The same colours as alliance/static/css/alliance.css: `--brand` and `--bg`
# (tests/core/test_pwa.py compares them).
THEME_COLOUR = "#2f6f73"
BACKGROUND_COLOUR = "#f7f5f1"
# Seen on a home screen by whoever holds the phone: the name alone, nothing about therapy.
NAME = "Alliance"

OFFLINE_TEMPLATE = "home/offline.html"
SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "pwa" / "sw.js"
CONFIG_LINE = re.compile(r"^const CONFIG = .*;$", re.MULTILINE)
LINKED = re.compile(r'(?:src|href)="([^"]*)"')


def offline_context() -> dict[str, Any]:
    """Whoever asks, the offline page is rendered as if nobody were logged in: it is kept in
    the phone's cache, so it must hold no name, menu or pending message of the person who
    installed the app. (A logged-in visitor also gets the quick exit without its log-out.)"""
    return {"user": AnonymousUser(), "nav_items": [], "messages": []}


@access("public", scope="public")
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, OFFLINE_TEMPLATE, offline_context())


def precache_list() -> tuple[list[str], str]:
    """The offline page and the static files it links to, and a digest of that page as the
    current language renders it (so new wording or a language switch installs a new copy)."""
    page = render_to_string(
        OFFLINE_TEMPLATE,
        # No request, so nothing of the caller's; a fixed stand-in for the CSRF token keeps
        # the digest the same for everyone (this copy is only read, never served).
        {**offline_context(), "csrf_token": "-"},
    )
    assets = sorted(
        {
            url
            for url in (html.unescape(found) for found in LINKED.findall(page))
            if url.startswith(settings.STATIC_URL)
        }
    )
    return [reverse("home:offline"), *assets], hashlib.sha256(page.encode()).hexdigest()


@access("public", scope="public")
def service_worker(request: HttpRequest) -> HttpResponse:
    """sw.js with its CONFIG line filled in; served from the root so its scope is "/"."""
    source = SERVICE_WORKER.read_text(encoding="utf-8")
    precache, page_digest = precache_list()
    config: dict[str, Any] = {
        "offline": reverse("home:offline"),
        "static": settings.STATIC_URL,
        "precache": precache,
        "icon": static("pwa/icon-192.png"),  # beside a push notification (notify/push.py)
    }
    digest = hashlib.sha256()
    for part in (source, json.dumps(config, sort_keys=True), page_digest):
        digest.update(part.encode())
    config = {"version": digest.hexdigest()[:16], **config}
    line = f"const CONFIG = {json.dumps(config)};"
    body, found = CONFIG_LINE.subn(lambda _: line, source, count=1)
    if not found:
        raise ImproperlyConfigured(f"{SERVICE_WORKER} has no 'const CONFIG = ...;' line")
    response = HttpResponse(body, content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    # Revalidated on every update check, so a deploy reaches installed apps at once.
    response["Cache-Control"] = "no-cache"
    return response


def icon(path: str, sizes: str, kind: str, purpose: str = "any") -> dict[str, str]:
    return {"src": static(path), "sizes": sizes, "type": kind, "purpose": purpose}


@access("public", scope="public")
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: what Chromium checks to offer "Install"."""
    start = reverse("home:home")
    data = {
        "id": start,
        "name": NAME,
        "short_name": NAME,
        "description": NAME,
        "start_url": start,
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": [
            icon("pwa/icon-192.png", "192x192", "image/png"),
            icon("pwa/icon-512.png", "512x512", "image/png"),
            icon("pwa/icon-maskable-512.png", "512x512", "image/png", "maskable"),
            icon("pwa/icon.svg", "any", "image/svg+xml"),
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response
