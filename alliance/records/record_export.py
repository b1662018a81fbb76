"""The record on request: a client's whole clinical record, as a paginated PDF and as FHIR.

For a client's right of access (GDPR art. 15, HIPAA 45 CFR 164.524) and for a transfer to
another provider under a release of information the client signed and has not revoked.

What the record holds: the documents signed (with the evidence of each signature), the
treatment plans, the goals agreed with the therapist, the progress notes that were signed
(with their addenda and co-signatures: an unsigned draft is not yet part of the record),
the measures answered, and attendance. Each part is read from the part that owns it.

Which notes: the client's own copy holds the signed notes their therapist shared with them;
the others are the therapist's working notes, kept out of the client's copy as psychotherapy
notes are kept out of the HIPAA right of access (45 CFR 164.524(a)(1)(i)), and the copy says
how many there are. A transfer to another provider under the client's release holds every
signed note, for the continuity of care the client asked for.

The FHIR form is an R4B `document` Bundle: a Composition first, whose sections list the
entries, then Patient, DocumentReference (each signed document, with its PDF; each note),
Goal, Condition and CarePlan (plans), Encounter (attendance) and the measures'
QuestionnaireResponses and Observations; every resource is validated with fhir.resources.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.composition import Composition
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.goal import Goal as FhirGoal
from fhir.resources.R4B.patient import Patient

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.checkins import privacy as checkins_privacy
from alliance.checkins.models import Response
from alliance.core.pdf import render
from alliance.goals.models import Goal
from alliance.records import plans, signing
from alliance.records.models import Signature
from alliance.records.plan_models import PlanVersion
from alliance.schedule.models import Appointment, ProgressNote
from alliance.schedule.note_queries import shown_sections

LOINC = "http://loinc.org"


@dataclass
class Record:
    client: User
    generated_at: dt.datetime
    signatures: list[Signature]
    goals: list[Goal]
    notes: list[ProgressNote]
    responses: list[Response]
    appointments: list[Appointment]
    plans: list[PlanVersion] = field(default_factory=list)
    current_plan_ids: set[int] = field(default_factory=set)
    notes_withheld: int = 0


def _plans(client: User) -> tuple[list[PlanVersion], set[int]]:
    """Every version of the client's treatment plans, each partnership's newest first, and
    the ids of the current ones (the first of each partnership's)."""
    versions: list[PlanVersion] = []
    current: set[int] = set()
    for partnership in Partnership.objects.filter(client=client).order_by("started_at", "id"):
        found = list(plans.versions_of(partnership))
        versions += found
        current |= {found[0].pk} if found else set()
    return versions, current


def gather(client: User, *, every_note: bool = False) -> Record:
    """The record; `every_note` for a transfer, else only the notes shared with the client."""
    signed = ProgressNote.objects.filter(partnership__client=client, signed_at__isnull=False)
    chosen = signed if every_note else signed.filter(shared_at__isnull=False)
    notes = list(
        chosen.select_related("appointment", "author", "cosigned_by")
        .prefetch_related("addenda__author")
        .order_by("appointment__starts_at", "id")
    )
    plan_versions, current_plans = _plans(client)
    return Record(
        client=client,
        generated_at=timezone.now(),
        signatures=list(
            Signature.objects.filter(client=client)
            .select_related("version__document")
            .order_by("signed_at", "id")
        ),
        goals=list(
            Goal.objects.filter(partnership__client=client)
            .select_related("partnership__therapist")
            .order_by("created_at", "id")
        ),
        notes=notes,
        responses=list(
            Response.objects.filter(partnership__client=client, respondent=client).order_by(
                "submitted_at", "id"
            )
        ),
        appointments=list(
            Appointment.objects.filter(client=client)
            .select_related("therapist")
            .order_by("starts_at", "id")
        ),
        plans=plan_versions,
        current_plan_ids=current_plans,
        notes_withheld=0 if every_note else signed.filter(shared_at__isnull=True).count(),
    )


def record_pdf(client: User, *, every_note: bool = False) -> bytes:
    record = gather(client, every_note=every_note)
    return render(
        "records/pdf/record.html",
        {
            "record": record,
            "notes": [(note, shown_sections(note)) for note in record.notes],
            "plans": [(version, plans.latest_response(version)) for version in record.plans],
        },
        language=client.preferred_language or "en",
    )


# --- FHIR -------------------------------------------------------------------------------------


def _id(kind: str, pk: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"alliance:{kind}:{pk}"))


def signature_reference(s: Signature, patient: str) -> dict[str, Any]:
    data = signing.signed_copy(s) if str(s.signed_pdf).startswith("JVBER") else b""
    attachment: dict[str, Any] = {
        "contentType": "application/pdf",
        "title": f"{s.version.document.title} v{s.version.number}",
        "creation": s.signed_at.isoformat(),
    }
    if data:
        attachment["data"] = base64.b64encode(data).decode("ascii")
        # FHIR's Attachment.hash is the base64 of the SHA-1 of the data.
        attachment["hash"] = base64.b64encode(hashlib.sha1(data).digest()).decode("ascii")  # noqa: S324
    return DocumentReference.model_validate(
        {
            "resourceType": "DocumentReference",
            "id": _id("signature", s.pk),
            "status": "superseded" if s.revoked_at else "current",
            "type": {"text": s.version.document.get_kind_display()},
            "subject": {"reference": patient},
            "date": s.signed_at.isoformat(),
            "description": f"sha256:{s.shown_sha256}",
            "content": [{"attachment": attachment}],
        }
    ).model_dump(mode="json", exclude_none=True)


def _note_reference(note: ProgressNote, patient: str) -> dict[str, Any]:
    text = "\n\n".join(
        f"{section.label}\n{section.text}" if section.label else section.text
        for section in shown_sections(note)
    )
    for addendum in note.addenda.all():
        text += f"\n\n{_('Addendum')} ({addendum.created_at.isoformat()}): {addendum.text}"
    return DocumentReference.model_validate(
        {
            "resourceType": "DocumentReference",
            "id": _id("note", note.pk),
            "status": "current",
            "docStatus": "final",
            # LOINC 11506-3: Progress note.
            "type": {"coding": [{"system": LOINC, "code": "11506-3", "display": "Progress note"}]},
            "subject": {"reference": patient},
            "date": note.signed_at.isoformat() if note.signed_at else None,
            "author": [{"display": note.author.display_name}],
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain; charset=utf-8",
                        "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                        "title": note.template,
                    }
                }
            ],
        }
    ).model_dump(mode="json", exclude_none=True)


GOAL_STATUS = {"active": "active", "achieved": "completed", "archived": "cancelled"}


def _goal(goal: Goal, patient: str) -> dict[str, Any]:
    return FhirGoal.model_validate(
        {
            "resourceType": "Goal",
            "id": _id("goal", goal.pk),
            "lifecycleStatus": GOAL_STATUS.get(goal.status, "proposed")
            if goal.is_agreed
            else "proposed",
            "description": {"text": str(goal.title)},
            "subject": {"reference": patient},
            "startDate": goal.agreed_at.date().isoformat() if goal.is_agreed else None,
        }
    ).model_dump(mode="json", exclude_none=True)


ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


def _plan(version: PlanVersion, patient: str, *, current: bool) -> list[dict[str, Any]]:
    """A plan version as a CarePlan, with a Condition for each of its diagnoses."""
    conditions = [
        Condition.model_validate(
            {
                "resourceType": "Condition",
                "id": _id("plan-diagnosis", d.pk),
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active" if current else "inactive",
                        }
                    ]
                },
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                "code": "encounter-diagnosis",
                            }
                        ]
                    }
                ],
                "code": {
                    "coding": [
                        {"system": ICD10CM, "code": str(d.code), "display": str(d.description)}
                    ],
                    "text": str(d.description),
                },
                "subject": {"reference": patient},
                "recordedDate": version.written_at.isoformat(),
            }
        ).model_dump(mode="json", exclude_none=True)
        for d in version.diagnoses.all()
    ]
    entries = list(version.plan_goals.all())
    objectives = "; ".join(
        f"{o.text} ({o.target_on.isoformat()})" for e in entries for o in e.objectives.all()
    )
    care_plan = CarePlan.model_validate(
        {
            "resourceType": "CarePlan",
            "id": _id("plan-version", version.pk),
            "status": "active" if current else "revoked",
            "intent": "plan",
            "title": _("Treatment plan, version %(n)d") % {"n": version.number},
            "description": str(version.presenting_problems or "") or None,
            "subject": {"reference": patient},
            "period": {"start": version.written_at.isoformat()},
            "created": version.written_at.isoformat(),
            "author": {"display": version.written_by.display_name},
            "addresses": [{"reference": f"Condition/{c['id']}"} for c in conditions] or None,
            "goal": [{"reference": f"Goal/{_id('goal', e.goal_id)}"} for e in entries] or None,
            "activity": [
                {
                    "detail": {
                        "status": "in-progress" if current else "stopped",
                        "description": str(version.interventions),
                    }
                }
            ]
            if version.interventions
            else None,
            "note": [
                {"text": f"{_('How often we meet')}: {version.frequency_text}"},
                {"text": f"{_('Review on')}: {version.review_on.isoformat()}"},
                *([{"text": f"{_('Objectives')}: {objectives}"}] if objectives else []),
            ],
        }
    ).model_dump(mode="json", exclude_none=True)
    return [care_plan, *conditions]


ENCOUNTER_STATUS = {
    "scheduled": "planned",
    "attended": "finished",
    "no_show": "cancelled",
    "cancelled": "cancelled",
}


def _encounter(appointment: Appointment, patient: str) -> dict[str, Any]:
    return Encounter.model_validate(
        {
            "resourceType": "Encounter",
            "id": _id("appointment", appointment.pk),
            "status": ENCOUNTER_STATUS.get(appointment.status, "unknown"),
            # ActCode VR: a virtual encounter (telehealth).
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "VR",
                "display": "virtual",
            },
            "subject": {"reference": patient},
            "period": {
                "start": appointment.starts_at.isoformat(),
                "end": appointment.ends_at.isoformat(),
            },
        }
    ).model_dump(mode="json", exclude_none=True)


def _section(title: str, code: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    section: dict[str, Any] = {
        "title": title,
        "code": {"coding": [{"system": LOINC, "code": code}]},
    }
    if resources:
        section["entry"] = [{"reference": f"{r['resourceType']}/{r['id']}"} for r in resources]
    else:
        section["emptyReason"] = {"text": _("Nothing recorded")}
    return section


def record_bundle(client: User, *, every_note: bool = False) -> dict[str, Any]:
    record = gather(client, every_note=every_note)
    patient_id = _id("client", client.pk)
    patient_ref = f"Patient/{patient_id}"
    patient = Patient.model_validate(
        {
            "resourceType": "Patient",
            "id": patient_id,
            "name": [{"text": client.display_name}] if client.display_name else [],
        }
    ).model_dump(mode="json", exclude_none=True)
    documents = [signature_reference(s, patient_ref) for s in record.signatures]
    notes = [_note_reference(n, patient_ref) for n in record.notes]
    goals = [_goal(g, patient_ref) for g in record.goals]
    plan_resources = [
        r
        for v in record.plans
        for r in _plan(v, patient_ref, current=v.pk in record.current_plan_ids)
    ]
    encounters = [_encounter(a, patient_ref) for a in record.appointments]
    measures = checkins_privacy.fhir_resources(client, patient_ref)
    # Each section's LOINC code is the C-CDA section code nearest to what it holds.
    sections = [
        _section(_("Signed documents"), "59284-0", documents),  # Patient consent
        _section(_("Treatment plan"), "18776-5", plan_resources),  # Plan of care note
        _section(_("Goals"), "61146-7", goals),  # Goals
        _section(_("Progress notes"), "11506-3", notes),  # Progress note
        _section(_("Measures"), "10190-7", measures),  # Mental status
        _section(_("Attendance"), "46240-8", encounters),  # Encounters
    ]
    composition = Composition.model_validate(
        {
            "resourceType": "Composition",
            "id": _id("record", f"{client.pk}:{record.generated_at.isoformat()}"),
            "status": "final",
            # LOINC 34133-9: Summary of episode note, the record as a whole.
            "type": {"coding": [{"system": LOINC, "code": "34133-9"}]},
            "subject": {"reference": patient_ref},
            "date": record.generated_at.isoformat(),
            "author": [{"display": _("Alliance")}],
            "title": _("Clinical record"),
            "section": sections,
        }
    ).model_dump(mode="json", exclude_none=True)
    resources = [
        composition,
        patient,
        *documents,
        *plan_resources,
        *goals,
        *notes,
        *measures,
        *encounters,
    ]
    base = settings.SITE_URL.rstrip("/") + "/fhir"
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "document",
            "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{composition['id']}"},
            "timestamp": record.generated_at.isoformat(),
            "entry": [
                {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r}
                for r in resources
            ],
        }
    )
    return bundle.model_dump(mode="json", exclude_none=True)
