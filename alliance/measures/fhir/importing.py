"""Import: `read_questionnaire` turns a FHIR Questionnaire into an instrument definition and
its import report (`definition_from_questionnaire` and `instrument_from_questionnaire` return
one part of it), and `answers_from_response` reads a QuestionnaireResponse's answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from alliance.measures.fhir._common import (
    CANONICAL_PREFIX,
    DATA_ABSENT,
    _canonical_of,
    _dicts,
    _validated,
    _whole,
    gettext_noop,
)
from alliance.measures.fhir.critical import _find_critical
from alliance.measures.fhir.reading import _loinc_code, _normalised, _Reader, _scored
from alliance.measures.fhir.report import ImportResult, ReportLine
from alliance.measures.instrument import Instrument, Item
from alliance.measures.schema import InstrumentError, instrument_from_dict
from alliance.measures.scoring import Answer, ScoringError


def read_questionnaire(
    questionnaire: Mapping[str, Any],
    *,
    instrument_id: str | None = None,
    base: Instrument | None = None,
    max_missing: int | None = None,
    validated: bool = False,
    lower_is_better: bool = True,
    critical_map: Mapping[str, str] | None = None,
) -> ImportResult:
    """Read a FHIR Questionnaire (a JSON dict): the instrument definition (the JSON form the
    schema validates, so a practice can store it as data) and the import report.

    `base` (e.g. the shipped PHQ-9) lends its bands, cut-offs, reliable-change values, critical
    items, licence and missing-item rule, and its answer scores to a LOINC-coded form that
    carries none. Each critical item of the base is found by its LOINC item code, else by its
    position and wording, else by `critical_map` ({base item id: imported linkId}, the admin's
    answer); otherwise `CriticalItemNotFound` is raised. Without a base, PHQ-9 item 9 is still
    flagged when recognised. Raises `InstrumentError` (or pydantic's ValueError for a resource
    the R4B model refuses) and changes nothing.
    """
    if not isinstance(questionnaire, Mapping):
        raise InstrumentError("$", "the Questionnaire must be a JSON object")
    normalised, notes = _normalised(questionnaire)
    data = _validated(Questionnaire, normalised)
    reader = _Reader(data, base)
    reader.read(data.get("item", []))
    if not _scored(reader.items):
        raise InstrumentError(
            "Questionnaire.item",
            "has no item with scored answers (a LOINC-coded form without scores imports with "
            "a base instrument, which lends its answer scores)",
        )
    critical, findings = _find_critical(
        reader.items, base, critical_map or {}, reader.source_required
    )
    notes.extend(_reader_notes(reader, base))
    result = _definition(
        data,
        reader,
        base,
        critical,
        instrument_id=instrument_id,
        max_missing=max_missing,
        validated=validated,
        lower_is_better=lower_is_better,
    )
    groups = reader.prune_groups()
    if groups:
        result["groups"] = groups
    notes.append(_cite_source(result, data))
    if base is not None:
        _lend_from_base(result, base)
    outcome = ImportResult(definition=result, critical=tuple(findings), notes=tuple(notes))
    result["extra"] = {"fhir_import": [line.as_dict() for line in outcome.report]}
    instrument_from_dict(result)  # validate now: a bad import fails here, not later
    return outcome


def _definition(
    data: Mapping[str, Any],
    reader: _Reader,
    base: Instrument | None,
    critical: list[dict[str, Any]],
    *,
    instrument_id: str | None,
    max_missing: int | None,
    validated: bool,
    lower_is_better: bool,
) -> dict[str, Any]:
    """The definition's items, totals and provenance; the base, when there is one, gives the
    instrument's identity, scoring rules and licence."""
    title = data.get("title") or data.get("name") or "Imported questionnaire"
    source = data.get("url") or data.get("id") or "FHIR Questionnaire"
    return {
        "schema_version": 1,
        "id": instrument_id or (base and base.id) or str(data.get("id") or data.get("name")),
        "title": {"en": title},
        "short_name": base.short_name if base else title,
        "kind": base.kind if base else "outcome",
        "validated": base.validated if base else validated,
        "languages": {"en": f"FHIR Questionnaire {source}"},
        "items": reader.items,
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
        "loinc": {
            "panel": _loinc_code(data),
            "total": reader.totals[0] if reader.totals else None,
        },
        "critical_items": critical,
    }


def _cite_source(result: dict[str, Any], data: Mapping[str, Any]) -> ReportLine:
    """Keeps the source's canonical `url` (and version) for exported responses to cite, and
    says which canonical they will cite."""
    if data.get("url"):
        result["source_questionnaire"] = {
            "url": data["url"],
            **({"version": data["version"]} if data.get("version") else {}),
        }
        return ReportLine(
            gettext_noop("Exported responses cite the source's canonical %(canonical)s."),
            {"canonical": _canonical_of(data["url"], data.get("version"))},
        )
    return ReportLine(
        gettext_noop("The source has no canonical url: exported responses cite %(canonical)s."),
        {"canonical": f"{CANONICAL_PREFIX}{result['id']}|{result.get('version', '1')}"},
    )


def _lend_from_base(result: dict[str, Any], base: Instrument) -> None:
    """The base's bands, cut-offs and reliable-change values, and its LOINC codes where the
    source has none."""
    result["bands"] = [
        {"code": b.code, "label": dict(b.label), "min": b.min, "max": b.max} for b in base.bands
    ]
    for key, cut in (
        ("clinical_cutoff", base.cutoff),
        ("screening_cutoff", base.screening_cutoff),
    ):
        if cut:
            result[key] = {"score": cut.score, "source": cut.source}
    if base.reliable_change:
        rc = base.reliable_change
        result["reliable_change"] = {
            "sd": rc.sd,
            "reliability": rc.reliability,
            "source": rc.source,
        }
    loinc = result["loinc"]
    result["loinc"] = {
        "panel": loinc["panel"] or base.loinc_panel,
        "total": loinc["total"] or base.loinc_total,
    }


def _reader_notes(reader: _Reader, base: Instrument | None) -> list[ReportLine]:
    notes = []
    if reader.score_sources:
        notes.append(
            ReportLine(
                gettext_noop("Answer scores were read from the %(extensions)s extension."),
                {"extensions": ", ".join(sorted(reader.score_sources))},
            )
        )
    if reader.borrowed and base is not None:
        notes.append(
            ReportLine(
                gettext_noop(
                    "The source gives no answer scores for %(items)s: they were taken from "
                    "%(base)s by their answer codes."
                ),
                {"items": ", ".join(reader.borrowed), "base": base.short_name},
            )
        )
    if reader.groups:
        notes.append(
            ReportLine(
                gettext_noop("Groups kept (responses are exported in them): %(groups)s."),
                {"groups": ", ".join(g["id"] for g in reader.prune_groups()) or "—"},
            )
        )
    if reader.calculated:
        notes.append(
            ReportLine(
                gettext_noop(
                    "Calculated items are not answers (Alliance computes the scores itself): "
                    "%(items)s."
                ),
                {"items": ", ".join(reader.calculated)},
            )
        )
    if reader.unscored:
        notes.append(
            ReportLine(
                gettext_noop("Choice items without answer scores are kept unscored: %(items)s."),
                {"items": ", ".join(reader.unscored)},
            )
        )
    for text, link_ids in reader.declined.items():
        notes.append(
            ReportLine(
                gettext_noop(
                    "The option %(option)s (data-absent-reason) reads as a missing answer: "
                    "%(items)s."
                ),
                {"option": text, "items": ", ".join(link_ids)},
            )
        )
    if reader.left_out:
        notes.append(
            ReportLine(
                gettext_noop(
                    "Items Alliance cannot score or range-check were left out: %(items)s."
                ),
                {"items": ", ".join(reader.left_out)},
            )
        )
    return notes


def definition_from_questionnaire(
    questionnaire: Mapping[str, Any],
    *,
    instrument_id: str | None = None,
    base: Instrument | None = None,
    max_missing: int | None = None,
    validated: bool = False,
    lower_is_better: bool = True,
    critical_map: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The instrument definition of a FHIR Questionnaire (see `read_questionnaire`)."""
    return read_questionnaire(
        questionnaire,
        instrument_id=instrument_id,
        base=base,
        max_missing=max_missing,
        validated=validated,
        lower_is_better=lower_is_better,
        critical_map=critical_map,
    ).definition


def instrument_from_questionnaire(
    questionnaire: Mapping[str, Any],
    *,
    instrument_id: str | None = None,
    base: Instrument | None = None,
    max_missing: int | None = None,
    validated: bool = False,
    lower_is_better: bool = True,
    critical_map: Mapping[str, str] | None = None,
) -> Instrument:
    """Import a FHIR Questionnaire (a JSON dict) as an instrument (see `read_questionnaire`)."""
    return instrument_from_dict(
        definition_from_questionnaire(
            questionnaire,
            instrument_id=instrument_id,
            base=base,
            max_missing=max_missing,
            validated=validated,
            lower_is_better=lower_is_better,
            critical_map=critical_map,
        )
    )


def answers_from_response(instrument: Instrument, response: Mapping[str, Any]) -> dict[str, Answer]:
    """Answers {item id: value} from a QuestionnaireResponse: items matched by linkId at any
    depth (inside groups or under answers), choices by their coding (system and code; a
    data-absent-reason coding is a missing answer) or by their text."""
    data = _validated(QuestionnaireResponse, response)
    answers: dict[str, Answer] = {}
    known = {item.id: item for item in instrument.items}
    for entry in _dicts(data.get("item", [])):
        if "linkId" not in entry or entry["linkId"] not in known:
            continue
        item = known[entry["linkId"]]
        for answer in entry.get("answer", []):
            answers[item.id] = _answer_value(item, answer)
    return answers


def _answer_value(item: Item, answer: Mapping[str, Any]) -> Answer:
    if "valueCoding" in answer:
        coding = answer["valueCoding"]
        code, system = coding.get("code"), coding.get("system")
        if system == DATA_ABSENT:
            return None
        match = [
            o.value
            for o in item.options
            if o.code == code and (system is None or o.system is None or o.system == system)
        ]
        if not match:
            raise ScoringError(item.id, f"answer code {code!r} is not an option")
        return match[0]
    if "valueString" in answer:
        if item.kind == "choice":
            match = [o.value for o in item.options if answer["valueString"] in o.text.values()]
            if not match:
                raise ScoringError(item.id, f"answer {answer['valueString']!r} is not an option")
            return match[0]
        return str(answer["valueString"])
    for key in ("valueInteger", "valueDecimal"):
        if key in answer:
            return _whole(float(answer[key])) if key == "valueDecimal" else int(answer[key])
    return None
