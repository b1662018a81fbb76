"""Words for the codes the privacy pages list: roles, record types, consents."""

from __future__ import annotations

from django import template
from django.apps import apps

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    from alliance.accounts.models import User

    try:
        return str(User.Role(code).label).lower()
    except ValueError:
        return code


@register.filter
def record_label(model_label: str) -> str:
    """ "care.partnership" -> "partnership" (the model's own verbose name)."""
    try:
        return str(apps.get_model(model_label)._meta.verbose_name)
    except (LookupError, ValueError):
        return model_label


@register.filter
def consent_label(kind: str) -> str:
    from alliance.accounts import consent

    try:
        return str(consent.current(kind).title)
    except (KeyError, LookupError, ValueError):
        return kind
