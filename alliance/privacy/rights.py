"""A client's rights over their data: export (GDPR art. 15 and 20) and erasure (art. 17).

Each part may contribute through `alliance/<part>/privacy.py`:
- `export_client(user) -> dict` — the part's data about the client, JSON-serialisable, with
  clinical text decrypted (it is the client's own copy);
- `fhir_resources(user, patient_ref) -> list[dict]` — FHIR R4B resources (validated by the
  part), added to the export Bundle;
- `erase_client(user) -> dict[str, int]` — delete or blank the part's personal data that is
  not encrypted with the client's data key, keeping what the retention rules keep.

Erasure then destroys the client's data key, so every encrypted clinical text (notes,
messages, journal, comments) becomes unreadable everywhere, backups included, while the
clinical record's structure (dates, scores) is retained as record-keeping law requires
(docs/security.md, "Erasure and retention").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.patient import Patient

from alliance.accounts.models import ClientProfile, ConsentRecord, User
from alliance.core.parts import part_label, part_modules
from alliance.privacy import audit, keys
from alliance.privacy.models import AuditEvent

FORMAT_VERSION = 1


def _hooks(name: str) -> list[tuple[str, Any]]:
    """Each part's `privacy.<name>` (its export or erasure), found among INSTALLED_APPS."""
    found = []
    for module in part_modules("privacy"):
        hook = getattr(module, name, None)
        if hook is not None:
            found.append((part_label(module), hook))
    return found


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def core_export(user: User) -> dict[str, Any]:
    profile = ClientProfile.objects.filter(user=user).select_related("jurisdiction").first()
    return {
        "account": {
            "id": user.pk,
            "email": user.email,
            "name": user.display_name,
            "timezone": user.timezone,
            "language": user.preferred_language,
            "joined": _iso(user.date_joined),
            "email_verified_at": _iso(user.email_verified_at),
        },
        "profile": None
        if profile is None
        else {
            "date_of_birth": _iso(profile.date_of_birth),
            "jurisdiction": profile.jurisdiction.code if profile.jurisdiction else None,
            "emergency_contact": {
                "name": profile.emergency_contact_name,
                "phone": profile.emergency_contact_phone,
                "relationship": profile.emergency_contact_relationship,
            },
        },
        "consents": [
            {
                "kind": c.kind,
                "version": c.version,
                "text_sha256": c.text_sha256,
                "given_at": _iso(c.given_at),
                "withdrawn_at": _iso(c.withdrawn_at),
            }
            for c in ConsentRecord.objects.filter(user=user).order_by("given_at")
        ],
        # Each part's account-level summary (care: the partnerships) sits beside the account.
        **{
            key: value
            for _part, hook in _hooks("export_account")
            for key, value in hook(user).items()
        },
        "record_access_log": [
            {"at": _iso(e.at), "actor_role": e.actor_role, "action": e.action, "reason": e.reason}
            for e in AuditEvent.objects.filter(client_id=user.pk).order_by("id")
        ],
    }


def export_json(*, user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": "alliance-client-export",
        "version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        **core_export(user),
        "parts": {},
    }
    for part, hook in _hooks("export_client"):
        data["parts"][part] = hook(user)
    audit.record(user, audit.Action.EXPORT, user, reason="client export (JSON)")
    return data


def clinical_record(*, user: User) -> dict[str, Any]:
    """The whole record for an audited break-glass reading (the caller writes the audit row)."""
    data = core_export(user)
    data["parts"] = {part: hook(user) for part, hook in _hooks("export_client")}
    return data


def export_fhir_bundle(*, user: User) -> dict[str, Any]:
    """A FHIR R4B `collection` Bundle: Patient, Consents, and each part's resources."""
    patient_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"alliance:client:{user.pk}"))
    patient_ref = f"Patient/{patient_id}"
    profile = ClientProfile.objects.filter(user=user).first()
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_id,
        "name": [{"text": user.display_name}] if user.display_name else [],
        "telecom": [{"system": "email", "value": user.email}],
    }
    if profile is not None:
        patient["birthDate"] = profile.date_of_birth.isoformat()
        if profile.emergency_contact_name:
            patient["contact"] = [
                {
                    "name": {"text": profile.emergency_contact_name},
                    "telecom": [{"system": "phone", "value": profile.emergency_contact_phone}],
                }
            ]
    resources: list[dict[str, Any]] = [Patient.model_validate(patient).model_dump(mode="json")]
    for consent in ConsentRecord.objects.filter(user=user):
        resources.append(
            Consent.model_validate(
                {
                    "resourceType": "Consent",
                    "id": f"consent-{consent.pk}",
                    "status": "inactive" if consent.withdrawn_at else "active",
                    "scope": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                "code": "treatment",
                            }
                        ]
                    },
                    "category": [{"text": f"{consent.kind} v{consent.version}"}],
                    "patient": {"reference": patient_ref},
                    "dateTime": consent.given_at.isoformat(),
                    "policyRule": {"text": f"sha256:{consent.text_sha256}"},
                }
            ).model_dump(mode="json")
        )
    for _part, hook in _hooks("fhir_resources"):
        resources.extend(hook(user, patient_ref))
    fhir_base = settings.SITE_URL.rstrip("/") + "/fhir"
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": timezone.now().isoformat(),
            # Absolute fullUrls under the deployment's FHIR base, as the response export's:
            # FHIR resolves a relative reference ("Patient/<id>", an Observation's
            # "QuestionnaireResponse/<id>") against them, so every link in the Bundle lands
            # on its entry. They identify; nothing is served there.
            "entry": [
                {
                    "fullUrl": f"{fhir_base}/{resource['resourceType']}/{resource['id']}",
                    "resource": resource,
                }
                for resource in resources
            ],
        }
    )
    audit.record(user, audit.Action.EXPORT, user, reason="client export (FHIR)")
    return bundle.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True)
class ErasureReport:
    user_id: int
    keys_destroyed: int
    parts: dict[str, dict[str, int]]


@transaction.atomic
def erase_client(*, user: User, actor: User) -> ErasureReport:
    """Erase a client's personal data; clinical structure is kept, its text made unreadable."""
    if not user.is_client:
        raise ValueError("only a client's data can be erased this way")
    # First the part that holds partnerships ends the client's active ones, through the
    # partnership lifecycle, so every part answers the ending before anything is erased.
    enders = _hooks("end_before_erasure")
    if len(enders) != 1:
        raise ImproperlyConfigured(
            f"{len(enders)} parts end partnerships before erasure; exactly one must"
        )
    for _part, end in enders:
        end(user, actor)
    parts = {part: hook(user) for part, hook in _hooks("erase_client")}
    ClientProfile.objects.filter(user=user).update(
        emergency_contact_name="",
        emergency_contact_phone="",
        emergency_contact_relationship="",
        # Year of birth stays (age at treatment is part of the clinical record); the day goes.
        date_of_birth=date(user.client_profile.date_of_birth.year, 1, 1)
        if hasattr(user, "client_profile")
        else date(1900, 1, 1),
    )
    destroyed = keys.destroy_key(user.pk)
    # The log-in history names the account by e-mail address.
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=user.email).delete()
    user.email = f"erased-{user.pk}@erased.invalid"
    user.display_name = ""
    user.first_name = user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save(
        update_fields=["email", "display_name", "first_name", "last_name", "is_active", "password"]
    )
    audit.record(actor, audit.Action.ERASE, user, reason="client erasure request")
    transaction.on_commit(_scrub_sqlite_wal)
    return ErasureReport(user.pk, destroyed, parts)


def _scrub_sqlite_wal() -> None:
    """SQLite keeps old page images in its write-ahead log until a checkpoint; with
    secure_delete on, checkpointing and truncating the log leaves no copy of erased rows."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@checks.register()
def check_erasure_ends_partnerships(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """An erasure must end the client's partnerships first: exactly one part does it."""
    found = len(_hooks("end_before_erasure"))
    if found == 1:
        return []
    return [
        checks.Error(
            f"{found} parts provide privacy.end_before_erasure; exactly one must.",
            hint="care/privacy.py ends a client's active partnerships before erasure.",
            id="alliance.E005",
        )
    ]
