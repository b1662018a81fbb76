from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [
    NavItem(_("Documents"), "records:my_documents", frozenset({"client"}), order=65),
    NavItem(_("Documents"), "records:practice_documents", frozenset({"admin"}), order=65),
]
