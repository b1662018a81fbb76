"""The open-safety-alert notice a new therapist sees on their client's page after a switch
(checkins/lifecycle.py), and whether a client has an open safety alert."""

from __future__ import annotations

from typing import Any

from django import template

from alliance.care.models import Partnership
from alliance.checkins.models import SafetyHandoff
from alliance.checkins.queries import open_safety_alerts_of
from alliance.core.crisis import resources_for_user

register = template.Library()


@register.inclusion_tag("checkins/_safety_handoff.html", takes_context=True)
def safety_handoff_notice(context: dict[str, Any], partnership: Partnership) -> dict[str, Any]:
    user = context.get("user")
    handoffs = []
    if user is not None and getattr(user, "pk", None) == partnership.therapist_id:
        handoffs = list(
            SafetyHandoff.objects.filter(partnership=partnership, alert__is_open=True)
            .select_related("alert")
            .order_by("told_at")
        )
    return {"handoffs": handoffs}


@register.simple_tag
def has_open_safety_alert(client_id: int) -> bool:
    """Whether the client has an open safety alert: the switch and match pages show the
    crisis resources again (a switch is never blocked by it)."""
    return open_safety_alerts_of(client_id).exists()


@register.simple_tag
def crisis_resources(user: Any) -> list[dict[str, str]]:
    return resources_for_user(user)
