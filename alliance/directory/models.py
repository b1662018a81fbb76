from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Jurisdiction(models.Model):
    """A place where therapists are licensed and clients live (a state, a country).

    Crisis resources are configured per jurisdiction (e.g. 988 in the US), because a client
    in crisis needs the number that works where they are.
    """

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=80)
    country = models.CharField(max_length=2)
    default_timezone = models.CharField(max_length=64, default="UTC")
    crisis_resources = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Modality(models.TextChoices):
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio call")
    CHAT = "chat", _("Live chat")
    MESSAGING = "messaging", _("Messages")


# The therapist's own words on their profile page: short enough to read on a phone.
STATEMENT_MAX_CHARS = 600


class TherapistProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="therapist_profile"
    )
    bio = models.TextField(blank=True)
    # Plain text the therapist writes for clients choosing them (not clinical; shown escaped).
    statement = models.CharField(max_length=STATEMENT_MAX_CHARS, blank=True, default="")
    # When the photo (`TherapistPhoto`) last changed; None without one. It versions the
    # photo's address, so a browser never shows an old one.
    photo_updated_at = models.DateTimeField(null=True, blank=True)
    gender = models.CharField(max_length=30, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    languages = models.JSONField(default=list, help_text="ISO 639-1 codes")
    modalities = models.JSONField(default=list)
    approaches = models.JSONField(default=list)
    specialties = models.JSONField(default=list, help_text="problem-domain codes")
    cultural_backgrounds = models.JSONField(default=list, blank=True)
    style = models.CharField(
        max_length=20,
        choices=[("directive", _("Directive")), ("exploratory", _("Exploratory"))],
        default="exploratory",
    )
    faith_informed = models.BooleanField(default=False)
    lgbtq_affirming = models.BooleanField(default=False)
    timezone = models.CharField(max_length=64, default="UTC")
    capacity = models.PositiveSmallIntegerField(default=20, help_text="maximum active clients")
    fee = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    insurers = models.JSONField(default=list, blank=True)
    accepting_new_clients = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"therapist profile of user {self.user_id}"


class TherapistPhoto(models.Model):
    """A therapist's photo, as re-encoded here (`portraits.prepare_photo`), never the file
    they sent. Kept beside the profile, so the many queries that read profiles never load
    it, and served only by the profile's own view, never from a path anyone chooses."""

    profile = models.OneToOneField(TherapistProfile, on_delete=models.CASCADE, related_name="+")
    image = models.BinaryField()
    content_type = models.CharField(max_length=30, default="image/jpeg")

    def __str__(self) -> str:
        return f"photo of therapist profile {self.profile_id}"


class AvailabilityWindow(models.Model):
    """A weekly window in the therapist's own time zone (so it follows their DST)."""

    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="availability"
    )
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday")
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="window_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="weekday_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start}-{self.end}"


class LicenceQuerySet(models.QuerySet["Licence"]):
    def valid(self, on: date | None = None) -> LicenceQuerySet:
        """Only verified, unexpired licences count anywhere (matching, calls, lists)."""
        day = on or timezone.localdate()
        return self.filter(verified_at__isnull=False, expires_on__gte=day, lapsed_at__isnull=True)


LICENCE_STATUS_LABELS = {
    "expired": _("expired"),
    "unverified": _("unverified"),
    "expiring": _("expiring"),
    "valid": _("valid"),
}


# Licence types a practice commonly types, shown in the reader's language: US abbreviations
# spelled out, a generic title translated. An official protected title (Ontario's
# "Registered Psychotherapist", the HCPC's "Practitioner Psychologist") or any other text
# is shown as typed.
LICENCE_TYPE_LABELS = {
    "LPC": _("Licensed Professional Counselor (LPC)"),
    "LCSW": _("Licensed Clinical Social Worker (LCSW)"),
    "LMFT": _("Licensed Marriage and Family Therapist (LMFT)"),
    "LMHC": _("Licensed Mental Health Counselor (LMHC)"),
    "Psychologist": _("Psychologist"),
    "Clinical psychologist": _("Clinical psychologist"),
}


class Licence(models.Model):
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="licences"
    )
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT)
    licence_type = models.CharField(max_length=60)
    number = models.CharField(max_length=60)
    issuing_board = models.CharField(max_length=160)
    expires_on = models.DateField()
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)
    expiry_warning_sent_for = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LicenceQuerySet.as_manager()

    class Meta:
        ordering = ["jurisdiction__name", "expires_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "licence_type", "number"], name="unique_licence_number"
            )
        ]
        indexes = [models.Index(fields=["expires_on"], name="licence_expires")]

    def __str__(self) -> str:
        return f"{self.licence_type} {self.number} ({self.jurisdiction_id})"

    @property
    def type_label(self) -> str:
        """The licence type in the reader's language where it is a common one."""
        return str(LICENCE_TYPE_LABELS.get(self.licence_type, self.licence_type))

    def status(self, on: date | None = None) -> str:
        day = on or timezone.localdate()
        if self.lapsed_at or self.expires_on < day:
            return "expired"
        if self.verified_at is None:
            return "unverified"
        if (self.expires_on - day).days <= settings.LICENCE_EXPIRY_WARNING_DAYS:
            return "expiring"
        return "valid"

    def status_label(self) -> str:
        return str(LICENCE_STATUS_LABELS[self.status()])
