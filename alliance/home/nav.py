from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [NavItem(_("Home"), "home:home", frozenset({"client", "therapist", "admin"}), order=0)]
