from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [
    NavItem(_("Audit log"), "privacy:audit_log", frozenset({"admin"}), order=90),
    NavItem(_("Break glass"), "privacy:break_glass", frozenset({"admin"}), order=95),
    NavItem(_("Privacy"), "privacy:settings", frozenset({"client"}), order=90),
]
