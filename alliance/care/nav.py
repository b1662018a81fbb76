from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [
    NavItem(_("Find a therapist"), "care:intake", frozenset({"client"}), order=20),
    NavItem(_("My record"), "care:my_record", frozenset({"therapist"}), order=70),
    NavItem(_("Waiting list"), "care:admin_waitlist", frozenset({"admin"}), order=60),
    NavItem(_("Therapist records"), "care:records", frozenset({"admin"}), order=65),
]
