"""Writes for the therapist directory: licences and their verification, and the profile's
statement and photo.

Matching needs no word from here when a licence is added, verified or lapses: each worker's
matching snapshot is keyed on the licence table's count and newest dates
(`care/match_index.py`), so the next request after the change rebuilds it.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from alliance.accounts.models import User
from alliance.core import mail
from alliance.core.errors import DomainError
from alliance.directory.models import (
    STATEMENT_MAX_CHARS,
    Jurisdiction,
    Licence,
    TherapistPhoto,
    TherapistProfile,
)


class LicenceError(DomainError):
    """A licence entry or review refused; the message names the rule."""

    status = 400


class ProfileError(DomainError):
    """A profile edit refused; the message names the rule."""

    status = 400


@transaction.atomic
def add_licence(
    *,
    therapist: User,
    jurisdiction: Jurisdiction,
    licence_type: str,
    number: str,
    issuing_board: str,
    expires_on: date,
) -> Licence:
    if not therapist.is_therapist:
        raise LicenceError("only therapists hold licences")
    if expires_on < timezone.localdate():
        raise LicenceError("this licence has already expired")
    if Licence.objects.filter(
        jurisdiction=jurisdiction, licence_type=licence_type, number=number
    ).exists():
        raise LicenceError("this licence number is already registered")
    return Licence.objects.create(
        therapist=therapist,
        jurisdiction=jurisdiction,
        licence_type=licence_type,
        number=number,
        issuing_board=issuing_board,
        expires_on=expires_on,
    )


@transaction.atomic
def verify_licence(*, licence: Licence, admin: User) -> Licence:
    """Only a practice admin verifies, after checking the issuing board's register."""
    if not admin.is_practice_admin:
        raise LicenceError("only a practice admin can verify a licence")
    if licence.expires_on < timezone.localdate():
        raise LicenceError("an expired licence cannot be verified")
    licence.verified_by = admin
    licence.verified_at = timezone.now()
    licence.save(update_fields=["verified_by", "verified_at"])
    return licence


def check_licences(*, today: date | None = None) -> dict[str, int]:
    """Mark lapsed licences and warn therapists before expiry. Idempotent for a day."""
    day = today or timezone.localdate()
    now = timezone.now()
    lapsed = Licence.objects.filter(expires_on__lt=day, lapsed_at__isnull=True).update(
        lapsed_at=now
    )
    horizon = day + timedelta(days=settings.LICENCE_EXPIRY_WARNING_DAYS)
    due = Licence.objects.filter(
        expires_on__gte=day, expires_on__lte=horizon, lapsed_at__isnull=True
    ).exclude(expiry_warning_sent_for=F("expires_on"))
    warned = 0
    for licence in due.select_related("therapist", "jurisdiction"):
        with transaction.atomic():
            # Claim the warning first so a second worker does not send it again.
            claimed = (
                Licence.objects.filter(pk=licence.pk)
                .exclude(expiry_warning_sent_for=licence.expires_on)
                .update(expiry_warning_sent_for=licence.expires_on)
            )
            if not claimed:
                continue
            therapist, days = licence.therapist, (licence.expires_on - day).days
            mail.send(
                therapist,
                subject=gettext_noop("Your licence expires soon"),
                template="directory/email/licence_expiring.txt",
                context={"licence": licence, "days": days},
            )
            warned += 1
    return {"lapsed": lapsed, "warned": warned}


@transaction.atomic
def update_profile(
    *, therapist: User, statement: str, photo: bytes | None = None, remove_photo: bool = False
) -> TherapistProfile:
    """The therapist's statement and photo; `photo` is already re-encoded
    (`portraits.prepare_photo`). Matching reads neither, so `updated_at` (which keys the
    matching snapshot) is left alone."""
    profile = TherapistProfile.objects.select_for_update().filter(user=therapist).first()
    if profile is None:
        raise ProfileError(gettext("Only a therapist with a directory profile has one to edit."))
    if len(statement) > STATEMENT_MAX_CHARS:
        raise ProfileError(
            gettext("Keep your statement to %(max)d characters.") % {"max": STATEMENT_MAX_CHARS}
        )
    profile.statement = statement
    fields = ["statement"]
    if photo is not None:
        TherapistPhoto.objects.update_or_create(
            profile=profile, defaults={"image": photo, "content_type": "image/jpeg"}
        )
        profile.photo_updated_at = timezone.now()
        fields.append("photo_updated_at")
    elif remove_photo and profile.photo_updated_at is not None:
        TherapistPhoto.objects.filter(profile=profile).delete()
        profile.photo_updated_at = None
        fields.append("photo_updated_at")
    profile.save(update_fields=fields)
    return profile
