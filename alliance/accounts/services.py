"""Writes for accounts: sign-up, verification, consent, two-factor, invitations."""

from __future__ import annotations

import secrets
from datetime import date

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from alliance.accounts import consent
from alliance.accounts.models import ClientProfile, ConsentRecord, User
from alliance.core import mail
from alliance.directory.models import Jurisdiction

VERIFY_SALT = "alliance.accounts.verify-email"
RECOVERY_CODE_COUNT = 10


@transaction.atomic
def sign_up_client(*, email: str, password: str, display_name: str, date_of_birth: date) -> User:
    user = User.objects.create_user(
        email=email, password=password, display_name=display_name, role=User.Role.CLIENT
    )
    ClientProfile.objects.create(user=user, date_of_birth=date_of_birth)
    transaction.on_commit(lambda: send_verification_email(user=user))
    return user


def verification_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_SALT)


def send_verification_email(*, user: User) -> None:
    mail.send(
        user,
        subject=gettext_noop("Confirm your e-mail address for Alliance"),
        template="accounts/email/verify.txt",
        context={
            "user": user,
            "link": mail.link("accounts:verify_email", verification_token(user)),
        },
    )


def verify_email(*, token: str) -> User | None:
    """The user whose address this token confirms, or None if it is invalid or expired."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), email=data.get("e")).first()
    if user is not None and user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


@transaction.atomic
def save_client_profile(
    *,
    user: User,
    jurisdiction: Jurisdiction,
    timezone_name: str,
    emergency_contact_name: str,
    emergency_contact_phone: str,
    emergency_contact_relationship: str,
) -> ClientProfile:
    profile = ClientProfile.objects.select_for_update().get(user=user)
    profile.jurisdiction = jurisdiction
    profile.emergency_contact_name = emergency_contact_name
    profile.emergency_contact_phone = emergency_contact_phone
    profile.emergency_contact_relationship = emergency_contact_relationship
    profile.save(
        update_fields=[
            "jurisdiction",
            "emergency_contact_name",
            "emergency_contact_phone",
            "emergency_contact_relationship",
        ]
    )
    user.timezone = timezone_name
    user.save(update_fields=["timezone"])
    return profile


@transaction.atomic
def give_consent(*, user: User, kind: str) -> ConsentRecord:
    text = consent.current(kind)
    existing = ConsentRecord.objects.active(user, kind).first()
    if existing is not None:
        return existing
    return ConsentRecord.objects.create(
        user=user, kind=kind, version=text.version, text_sha256=text.sha256
    )


@transaction.atomic
def withdraw_consent(*, user: User, kind: str) -> int:
    return ConsentRecord.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )


def pending_totp_device(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up (one at a time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def has_confirmed_device(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


@transaction.atomic
def confirm_totp(*, user: User, token: str) -> list[str] | None:
    """Confirm the pending authenticator with a code; returns fresh recovery codes."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user=user)


def new_recovery_codes(*, user: User) -> list[str]:
    static, _ = StaticDevice.objects.get_or_create(user=user, name="recovery codes")
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


@transaction.atomic
def invite_therapist(*, email: str, display_name: str, invited_by: User) -> User:
    user = User.objects.create_user(
        email=email, password=None, display_name=display_name, role=User.Role.THERAPIST
    )
    from alliance.directory.models import TherapistProfile

    TherapistProfile.objects.create(user=user, accepting_new_clients=False)
    transaction.on_commit(lambda: send_invitation(user=user, invited_by=invited_by))
    return user


def send_invitation(*, user: User, invited_by: User) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    mail.send(
        user,
        subject=gettext_noop("You are invited to join the practice on Alliance"),
        template="accounts/email/invite.txt",
        context={
            "user": user,
            "link": mail.link("accounts:password_reset_confirm", uid, token),
            "invited_by": invited_by,
        },
    )


def random_password() -> str:
    return secrets.token_urlsafe(24)
