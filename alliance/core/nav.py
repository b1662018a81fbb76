"""Navigation entries contributed by each part.

A part adds `alliance/<part>/nav.py` with `ITEMS = [NavItem(...)]`; the top bar shows the
entries whose roles include the user's, in `order`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from alliance.core.parts import part_modules


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    order: int = 50


@cache
def all_items() -> tuple[NavItem, ...]:
    found: list[NavItem] = []
    for module in part_modules("nav"):
        if module.__name__ != __name__:  # this module is the consumer, not a part's entries
            found.extend(module.ITEMS)
    return tuple(sorted(found, key=lambda item: item.order))


def items_for(request: HttpRequest) -> list[dict[str, Any]]:
    user: Any = getattr(request, "user", None)
    role = getattr(user, "role", None) if user is not None and user.is_authenticated else None
    if role is None:
        return []
    out = []
    for item in all_items():
        if role in item.roles:
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            out.append({"label": item.label, "url": url, "current": request.path == url})
    return out
