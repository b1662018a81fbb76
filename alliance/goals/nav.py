from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [
    NavItem(_("Progress together"), "goals:overview", frozenset({"client", "therapist"}), order=30),
]
