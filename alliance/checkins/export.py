"""FHIR export of stored responses and FHIR Questionnaire import of practice instruments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction

from alliance.accounts.models import User
from alliance.checkins import instruments as lookup
from alliance.checkins.models import PracticeInstrument, Response
from alliance.core.errors import DomainError
from alliance.measures import fhir
from alliance.measures.registry import get_instrument, instrument_ids
from alliance.measures.schema import InstrumentError, instrument_from_dict
from alliance.measures.scoring import ScoreResult, score


class ImportError_(DomainError):
    """A questionnaire import refused; the message names what to mend."""

    status = 400


class MappingNeeded(ImportError_):
    """The base's safety item was not recognised: the admin must say which imported item it
    is. Carries what to ask (`missing`) and the imported items to choose from."""

    def __init__(self, found: fhir.CriticalItemNotFound) -> None:
        super().__init__(str(found))
        self.missing = found.missing
        self.candidates = found.candidates


class MappingRefused(ImportError_):
    """The admin's answer for a safety item cannot be used (no such scored item, or one whose
    answers could never raise the flag); `item` is the base item it was for."""

    def __init__(self, item: str, message: str) -> None:
        super().__init__(message)
        self.item = item


def fhir_base() -> str:
    """The base of this deployment's FHIR resource URLs (the Bundle entries' fullUrl)."""
    return settings.SITE_URL.rstrip("/") + "/fhir"


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
    response. Each entry's fullUrl is `<SITE_URL>/fhir/<type>/<id>`, so the Observations'
    relative `derivedFrom` resolves to the response's entry."""
    inst = lookup.instrument(response.instrument_id)
    result = _result(response)
    rid = f"alliance-response-{response.pk}"
    subject = f"Patient/alliance-client-{response.partnership.client_id}"
    authored = response.submitted_at.isoformat()
    qr = fhir.questionnaire_response(
        inst, result, response_id=rid, subject=subject, authored=authored
    )
    obs = fhir.observations(inst, result, response_id=rid, subject=subject, effective=authored)
    return fhir.collection_bundle([qr, *obs], base=fhir_base())


@transaction.atomic
def import_questionnaire(
    questionnaire: dict[str, Any],
    *,
    instrument_id: str,
    base: str | None = None,
    max_missing: int | None = None,
    critical_map: Mapping[str, str] | None = None,
    actor: User | None = None,
) -> PracticeInstrument:
    """Store a FHIR Questionnaire as a practice instrument, validated by the engine schema.

    The engine's import report is stored with the definition (`extra.fhir_import`), so the
    admin page can always show how each safety item was found and what was normalised.
    `critical_map` is the admin's answer to `MappingNeeded`: {base item id: linkId}."""
    if instrument_id in instrument_ids():
        raise ImportError_(f"{instrument_id!r} is a shipped instrument; choose another id")
    if PracticeInstrument.objects.filter(instrument_id=instrument_id).exists():
        raise ImportError_(f"an instrument {instrument_id!r} already exists")
    if not isinstance(questionnaire, dict):
        raise ImportError_("the Questionnaire must be a JSON object")
    if _has_nul(questionnaire):  # PostgreSQL's JSON and text cannot store it
        raise ImportError_("the Questionnaire contains the NUL character (\\u0000)")
    if base and base not in instrument_ids():
        raise ImportError_(f"unknown base instrument {base!r}")
    try:
        definition = fhir.read_questionnaire(
            questionnaire,
            instrument_id=instrument_id,
            base=get_instrument(base) if base else None,
            max_missing=max_missing,
            critical_map=critical_map,
        ).definition
    except fhir.CriticalItemNotFound as exc:
        raise MappingNeeded(exc) from exc
    except InstrumentError as exc:
        if exc.path.startswith("critical_map."):
            raise MappingRefused(exc.path.removeprefix("critical_map."), exc.rule) from exc
        raise ImportError_(str(exc)) from exc
    except Exception as exc:  # fhir.resources validation errors (pydantic)
        raise ImportError_(f"not a valid FHIR R4 Questionnaire: {str(exc)[:300]}") from exc
    definition["id"] = instrument_id
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


def import_report(definition: Mapping[str, Any]) -> list[fhir.ReportLine]:
    """The import report stored with an imported definition (empty for older imports)."""
    extra = definition.get("extra")
    lines = extra.get("fhir_import", []) if isinstance(extra, Mapping) else []
    return [
        fhir.ReportLine(str(line["template"]), {k: str(v) for k, v in line["params"].items()})
        for line in lines
        if isinstance(line, Mapping)
        and "template" in line
        and isinstance(line.get("params"), Mapping)
    ]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
