from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [
    NavItem(_("Check-ins"), "checkins:index", frozenset({"client", "therapist"}), order=30),
    NavItem(_("Safety alerts"), "checkins:on_call", frozenset({"therapist"}), order=35),
    NavItem(
        _("Check-in reliability"), "checkins:admin_reliability", frozenset({"admin"}), order=60
    ),
    NavItem(
        _("Alert evaluation"),
        "checkins:admin_evaluation_failures",
        frozenset({"admin"}),
        order=61,
    ),
]
