from django.utils.translation import gettext_lazy as _

from alliance.core.nav import NavItem

ITEMS = [
    NavItem(_("My profile"), "directory:my_profile", frozenset({"therapist"}), order=79),
    NavItem(_("Licences"), "directory:my_licences", frozenset({"therapist"}), order=80),
    NavItem(_("Invite a therapist"), "directory:invite_therapist", frozenset({"admin"}), order=80),
]
