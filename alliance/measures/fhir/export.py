"""Export: an instrument as a `Questionnaire`, a scored response as a `QuestionnaireResponse`
citing the source's canonical URL, each total and subscale as an `Observation` derived from
it, and a `collection` Bundle of them; each resource is validated by its R4B model."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from alliance.measures.fhir._common import (
    ALLIANCE_SYSTEM,
    CALCULATED,
    CANONICAL_PREFIX,
    LOINC,
    MAX_VALUE,
    MIN_VALUE,
    ORDINAL_VALUE,
    _validated,
)
from alliance.measures.instrument import Group, Instrument, Item
from alliance.measures.scoring import ScoreResult


def own_canonical(instrument: Instrument) -> str:
    """Our canonical URL for an instrument (without its version)."""
    return f"{CANONICAL_PREFIX}{instrument.id}"


def canonical(instrument: Instrument) -> str:
    """What `QuestionnaireResponse.questionnaire` cites: the source's `url|version` for an
    imported instrument, our own `urn:alliance:questionnaire:<id>|<version>` otherwise."""
    if instrument.source_questionnaire is not None:
        return instrument.source_questionnaire.canonical
    return f"{own_canonical(instrument)}|{instrument.version}"


def _coding(code: str | None, display: str, system: str | None = None) -> dict[str, str]:
    if code is None:
        return {"display": display}
    if system is None:
        system = LOINC if code[:2] == "LA" or code[:1].isdigit() else ALLIANCE_SYSTEM
    return {"system": system, "code": code, "display": display}


def _option_coding(item: Item, value: int | float | str, lang: str = "en") -> dict[str, str]:
    option = next(o for o in item.options if o.value == value)
    text = option.text.get(lang) or option.text["en"]
    if option.code is None:
        return _coding(f"{item.id}.{option.value}", text, ALLIANCE_SYSTEM)
    return _coding(option.code, text, option.system)


def _nested(
    instrument: Instrument,
    nodes: Iterable[tuple[str | None, dict[str, Any]]],
    group_node: Callable[[Group], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Place each (group id, node) inside its groups, creating group nodes on first use."""
    top: list[dict[str, Any]] = []
    made: dict[str, dict[str, Any]] = {}
    for group_id, node in nodes:
        container = top
        for group in instrument.group_path(group_id):
            if group.id not in made:
                made[group.id] = group_node(group)
                container.append(made[group.id])
            container = made[group.id].setdefault("item", [])
        container.append(node)
    return top


def _text(values: Mapping[str, str], lang: str) -> str:
    return values.get(lang) or values["en"]


def questionnaire_from_instrument(instrument: Instrument, *, lang: str = "en") -> dict[str, Any]:
    """Export an instrument as a FHIR R4B Questionnaire (JSON dict), its items in the source's
    groups; an imported instrument names its source in `derivedFrom`."""
    nested = _nested(
        instrument,
        [(item.group, _questionnaire_item(item, lang)) for item in instrument.items],
        lambda g: {"linkId": g.id, "text": _text(g.text, lang), "type": "group"},
    )
    nested.append(_total_item(instrument, lang))
    data: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": instrument.id.replace("_", "-"),
        "url": own_canonical(instrument),
        "name": instrument.id,
        "title": _text(instrument.title, lang),
        "version": instrument.version,
        "status": "active" if instrument.validated else "draft",
        "copyright": instrument.licence,
        "item": nested,
    }
    if instrument.source_questionnaire is not None:
        data["derivedFrom"] = [instrument.source_questionnaire.canonical]
    if instrument.loinc_panel:
        data["code"] = [_coding(instrument.loinc_panel, _text(instrument.title, lang))]
    return _validated(Questionnaire, data)


def _questionnaire_item(item: Item, lang: str) -> dict[str, Any]:
    """One item of the exported Questionnaire: a choice carries each option's score as its
    `ordinalValue`, a number its range."""
    entry: dict[str, Any] = {
        "linkId": item.id,
        "text": _text(item.text, lang),
        "required": item.required,
    }
    if item.code:
        entry["code"] = [_coding(item.code, _text(item.text, lang), item.code_system)]
    if item.kind == "choice":
        entry["type"] = "choice"
        entry["answerOption"] = [
            {
                "valueCoding": _option_coding(item, option.value, lang),
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
    return entry


def _total_item(instrument: Instrument, lang: str) -> dict[str, Any]:
    """The read-only total, an SDC `calculatedExpression` over the scored items."""
    aggregate = "avg" if instrument.total_method == "mean" else "sum"
    scored_ids = " | ".join(f"'{item.id}'" for item in instrument.scored_items)
    total: dict[str, Any] = {
        "linkId": f"{instrument.id}_total",
        "text": f"{_text(instrument.title, lang)} total score",
        "type": "decimal" if instrument.total_method == "mean" else "integer",
        "readOnly": True,
        "extension": [
            {
                "url": CALCULATED,
                "valueExpression": {
                    "language": "text/fhirpath",
                    "expression": f"%resource.repeat(item).where(linkId in ({scored_ids}))"
                    f".answer.value.weight().{aggregate}()",
                },
            }
        ],
    }
    if instrument.loinc_total:
        total["code"] = [_coding(instrument.loinc_total, total["text"])]
    return total


def questionnaire_response(
    instrument: Instrument,
    result: ScoreResult,
    *,
    response_id: str | None = None,
    subject: str | None = None,
    authored: str | None = None,
    include_free_text: bool = True,
) -> dict[str, Any]:
    """A completed QuestionnaireResponse for a scored response: it cites `canonical`, nests
    answers in the source's groups and codes each choice as the source coded it."""
    items: list[tuple[str | None, dict[str, Any]]] = []
    for item in instrument.items:
        if item.id not in result.answers:
            continue
        value = result.answers[item.id]
        if item.kind == "choice":
            answer: dict[str, Any] = {"valueCoding": _option_coding(item, value)}
        elif item.kind == "numeric":
            answer = {"valueDecimal": value}
        else:
            if not include_free_text:
                continue
            answer = {"valueString": value}
        items.append((item.group, {"linkId": item.id, "text": item.text["en"], "answer": [answer]}))
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id or str(uuid.uuid4()),
        "questionnaire": canonical(instrument),
        "status": "completed",
        "item": _nested(instrument, items, lambda g: {"linkId": g.id, "text": g.text["en"]}),
    }
    if subject:
        data["subject"] = {"reference": subject}
    if authored:
        data["authored"] = authored
    return _validated(QuestionnaireResponse, data)


PRORATED = {"system": ALLIANCE_SYSTEM, "code": "prorated", "display": "Prorated"}


@dataclass(frozen=True)
class _Score:
    """A total or subscale score to export as an Observation."""

    code: str | None  # its LOINC code, if it has one
    name: str
    value: float
    suffix: str  # of the Observation's id: "total" or the subscale's id
    whole: bool  # a sum, exported as an integer when it is one
    members: Sequence[str]  # the scored items it is made of


def observations(
    instrument: Instrument,
    result: ScoreResult,
    *,
    response_id: str,
    subject: str | None = None,
    effective: str | None = None,
) -> list[dict[str, Any]]:
    """One Observation for the total and one per subscale, each derived from the response. A
    prorated score says so twice: `method` coded `prorated` (urn:alliance:measures) for
    machines, and a `note` naming the missing items for people."""
    title = instrument.title["en"]
    scores = [
        _Score(
            instrument.loinc_total,
            f"{title} total score",
            result.total,
            "total",
            instrument.total_method == "sum",
            [i.id for i in instrument.scored_items],
        )
    ]
    for sub in instrument.subscales:
        name = f"{title} {sub.name['en']} subscale score"
        scores.append(
            _Score(None, name, result.subscales[sub.id], sub.id, sub.method == "sum", sub.items)
        )
    return [
        _observation(
            instrument,
            result,
            score,
            response_id=response_id,
            subject=subject,
            effective=effective,
        )
        for score in scores
    ]


def _observation(
    instrument: Instrument,
    result: ScoreResult,
    score: _Score,
    *,
    response_id: str,
    subject: str | None,
    effective: str | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"{response_id}-{score.suffix}",
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
        "code": {
            "coding": [_coding(score.code or f"{instrument.id}.{score.suffix}", score.name)],
            "text": score.name,
        },
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_id}"}],
    }
    if score.whole and float(score.value).is_integer():
        data["valueInteger"] = int(score.value)
    else:
        data["valueQuantity"] = {
            "value": round(float(score.value), 4),
            "unit": "{score}",
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        }
    missing = [m for m in score.members if m in result.missing]
    if missing:
        data.update(_prorated(len(score.members), missing))
    if result.band_label and score.suffix == "total":
        data["interpretation"] = [{"text": result.band_label}]
    if subject:
        data["subject"] = {"reference": subject}
    if effective:
        data["effectiveDateTime"] = effective
    return _validated(Observation, data)


def _prorated(members: int, missing: Sequence[str]) -> dict[str, Any]:
    """The `method` and `note` of a score prorated from `members - len(missing)` answers."""
    answered = members - len(missing)
    return {
        "method": {"coding": [PRORATED], "text": "Prorated from the answered items"},
        "note": [
            {
                "text": f"Prorated: {answered} of {members} scored items answered "
                f"(missing: {', '.join(missing)}); the score is scaled from the answered "
                "items by the instrument's missing-item rule."
            }
        ],
    }


def collection_bundle(resources: Sequence[Mapping[str, Any]], *, base: str) -> dict[str, Any]:
    """A `collection` Bundle whose entries have the absolute `fullUrl` `<base>/<type>/<id>`
    (base: the deployment's FHIR base, e.g. https://practice.example/fhir). FHIR resolves a
    relative reference inside a Bundle against the base of the entry's fullUrl, so an
    Observation's `derivedFrom: QuestionnaireResponse/<id>` points at the response's entry."""
    root = base.rstrip("/")
    data = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{root}/{r['resourceType']}/{r['id']}", "resource": dict(r)}
            for r in resources
        ],
    }
    return _validated(Bundle, data)
