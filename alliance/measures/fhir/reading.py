"""Reading a Questionnaire: the normalising of what public files do that the R4 model refuses,
and `_Reader`, which walks the validated items once and turns each into a schema entry (with
its answer scores, wherever the source put them) or notes why it was left out."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alliance.measures.fhir._common import (
    DATA_ABSENT,
    LOINC,
    MAX_VALUE,
    MIN_VALUE,
    SCORE_EXTENSIONS,
    _dicts,
    _whole,
    gettext_noop,
)
from alliance.measures.fhir.report import ReportLine
from alliance.measures.instrument import Instrument
from alliance.measures.schema import InstrumentError

# R4 Expression.name is an `id`; LHC-Forms writes names such as `q1_value`.
_EXPRESSION_NAME = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def _safe_name(name: str, used: set[str]) -> str:
    """`q1_value` -> `q1Value`: a FHIR id that is also a plain FHIRPath identifier."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
    base = (parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])) if parts else "var"
    if not base[0].isalpha():
        base = "v" + base
    base = base[:60]
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}{n}", n + 1
    return candidate


def _rename_variables(data: dict[str, Any]) -> list[tuple[str, str]]:
    expressions = [
        d["valueExpression"] for d in _dicts(data) if isinstance(d.get("valueExpression"), dict)
    ]
    names = [e.get("name") for e in expressions]
    used = {n for n in names if isinstance(n, str) and _EXPRESSION_NAME.match(n)}
    renames: dict[str, str] = {}
    for expression in expressions:
        name = expression.get("name")
        if not isinstance(name, str) or _EXPRESSION_NAME.match(name):
            continue
        if name not in renames:
            renames[name] = _safe_name(name, used)
            used.add(renames[name])
        expression["name"] = renames[name]
    for old, new in renames.items():
        quoted = re.escape(old)
        pattern = re.compile(rf"%(?:`{quoted}`|'{quoted}'|{quoted}(?![A-Za-z0-9_]))")
        for expression in expressions:
            if isinstance(expression.get("expression"), str):
                expression["expression"] = pattern.sub(f"%{new}", expression["expression"])
    return list(renames.items())


def _drop_empty_narratives(data: dict[str, Any]) -> list[str]:
    dropped = []
    resources = [("Questionnaire", data)] + [
        (f"contained {r.get('resourceType', 'resource')} {r.get('id', '')}".strip(), r)
        for r in data.get("contained", []) or []
        if isinstance(r, dict)
    ]
    for where, resource in resources:
        text = resource.get("text")
        if isinstance(text, dict) and "div" not in text:
            del resource["text"]
            dropped.append(where)
    return dropped


def _normalised(questionnaire: Mapping[str, Any]) -> tuple[dict[str, Any], list[ReportLine]]:
    """A copy the R4B model accepts, and what was changed to get it."""
    data = copy.deepcopy(dict(questionnaire))
    notes: list[ReportLine] = []
    renamed = _rename_variables(data)
    if renamed:
        notes.append(
            ReportLine(
                gettext_noop(
                    "FHIRPath variable names the R4 model refuses were renamed (%(names)s); "
                    "the expressions that use them were rewritten to match."
                ),
                {"names": ", ".join(f"{old} → {new}" for old, new in renamed)},
            )
        )
    dropped = _drop_empty_narratives(data)
    if dropped:
        notes.append(
            ReportLine(
                gettext_noop(
                    "A narrative without its required XHTML div was left out (%(where)s); "
                    "Alliance never shows it."
                ),
                {"where": ", ".join(dropped)},
            )
        )
    return data, notes


def _extension_value(element: Mapping[str, Any], urls: tuple[str, ...]) -> tuple[float, str] | None:
    for extension in element.get("extension", []):
        if extension.get("url") in urls:
            for key in ("valueDecimal", "valueInteger"):
                if key in extension:
                    return float(extension[key]), str(extension["url"]).rsplit("/", 1)[-1]
    return None


def _is_calculated(item: Mapping[str, Any]) -> bool:
    urls = {e.get("url", "") for e in item.get("extension", [])}
    return any(url.endswith("calculatedExpression") for url in urls) or bool(item.get("readOnly"))


def _loinc_code(element: Mapping[str, Any]) -> str | None:
    for coding in element.get("code", []):
        if coding.get("system") == LOINC and coding.get("code"):
            return str(coding["code"])
    return None


def _item_code(element: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The item's code and its system: the LOINC coding first, else the first one."""
    codings = [c for c in element.get("code", []) if c.get("code")]
    for coding in codings:
        if coding.get("system") == LOINC:
            return str(coding["code"]), LOINC
    if codings:
        system = codings[0].get("system")
        return str(codings[0]["code"]), (str(system) if system else None)
    return None, None


@dataclass
class _RawOption:
    code: str | None
    system: str | None
    text: str
    score: float | None
    score_source: str | None


def _is_reference_to(resource: Mapping[str, Any], reference: str) -> bool:
    """`#id`, or the canonical `url` (optionally `|version`) of a contained ValueSet: some
    public forms (the Argonaut PHQ-9 as LHC-Forms tests it) name a contained ValueSet by its
    canonical instead of its id."""
    if reference.startswith("#"):
        return bool(resource.get("id") == reference[1:])
    url, _, version = reference.partition("|")
    return bool(resource.get("url") == url and (not version or resource.get("version") == version))


def _contained_concepts(questionnaire: Mapping[str, Any], reference: str) -> list[_RawOption]:
    for resource in questionnaire.get("contained", []):
        if resource.get("resourceType") == "ValueSet" and _is_reference_to(resource, reference):
            out: list[_RawOption] = []
            seen: set[tuple[str | None, str | None]] = set()
            concepts = [
                (concept, include.get("system"))
                for include in resource.get("compose", {}).get("include", [])
                for concept in include.get("concept", [])
            ] + [
                (concept, concept.get("system"))
                for concept in resource.get("expansion", {}).get("contains", [])
            ]
            for concept, system in concepts:
                key = (system, concept.get("code"))
                if key in seen:  # the same concept in the compose and in the expansion
                    continue
                seen.add(key)
                score = _extension_value(concept, SCORE_EXTENSIONS)
                out.append(
                    _RawOption(
                        code=concept.get("code"),
                        system=system,
                        text=str(concept.get("display") or concept.get("code")),
                        score=score[0] if score else None,
                        score_source=score[1] if score else None,
                    )
                )
            return out
    if not reference.startswith("#"):
        raise InstrumentError(
            f"answerValueSet {reference}",
            "only contained ValueSets (#id, or the canonical of one) can be scored",
        )
    raise InstrumentError(f"answerValueSet {reference}", "no contained ValueSet with that id")


def _answer_options(item: Mapping[str, Any]) -> list[_RawOption]:
    out = []
    for option in item["answerOption"]:
        coding = option.get("valueCoding")
        # The score sits on the answerOption (ordinalValue, itemWeight) or on its Coding
        # (ordinalValue's other context, and the older iso21090-CO-value).
        score = _extension_value(option, SCORE_EXTENSIONS)
        if coding is not None:
            score = score or _extension_value(coding, SCORE_EXTENSIONS)
            code, system = coding.get("code"), coding.get("system")
            text = coding.get("display") or code
        else:
            value = next(v for k, v in option.items() if k.startswith("value"))
            code, system, text = None, None, value
        out.append(
            _RawOption(
                code=code,
                system=system,
                text=str(text),
                score=score[0] if score else None,
                score_source=score[1] if score else None,
            )
        )
    return out


class _Reader:
    """Walks a validated Questionnaire's items once, collecting items, groups and notes."""

    def __init__(self, questionnaire: Mapping[str, Any], base: Instrument | None) -> None:
        self.questionnaire = questionnaire
        self.base = base
        self.items: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        self.totals: list[str] = []
        self.calculated: list[str] = []
        self.left_out: list[str] = []
        self.unscored: list[str] = []
        self.declined: dict[str, list[str]] = {}  # option text -> items offering it
        self.borrowed: list[str] = []
        self.score_sources: set[str] = set()
        self.source_required: dict[str, bool] = {}  # linkId -> `required` where the source says

    def read(self, items: list[Mapping[str, Any]], group: str | None = None) -> None:
        for item in items:
            kind = item.get("type")
            link_id = str(item["linkId"])
            if kind == "group":
                self.groups.append(
                    {
                        "id": link_id,
                        "text": {"en": item.get("text") or link_id},
                        **({"parent": group} if group else {}),
                    }
                )
                self.read(item.get("item", []), link_id)
                continue
            if kind == "display":
                continue
            if _is_calculated(item):
                self.calculated.append(link_id)
                code = _loinc_code(item)
                if code:
                    self.totals.append(code)
                continue
            entry = self._entry(item, kind, group)
            if entry is None:
                self.left_out.append(link_id)
                continue
            if "required" in item:
                self.source_required[link_id] = bool(item["required"])
            self.items.append(entry)

    def _entry(
        self, item: Mapping[str, Any], kind: Any, group: str | None
    ) -> dict[str, Any] | None:
        link_id = str(item["linkId"])
        entry: dict[str, Any] = {"id": link_id, "text": {"en": item.get("text") or link_id}}
        code, system = _item_code(item)
        if code:
            entry["code"] = code
            if system:
                entry["code_system"] = system
        if group:
            entry["group"] = group
        required = bool(item.get("required", False))
        if kind in ("choice", "open-choice", "coding"):
            options, scored = self._options(item, entry)
            if len(options) < 2:
                return None
            if not scored:
                self.unscored.append(link_id)
            entry.update(options=options, scored=scored, required=required and scored)
        elif kind in ("integer", "decimal"):
            low = _extension_value(item, (MIN_VALUE,))
            high = _extension_value(item, (MAX_VALUE,))
            if low is None or high is None:
                return None  # an unbounded number cannot be range-checked, so it is not scored
            entry.update(kind="numeric", min=low[0], max=high[0], required=required)
        elif kind in ("string", "text"):
            entry.update(kind="text", scored=False, required=False)
        else:
            return None
        return entry

    def _options(
        self, item: Mapping[str, Any], entry: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], bool]:
        """Options as schema dicts, and whether every option carries a score."""
        if "answerOption" in item:
            raw = _answer_options(item)
        elif "answerValueSet" in item:
            raw = _contained_concepts(self.questionnaire, item["answerValueSet"])
        else:
            raw = []
        for option in [o for o in raw if o.system == DATA_ABSENT]:
            self.declined.setdefault(option.text, []).append(str(item["linkId"]))
        raw = [o for o in raw if o.system != DATA_ABSENT]
        scored = bool(raw) and all(o.score is not None for o in raw)
        if scored:
            self.score_sources.update(o.score_source for o in raw if o.score_source)
        elif raw and all(o.score is None for o in raw):
            borrowed = self._borrowed_scores(raw, entry.get("code"))
            if borrowed is not None:
                for option, value in zip(raw, borrowed, strict=True):
                    option.score = value
                scored = True
                self.borrowed.append(str(item["linkId"]))
        options = []
        for index, option in enumerate(raw):
            value = option.score if scored and option.score is not None else index
            options.append(
                {
                    "value": _whole(value),
                    "text": {"en": option.text},
                    **({"code": option.code} if option.code else {}),
                    **({"system": option.system} if option.code and option.system else {}),
                }
            )
        return options, scored

    def _borrowed_scores(self, raw: list[_RawOption], item_code: str | None) -> list[float] | None:
        """The base's values for these answer codes (a LOINC-coded form without scores, such
        as the HL7 PHR format's GAD-7): the base item with the same code, else any base item,
        when every option's code has one value there."""
        if self.base is None or not all(o.code for o in raw):
            return None
        same = [i for i in self.base.scored_items if item_code and i.code == item_code]
        for candidates in (same, list(self.base.scored_items)):
            values: dict[str, set[float]] = {}
            for base_item in candidates:
                for option in base_item.options:
                    if option.code:
                        values.setdefault(option.code, set()).add(float(option.value))
            found = [values.get(str(o.code), set()) for o in raw]
            if found and all(len(v) == 1 for v in found):
                return [next(iter(v)) for v in found]
        return None

    def prune_groups(self) -> list[dict[str, Any]]:
        """Groups that hold a kept item (directly or through a nested group)."""
        parent = {g["id"]: g.get("parent") for g in self.groups}
        keep: set[str] = set()
        for item in self.items:
            group = item.get("group")
            while group is not None and group not in keep:
                keep.add(group)
                group = parent[group]
        return [g for g in self.groups if g["id"] in keep]


def _scored(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries that carry a score: scored choices and bounded numbers, never free text."""
    return [item for item in items if item.get("scored", True) and item.get("kind") != "text"]
