"""HL7 FHIR (R4B, which reads the public R4 forms) import and export for instruments.

Import: a FHIR `Questionnaire` becomes an `Instrument`. Answer scores come from the
`ordinalValue` extension (R4) or `itemWeight` (R5) on each answerOption, or on the concepts
of a contained ValueSet named by `answerValueSet`. Items nested in groups are flattened.
Display items, calculated items (SDC `calculatedExpression`, e.g. a total) and read-only items
are never answers; choice items without scores are kept but unscored.

Export: an instrument as a `Questionnaire`, a scored response as a `QuestionnaireResponse`,
and each total (and subscale) as an `Observation` whose `derivedFrom` points at the response.
Every resource is validated by building the `fhir.resources.R4B` model before it is returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from alliance.measures.schema import Instrument, InstrumentError, instrument_from_dict
from alliance.measures.scoring import Answer, ScoreResult, ScoringError

LOINC = "http://loinc.org"
ALLIANCE_SYSTEM = "urn:alliance:measures"  # codes for items and scores without a LOINC code
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
# Older LHC-Forms exports carry the score in this ISO 21090 extension.
CO_VALUE = "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value"
SCORE_EXTENSIONS = (ORDINAL_VALUE, ITEM_WEIGHT, CO_VALUE)
CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
PHQ9_ITEM9_LOINC = "44260-8"


def _validated(model: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    instance = model.model_validate(dict(data))
    result: dict[str, Any] = instance.model_dump(mode="json", exclude_none=True)
    return result


def _extension_value(element: Mapping[str, Any], urls: tuple[str, ...]) -> float | None:
    for extension in element.get("extension", []):
        if extension.get("url") in urls:
            for key in ("valueDecimal", "valueInteger"):
                if key in extension:
                    return float(extension[key])
    return None


def _is_calculated(item: Mapping[str, Any]) -> bool:
    urls = {e.get("url", "") for e in item.get("extension", [])}
    return any(url.endswith("calculatedExpression") for url in urls) or bool(item.get("readOnly"))


def _loinc_code(element: Mapping[str, Any]) -> str | None:
    for coding in element.get("code", []):
        if coding.get("system") == LOINC and coding.get("code"):
            return str(coding["code"])
    return None


def _contained_concepts(questionnaire: Mapping[str, Any], reference: str) -> list[dict[str, Any]]:
    if not reference.startswith("#"):
        raise InstrumentError(
            f"answerValueSet {reference}", "only contained ValueSets (#id) can be scored"
        )
    for resource in questionnaire.get("contained", []):
        if resource.get("resourceType") == "ValueSet" and resource.get("id") == reference[1:]:
            concepts = [
                {**concept, "system": include.get("system")}
                for include in resource.get("compose", {}).get("include", [])
                for concept in include.get("concept", [])
            ]
            concepts += resource.get("expansion", {}).get("contains", [])
            return concepts
    raise InstrumentError(f"answerValueSet {reference}", "no contained ValueSet with that id")


def _choice_options(
    questionnaire: Mapping[str, Any], item: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], bool]:
    """Options as schema dicts, and whether every option carries a score."""
    raw: list[tuple[str | None, str, float | None]] = []
    if "answerOption" in item:
        for option in item["answerOption"]:
            coding = option.get("valueCoding")
            if coding is not None:
                code, text = coding.get("code"), coding.get("display") or coding.get("code")
            else:
                value = next(v for k, v in option.items() if k.startswith("value"))
                code, text = None, str(value)
            raw.append((code, str(text), _extension_value(option, SCORE_EXTENSIONS)))
    elif "answerValueSet" in item:
        for concept in _contained_concepts(questionnaire, item["answerValueSet"]):
            text = concept.get("display") or concept.get("code")
            raw.append(
                (concept.get("code"), str(text), _extension_value(concept, SCORE_EXTENSIONS))
            )
    scored = bool(raw) and all(score is not None for _, _, score in raw)
    options = [
        {
            "value": (score if score is not None and scored else index),
            "text": {"en": text},
            **({"code": code} if code else {}),
        }
        for index, (code, text, score) in enumerate(raw)
    ]
    for option in options:
        if isinstance(option["value"], float) and option["value"].is_integer():
            option["value"] = int(option["value"])
    return options, scored


def _flatten(
    questionnaire: Mapping[str, Any],
    items: list[Mapping[str, Any]],
    out: list[dict[str, Any]],
    totals: list[str],
) -> None:
    for item in items:
        kind = item.get("type")
        if kind == "group":
            _flatten(questionnaire, item.get("item", []), out, totals)
            continue
        if kind == "display":
            continue
        if _is_calculated(item):
            code = _loinc_code(item)
            if code:
                totals.append(code)
            continue
        entry: dict[str, Any] = {
            "id": item["linkId"],
            "text": {"en": item.get("text") or item["linkId"]},
        }
        if item.get("code"):
            entry["code"] = _loinc_code(item) or item["code"][0].get("code")
        entry["required"] = bool(item.get("required", False))
        if kind in ("choice", "open-choice", "coding"):
            options, scored = _choice_options(questionnaire, item)
            if len(options) < 2:
                continue
            entry.update(options=options, scored=scored, required=entry["required"] and scored)
        elif kind in ("integer", "decimal"):
            low = _extension_value(item, (MIN_VALUE,))
            high = _extension_value(item, (MAX_VALUE,))
            if low is None or high is None:
                continue  # an unbounded number cannot be range-checked, so it is not scored
            entry.update(kind="numeric", min=low, max=high)
        elif kind in ("string", "text"):
            entry.update(kind="text", scored=False, required=False)
        else:
            continue
        out.append(entry)


def instrument_from_questionnaire(
    questionnaire: Mapping[str, Any],
    *,
    instrument_id: str | None = None,
    base: Instrument | None = None,
    max_missing: int | None = None,
    validated: bool = False,
    lower_is_better: bool = True,
) -> Instrument:
    """Import a FHIR Questionnaire (a JSON dict) as an instrument (see
    `definition_from_questionnaire` for the rules)."""
    return instrument_from_dict(
        definition_from_questionnaire(
            questionnaire,
            instrument_id=instrument_id,
            base=base,
            max_missing=max_missing,
            validated=validated,
            lower_is_better=lower_is_better,
        )
    )


def definition_from_questionnaire(
    questionnaire: Mapping[str, Any],
    *,
    instrument_id: str | None = None,
    base: Instrument | None = None,
    max_missing: int | None = None,
    validated: bool = False,
    lower_is_better: bool = True,
) -> dict[str, Any]:
    """The instrument definition (the JSON form the schema validates) of a FHIR
    Questionnaire, so a practice can store an imported instrument as data.

    `base` (e.g. the shipped PHQ-9) lends its bands, cut-off, reliable-change values, critical
    items (matched by LOINC item code), licence and missing-item rule. Without it, an item
    coded LOINC 44260-8 (PHQ-9 item 9) is still flagged as critical, so a safety item is never
    lost on import.
    """
    data = _validated(Questionnaire, questionnaire)
    items: list[dict[str, Any]] = []
    totals: list[str] = []
    _flatten(data, data.get("item", []), items, totals)
    scored = [item for item in items if item.get("scored", True) and item.get("kind") != "text"]
    if not scored:
        raise InstrumentError("Questionnaire.item", "has no item with scored answers")
    title = data.get("title") or data.get("name") or "Imported questionnaire"
    panel = _loinc_code(data)
    source = data.get("url") or data.get("id") or "FHIR Questionnaire"
    result: dict[str, Any] = {
        "schema_version": 1,
        "id": instrument_id or (base and base.id) or str(data.get("id") or data.get("name")),
        "title": {"en": title},
        "short_name": base.short_name if base else title,
        "kind": base.kind if base else "outcome",
        "validated": base.validated if base else validated,
        "languages": {"en": f"FHIR Questionnaire {source}"},
        "items": items,
        "total": {"method": base.total_method if base else "sum"},
        "missing": {
            "method": "prorate",
            "max_missing": max_missing
            if max_missing is not None
            else (base.max_missing if base else 0),
        },
        "lower_is_better": base.lower_is_better if base else lower_is_better,
        "licence": base.licence if base else str(data.get("copyright") or "See the source."),
        "credit": base.credit if base else str(data.get("publisher") or source),
        "sources": [*base.sources, source] if base else [source],
        "loinc": {"panel": panel, "total": totals[0] if totals else None},
    }
    by_code = {item.get("code"): item["id"] for item in items if item.get("code")}
    if base is not None:
        result["bands"] = [
            {"code": b.code, "label": dict(b.label), "min": b.min, "max": b.max} for b in base.bands
        ]
        if base.cutoff:
            result["clinical_cutoff"] = {"score": base.cutoff.score, "source": base.cutoff.source}
        if base.reliable_change:
            rc = base.reliable_change
            result["reliable_change"] = {
                "sd": rc.sd,
                "reliability": rc.reliability,
                "source": rc.source,
            }
        critical = []
        for c in base.critical_items:
            code = base.item(c.item).code
            if code in by_code:
                critical.append(
                    {
                        "item": by_code[code],
                        "flag": c.flag,
                        "min_value": c.min_value,
                        "description": c.description,
                    }
                )
        result["critical_items"] = critical
        result["loinc"] = {
            "panel": panel or base.loinc_panel,
            "total": (totals[0] if totals else None) or base.loinc_total,
        }
    elif PHQ9_ITEM9_LOINC in by_code:
        result["critical_items"] = [
            {
                "item": by_code[PHQ9_ITEM9_LOINC],
                "flag": "phq9_item9",
                "min_value": 1,
                "description": "PHQ-9 item 9 (LOINC 44260-8): thoughts of death or self-harm.",
            }
        ]
    instrument_from_dict(result)  # validate now: a bad import fails here, not later
    return result


def answers_from_response(instrument: Instrument, response: Mapping[str, Any]) -> dict[str, Answer]:
    """Answers {item id: value} from a QuestionnaireResponse (items matched by linkId)."""
    data = _validated(QuestionnaireResponse, response)
    answers: dict[str, Answer] = {}

    def walk(items: list[Mapping[str, Any]]) -> None:
        for entry in items:
            walk(entry.get("item", []))
            try:
                item = instrument.item(entry["linkId"])
            except KeyError:
                continue
            for answer in entry.get("answer", []):
                walk(answer.get("item", []))
                if "valueCoding" in answer:
                    code = answer["valueCoding"].get("code")
                    match = [o.value for o in item.options if o.code == code]
                    if not match:
                        raise ScoringError(item.id, f"answer code {code!r} is not an option")
                    answers[item.id] = match[0]
                elif "valueString" in answer:
                    answers[item.id] = answer["valueString"]
                else:
                    for key in ("valueInteger", "valueDecimal"):
                        if key in answer:
                            answers[item.id] = answer[key]

    walk(data.get("item", []))
    return answers


def _coding(code: str | None, display: str) -> dict[str, str]:
    if code is None:
        return {"display": display}
    system = LOINC if code[:2] == "LA" or code[:1].isdigit() else ALLIANCE_SYSTEM
    return {"system": system, "code": code, "display": display}


def questionnaire_from_instrument(instrument: Instrument, *, lang: str = "en") -> dict[str, Any]:
    """Export an instrument as a FHIR R4B Questionnaire (JSON dict)."""

    def text(values: Mapping[str, str]) -> str:
        return values.get(lang) or values["en"]

    items: list[dict[str, Any]] = []
    for item in instrument.items:
        entry: dict[str, Any] = {
            "linkId": item.id,
            "text": text(item.text),
            "required": item.required,
        }
        if item.code:
            entry["code"] = [_coding(item.code, text(item.text))]
        if item.kind == "choice":
            entry["type"] = "choice"
            entry["answerOption"] = [
                {
                    "valueCoding": _coding(
                        option.code or f"{item.id}.{option.value}", text(option.text)
                    ),
                    **(
                        {"extension": [{"url": ORDINAL_VALUE, "valueDecimal": option.value}]}
                        if item.scored
                        else {}
                    ),
                }
                for option in item.options
            ]
        elif item.kind == "numeric":
            entry["type"] = "decimal"
            entry["extension"] = [
                {"url": MIN_VALUE, "valueDecimal": item.min_value},
                {"url": MAX_VALUE, "valueDecimal": item.max_value},
            ]
        else:
            entry["type"] = "text"
        items.append(entry)
    aggregate = "avg" if instrument.total_method == "mean" else "sum"
    scored_ids = ", ".join(f"'{item.id}'" for item in instrument.scored_items)
    total: dict[str, Any] = {
        "linkId": f"{instrument.id}_total",
        "text": f"{text(instrument.title)} total score",
        "type": "decimal" if instrument.total_method == "mean" else "integer",
        "readOnly": True,
        "extension": [
            {
                "url": CALCULATED,
                "valueExpression": {
                    "language": "text/fhirpath",
                    "expression": f"%resource.item.where(linkId in ({scored_ids}))"
                    f".answer.value.weight().{aggregate}()",
                },
            }
        ],
    }
    if instrument.loinc_total:
        total["code"] = [_coding(instrument.loinc_total, total["text"])]
    items.append(total)
    data: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": instrument.id.replace("_", "-"),
        "name": instrument.id,
        "title": text(instrument.title),
        "version": instrument.version,
        "status": "active" if instrument.validated else "draft",
        "copyright": instrument.licence,
        "item": items,
    }
    if instrument.loinc_panel:
        data["code"] = [_coding(instrument.loinc_panel, text(instrument.title))]
    return _validated(Questionnaire, data)


def questionnaire_response(
    instrument: Instrument,
    result: ScoreResult,
    *,
    response_id: str | None = None,
    subject: str | None = None,
    authored: str | None = None,
    include_free_text: bool = True,
) -> dict[str, Any]:
    """A completed QuestionnaireResponse for a scored response."""
    items = []
    for item in instrument.items:
        if item.id not in result.answers:
            continue
        value = result.answers[item.id]
        if item.kind == "choice":
            option = next(o for o in item.options if o.value == value)
            answer: dict[str, Any] = {
                "valueCoding": _coding(
                    option.code or f"{item.id}.{option.value}", option.text["en"]
                )
            }
        elif item.kind == "numeric":
            answer = {"valueDecimal": value}
        else:
            if not include_free_text:
                continue
            answer = {"valueString": value}
        items.append({"linkId": item.id, "text": item.text["en"], "answer": [answer]})
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id or str(uuid.uuid4()),
        "questionnaire": f"Questionnaire/{instrument.id.replace('_', '-')}",
        "status": "completed",
        "item": items,
    }
    if subject:
        data["subject"] = {"reference": subject}
    if authored:
        data["authored"] = authored
    return _validated(QuestionnaireResponse, data)


def observations(
    instrument: Instrument,
    result: ScoreResult,
    *,
    response_id: str,
    subject: str | None = None,
    effective: str | None = None,
) -> list[dict[str, Any]]:
    """One Observation for the total and one per subscale, each derived from the response."""

    def build(
        code: str | None, name: str, value: float, suffix: str, whole: bool
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "resourceType": "Observation",
            "id": f"{response_id}-{suffix}",
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "survey",
                        }
                    ]
                }
            ],
            "code": {"coding": [_coding(code or f"{instrument.id}.{suffix}", name)], "text": name},
            "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_id}"}],
        }
        if whole and float(value).is_integer():
            data["valueInteger"] = int(value)
        else:
            data["valueQuantity"] = {
                "value": round(float(value), 4),
                "unit": "{score}",
                "system": "http://unitsofmeasure.org",
                "code": "{score}",
            }
        if result.band_label and suffix == "total":
            data["interpretation"] = [{"text": result.band_label}]
        if subject:
            data["subject"] = {"reference": subject}
        if effective:
            data["effectiveDateTime"] = effective
        return _validated(Observation, data)

    title = instrument.title["en"]
    out = [
        build(
            instrument.loinc_total,
            f"{title} total score",
            result.total,
            "total",
            instrument.total_method == "sum",
        )
    ]
    for sub in instrument.subscales:
        name = f"{title} {sub.name['en']} subscale score"
        out.append(build(None, name, result.subscales[sub.id], sub.id, sub.method == "sum"))
    return out
