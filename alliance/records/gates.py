"""Records holds booking back until the client has signed the documents the practice requires
(alliance/core/gates.py asks this before each new booking)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.core.gates import Blocker
from alliance.records import documents


def booking_blockers(client: User) -> list[Blocker]:
    return [
        Blocker(
            _("Sign “%(title)s”") % {"title": version.document.title},
            reverse("records:sign", args=[version.pk]),
        )
        for version in documents.to_sign(client)
    ]
