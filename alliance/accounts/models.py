from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("role", User.Role.ADMIN)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in by e-mail. The role decides which pages they can open."""

    class Role(models.TextChoices):
        CLIENT = "client", _("Client")
        THERAPIST = "therapist", _("Therapist")
        ADMIN = "admin", _("Practice admin")

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLIENT)
    display_name = models.CharField(_("name"), max_length=120, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # A therapist on the on-call rota receives unacknowledged safety alerts.
    is_on_call = models.BooleanField(default=False)
    preferred_language = models.CharField(max_length=10, default="en")
    timezone = models.CharField(max_length=64, default="UTC")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()  # type: ignore[assignment,misc]

    class Meta:
        indexes = [models.Index(fields=["role", "display_name"], name="user_role_name")]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    @property
    def is_client(self) -> bool:
        return self.role == self.Role.CLIENT

    @property
    def is_therapist(self) -> bool:
        return self.role == self.Role.THERAPIST

    @property
    def is_practice_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def audit_client_id(self) -> int | None:
        """Audit rows about a client's own account (export, erasure) are filed under them."""
        return self.pk if self.is_client else None

    @property
    def onboarding_complete(self) -> bool:
        """A client may use clinical features only after consent and the safety details."""
        if not self.is_client:
            return True
        profile = getattr(self, "client_profile", None)
        return bool(
            self.email_verified_at
            and profile is not None
            and profile.is_complete
            and ConsentRecord.objects.active(self, "telehealth").exists()
        )


class ClientProfile(models.Model):
    """What a client gives before anything clinical: age, location and an emergency contact."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="client_profile")
    date_of_birth = models.DateField()
    # The client's usual location; telehealth licensure follows where the client is.
    jurisdiction = models.ForeignKey(
        "directory.Jurisdiction", on_delete=models.PROTECT, null=True, blank=True
    )
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"profile of user {self.user_id}"

    @property
    def is_complete(self) -> bool:
        return bool(
            self.jurisdiction_id and self.emergency_contact_name and self.emergency_contact_phone
        )

    def age_on(self, day: date) -> int:
        return age_on(self.date_of_birth, day)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class ConsentQuerySet(models.QuerySet["ConsentRecord"]):
    def active(self, user: User, kind: str) -> ConsentQuerySet:
        from alliance.accounts.consent import current_version

        return self.filter(
            user=user, kind=kind, version=current_version(kind), withdrawn_at__isnull=True
        )


class ConsentRecord(models.Model):
    """A consent given to one version of a text; withdrawing keeps the record."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=40)
    version = models.CharField(max_length=20)
    text_sha256 = models.CharField(max_length=64)
    given_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "version"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_active_consent_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version} by user {self.user_id}"


def minimum_age() -> int:
    return int(settings.MINIMUM_CLIENT_AGE)
