from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [
    NavItem(_("Notifications"), "notify:settings", frozenset({"client", "therapist"}), order=88),
]
