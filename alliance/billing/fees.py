"""The fee a client pays for a service with a therapist: fetched here, calculated in
money.py. The match card, the booking page and the charges all ask this module."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from alliance.billing import money
from alliance.billing.models import (
    PartnershipService,
    PracticeBilling,
    ServiceType,
    SlidingScaleApplication,
    SlidingScaleTier,
    TherapistFee,
)

# The codes a practice starts with (AMA CPT): name, kind, minutes. Fees start at zero, so
# nothing is charged until the practice sets them on the billing admin page.
STANDARD_SERVICES = [
    ("90791", _("Intake assessment"), ServiceType.Kind.INTAKE, 60),
    ("90832", _("Session (30 min)"), ServiceType.Kind.INDIVIDUAL, 30),
    ("90834", _("Session (50 min)"), ServiceType.Kind.INDIVIDUAL, 50),
    ("90837", _("Session (60 min)"), ServiceType.Kind.INDIVIDUAL, 60),
    ("90847", _("Couple or family session (50 min)"), ServiceType.Kind.COUPLE, 50),
]


def practice() -> PracticeBilling:
    """The practice's billing settings, created with their defaults on first use."""
    found, _created = PracticeBilling.objects.get_or_create(pk=1)
    return found


def ensure_standard_services() -> None:
    currency = practice().currency
    for code, name, kind, minutes in STANDARD_SERVICES:
        ServiceType.objects.get_or_create(
            code=code,
            defaults={
                "name": str(name),
                "kind": kind,
                "minutes": minutes,
                "default_fee_minor": 0,
                "currency": currency,
            },
        )


@dataclass(frozen=True)
class Fee:
    service: ServiceType
    amount_minor: int
    currency: str
    full_minor: int  # before the sliding scale
    tier: SlidingScaleTier | None


def approved_tier(client_id: int) -> SlidingScaleTier | None:
    application = (
        SlidingScaleApplication.objects.filter(
            client_id=client_id, status=SlidingScaleApplication.Status.APPROVED
        )
        .select_related("tier")
        .first()
    )
    return application.tier if application is not None else None


def fee_for(*, service: ServiceType, therapist_id: int, client_id: int | None = None) -> Fee:
    override = (
        TherapistFee.objects.filter(therapist_id=therapist_id, service=service)
        .values_list("fee_minor", flat=True)
        .first()
    )
    full = money.resolve_fee(default_minor=service.default_fee_minor, override_minor=override)
    tier = approved_tier(client_id) if client_id and service.sliding_scale_applies else None
    amount = money.resolve_fee(
        default_minor=service.default_fee_minor,
        override_minor=override,
        percent=tier.percent if tier else None,
    )
    return Fee(service, amount, service.currency, full, tier)


def session_service(minutes: int) -> ServiceType | None:
    """The individual-session service for this length (CPT time rule, money.py)."""
    code = money.individual_code(minutes)
    if code is None:
        return None
    return ServiceType.objects.filter(code=code, active=True).first()


def usual_fee(*, therapist_id: int, client_id: int | None, minutes: int) -> Fee | None:
    """The fee of an ordinary session of this length with this therapist, for showing
    before anything is booked (a match card, the booking page); None when it is free."""
    service = session_service(minutes)
    if service is None:
        return None
    fee = fee_for(service=service, therapist_id=therapist_id, client_id=client_id)
    return fee if fee.amount_minor > 0 else None


def set_therapist_fee(*, therapist_id: int, service: ServiceType, fee_minor: int | None) -> None:
    """A therapist's own fee for a service; None goes back to the service's default."""
    if fee_minor is None:
        TherapistFee.objects.filter(therapist_id=therapist_id, service=service).delete()
        return
    TherapistFee.objects.update_or_create(
        therapist_id=therapist_id, service=service, defaults={"fee_minor": fee_minor}
    )


def set_partnership_service(*, partnership_id: int, service: ServiceType | None) -> None:
    """Bill a partnership's sessions as this service (a couple's work, the practice's own);
    None goes back to choosing by the session's length."""
    if service is None:
        PartnershipService.objects.filter(partnership_id=partnership_id).delete()
        return
    PartnershipService.objects.update_or_create(
        partnership_id=partnership_id, defaults={"service": service}
    )
