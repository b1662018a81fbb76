from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {"SITE_NAME": "Alliance", "DEBUG": settings.DEBUG}


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Top navigation gathered from each part's `nav.py` (`ITEMS`), filtered by role."""
    from alliance.core.nav import items_for

    return {"nav_items": items_for(request)}
