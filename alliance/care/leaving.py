"""A therapist leaving the practice: one of the five ways partnerships end (care/lifecycle.py).

Every active partnership of theirs ends with reason `therapist_left`, through the same
`end_partnership` as every other ending, so each part answers it as it answers a switch:
upcoming sessions cancelled with notices, calls closed, open safety alerts kept with the
on-call rota. Their shown and waiting-list offers are withdrawn, they take no new clients,
and their account is deactivated, which ends their sessions and sockets
(accounts/sockets.py). Each client is told, in their own language, that choosing a new
therapist is free; nothing a client wrote is lost, and the records stay as they were.
"""

from __future__ import annotations

import functools

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_noop

from alliance.accounts.models import User
from alliance.care.models import MatchOffer, Partnership
from alliance.care.services import PartnershipError, bump_index_version, end_partnership
from alliance.core import mail
from alliance.directory.models import TherapistProfile


def _tell_client(client: User, therapist_name: str) -> None:
    mail.send(
        client,
        subject=gettext_noop("Your therapist has left the practice"),
        template="care/email/therapist_left.txt",
        context={"therapist_name": therapist_name, "link": mail.link("care:matches")},
    )


@transaction.atomic
def therapist_leaves(*, therapist: User, by: User) -> list[int]:
    """End every active partnership of `therapist`; returns their ids."""
    if not therapist.is_therapist:
        raise PartnershipError(translation.gettext("Only a therapist can leave the practice."))
    if not by.is_practice_admin:
        raise PartnershipError(translation.gettext("Only a practice admin can do this."))
    TherapistProfile.objects.filter(user=therapist).update(accepting_new_clients=False)
    MatchOffer.objects.filter(therapist=therapist, status=MatchOffer.Status.SHOWN).update(
        status=MatchOffer.Status.WITHDRAWN
    )
    ended = []
    active = Partnership.objects.filter(therapist=therapist, status=Partnership.Status.ACTIVE)
    for partnership in active.select_related("client"):
        end_partnership(partnership=partnership, reason=Partnership.EndReason.THERAPIST_LEFT, by=by)
        transaction.on_commit(functools.partial(_tell_client, partnership.client, therapist.name))
        ended.append(partnership.pk)
    therapist.is_active = False
    therapist.save(update_fields=["is_active"])
    bump_index_version()
    return ended
