"""What the client must do before booking, shown on the booking page (alliance/core/gates.py)."""

from __future__ import annotations

from typing import Any

from django import template

from alliance.core.gates import booking_blockers

register = template.Library()


@register.inclusion_tag("schedule/_booking_blockers.html")
def blockers_for(partnership: Any) -> dict[str, Any]:
    return {"blockers": booking_blockers(partnership.client)}
