"""Who may open a conversation socket, and keep it: checked when it opens and again at each
session check and sync (access may end while the socket is open, e.g. by a switch)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from alliance.accounts import sockets
from alliance.care.models import Partnership
from alliance.care.queries import partnership_for
from alliance.conversations import membership
from alliance.privacy.access import needs_onboarding


def open_author(user: Any, session: Any, pk: int) -> membership.Author | None:
    """The writer's view of the conversation, loaded once per socket: the partnership, the
    sender and the client's data key (messages then need no lookups of their own)."""
    partnership = allowed_partnership(user, session, pk)
    if partnership is None:
        return None
    return membership.author_for(partnership=partnership, sender=user)


def allowed_partnership(user: Any, session: Any, pk: int) -> Partnership | None:
    if user is None or not user.is_authenticated:
        return None
    if not sockets.has_second_factor(user, session):
        return None  # no second factor in this session
    return partnership_of(user, pk)


def partnership_of(user: Any, pk: int) -> Partnership | None:
    if needs_onboarding(user):
        return None
    try:
        return partnership_for(user, pk)
    except Http404:
        return None
