from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [
    NavItem(_("Billing"), "billing:client", frozenset({"client"}), order=60),
    NavItem(_("Billing"), "billing:therapist", frozenset({"therapist"}), order=60),
    NavItem(_("Billing"), "billing:practice", frozenset({"admin"}), order=60),
]
