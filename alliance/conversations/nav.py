from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [
    NavItem(_("Messages"), "conversations:inbox", frozenset({"client", "therapist"}), order=30)
]
