"""Scoped reads of partnerships: a therapist sees only their own clients."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from alliance.accounts.models import User
from alliance.care.models import Partnership


def active_partnership_of_client(client: User) -> Partnership | None:
    return (
        Partnership.objects.filter(client=client, status=Partnership.Status.ACTIVE)
        .select_related("therapist", "therapist__therapist_profile")
        .first()
    )


def past_partnerships_of_client(client: User) -> QuerySet[Partnership]:
    return (
        Partnership.objects.filter(client=client, status=Partnership.Status.ENDED)
        .select_related("therapist")
        .order_by("-ended_at")
    )


def caseload(therapist: User) -> QuerySet[Partnership]:
    return (
        Partnership.objects.filter(therapist=therapist, status=Partnership.Status.ACTIVE)
        .select_related("client", "client__client_profile__jurisdiction")
        .order_by("client__display_name", "id")
    )


def visible_partnerships(user: User) -> QuerySet[Partnership]:
    """Partnerships whose clinical record this user may open.

    A client sees their own; a therapist sees their active partnerships only (after a switch
    or an ending the record closes to them). Admins see clinical content only through the
    audited break-glass view, never here.
    """
    if user.is_client:
        return Partnership.objects.filter(client=user)
    if user.is_therapist:
        return Partnership.objects.filter(therapist=user, status=Partnership.Status.ACTIVE)
    return Partnership.objects.none()


def former_partnership_of_therapist(user: User, pk: int) -> Partnership | None:
    """An ended partnership of this therapist: they may re-read their own notes only."""
    return (
        Partnership.objects.filter(pk=pk, therapist=user, status=Partnership.Status.ENDED)
        .select_related("client")
        .first()
    )


def partnership_for(user: User, pk: int) -> Partnership:
    """The partnership `pk` if this user may open it; 404 otherwise (no existence leak)."""
    found = (
        visible_partnerships(user)
        .filter(Q(pk=pk))
        .select_related("client", "therapist", "client__client_profile__jurisdiction")
        .first()
    )
    if found is None:
        raise Http404("no such partnership")
    return found


def handoff_allowed(partnership: Partnership) -> bool:
    """May this partnership's therapist see goals and history from the client's earlier
    partnerships? Only if the client agreed when switching (never by default)."""
    return bool(partnership.handoff_consent)


def handoff_sources(partnership: Partnership) -> QuerySet[Partnership]:
    """The client's earlier partnerships whose goals and history pass to this therapist."""
    if not handoff_allowed(partnership):
        return Partnership.objects.none()
    return Partnership.objects.filter(
        client_id=partnership.client_id,
        status=Partnership.Status.ENDED,
        started_at__lte=partnership.started_at,
    ).exclude(pk=partnership.pk)
