from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [
    NavItem(_("Appointments"), "schedule:index", frozenset({"client", "therapist"}), order=20),
    NavItem(_("Availability"), "schedule:availability", frozenset({"therapist"}), order=25),
]
