from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from alliance.accounts.models import User
from alliance.directory.models import Licence


def licences_of(user: User) -> QuerySet[Licence]:
    return Licence.objects.filter(therapist=user).select_related("jurisdiction", "verified_by")


# The admin's licence filters: the practice counts link to these lists (each counts what
# `practice_counts` counts).
LICENCE_FILTERS = ("unverified", "expired")


def therapist_directory(q: str = "", licences: str = "") -> QuerySet[User]:
    """Therapists with their licences (one query each for users and licences); `licences`
    keeps those with a licence to verify or an expired one (`LICENCE_FILTERS`)."""
    today = timezone.localdate()
    therapists = User.objects.filter(role=User.Role.THERAPIST).select_related("therapist_profile")
    if licences == "unverified":
        therapists = therapists.filter(licences__verified_at__isnull=True).distinct()
    elif licences == "expired":
        therapists = therapists.filter(
            Q(licences__expires_on__lt=today) | Q(licences__lapsed_at__isnull=False)
        ).distinct()
    if q:
        therapists = therapists.filter(
            Q(display_name__icontains=q)
            | Q(email__icontains=q)
            | Q(licences__jurisdiction__name__icontains=q)
        ).distinct()
    return (
        therapists.annotate(
            valid_licences=Count(
                "licences",
                filter=Q(
                    licences__verified_at__isnull=False,
                    licences__expires_on__gte=today,
                    licences__lapsed_at__isnull=True,
                ),
                distinct=True,
            ),
            active_clients=Count(
                "therapist_partnerships",
                filter=Q(therapist_partnerships__status="active"),
                distinct=True,
            ),
        )
        .prefetch_related(
            Prefetch("licences", queryset=Licence.objects.select_related("jurisdiction"))
        )
        .order_by("display_name", "id")
    )


def practice_counts() -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "therapists": User.objects.filter(role=User.Role.THERAPIST).count(),
        "clients": User.objects.filter(role=User.Role.CLIENT).count(),
        "unverified_licences": Licence.objects.filter(verified_at__isnull=True).count(),
        "expired_licences": Licence.objects.filter(
            Q(expires_on__lt=today) | Q(lapsed_at__isnull=False)
        ).count(),
    }
