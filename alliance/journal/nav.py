from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [
    NavItem(_("Journal"), "journal:home", frozenset({"client"}), order=35),
    NavItem(_("Notebooks"), "journal:notebooks", frozenset({"therapist"}), order=35),
]
