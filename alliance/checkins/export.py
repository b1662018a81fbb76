"""FHIR export of stored responses and FHIR Questionnaire import of practice instruments."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from alliance.accounts.models import User
from alliance.checkins import instruments as lookup
from alliance.checkins.models import PracticeInstrument, Response
from alliance.measures import fhir
from alliance.measures.registry import get_instrument, instrument_ids
from alliance.measures.schema import InstrumentError
from alliance.measures.scoring import ScoreResult, score


class ImportError_(ValueError):
    pass


def _result(response: Response) -> ScoreResult:
    inst = lookup.instrument(response.instrument_id)
    answers: dict[str, Any] = dict(response.answers)
    text_items = [i.id for i in inst.items if i.kind == "text"]
    if response.comment and text_items:
        answers[text_items[0]] = str(response.comment)
    return score(inst, answers)


def fhir_bundle(response: Response) -> dict[str, Any]:
    """A collection Bundle: the QuestionnaireResponse and one Observation per score (the
    PHQ-9 total as LOINC 44261-6, the GAD-7 total as LOINC 70274-6), each derived from the
    response."""
    inst = lookup.instrument(response.instrument_id)
    result = _result(response)
    rid = f"alliance-response-{response.pk}"
    subject = f"Patient/alliance-client-{response.partnership.client_id}"
    authored = response.submitted_at.isoformat()
    qr = fhir.questionnaire_response(
        inst, result, response_id=rid, subject=subject, authored=authored
    )
    obs = fhir.observations(inst, result, response_id=rid, subject=subject, effective=authored)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in (qr, *obs)],
    }


@transaction.atomic
def import_questionnaire(
    questionnaire: dict[str, Any],
    *,
    instrument_id: str,
    base: str | None = None,
    max_missing: int | None = None,
    actor: User | None = None,
) -> PracticeInstrument:
    """Store a FHIR Questionnaire as a practice instrument, validated by the engine schema."""
    if instrument_id in instrument_ids():
        raise ImportError_(f"{instrument_id!r} is a shipped instrument; choose another id")
    if PracticeInstrument.objects.filter(instrument_id=instrument_id).exists():
        raise ImportError_(f"an instrument {instrument_id!r} already exists")
    if not isinstance(questionnaire, dict):
        raise ImportError_("the Questionnaire must be a JSON object")
    if _has_nul(questionnaire):  # PostgreSQL's JSON and text cannot store it
        raise ImportError_("the Questionnaire contains the NUL character (\\u0000)")
    try:
        definition = fhir.definition_from_questionnaire(
            questionnaire,
            instrument_id=instrument_id,
            base=get_instrument(base) if base else None,
            max_missing=max_missing,
        )
    except InstrumentError as exc:
        raise ImportError_(str(exc)) from exc
    except Exception as exc:  # fhir.resources validation errors (pydantic)
        raise ImportError_(f"not a valid FHIR R4 Questionnaire: {str(exc)[:300]}") from exc
    definition["id"] = instrument_id
    from alliance.measures.schema import instrument_from_dict

    inst = instrument_from_dict(definition)
    title = inst.title.get("en", instrument_id)
    for name, value, limit in (("title", title, 200), ("version", inst.version, 30)):
        if len(value) > limit:
            raise ImportError_(f"the {name} is longer than {limit} characters")
    return PracticeInstrument.objects.create(
        instrument_id=instrument_id,
        version=inst.version,
        title=title,
        definition=definition,
        source="fhir",
        added_by=actor,
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
