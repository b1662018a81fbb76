"""HL7 FHIR (R4B, which reads the public R4 forms) import and export for instruments.

Import (`read_questionnaire`): a FHIR `Questionnaire` becomes an instrument definition plus an
import report that says what was read and how. Answer scores come from the `ordinalValue`
extension (R4), `itemWeight` (R5) or the older `iso21090-CO-value`, on each answerOption, on
its Coding, or on the concepts of a contained ValueSet named by `answerValueSet`. Groups are
kept (responses are exported in the same nesting). Display items, calculated items (SDC
`calculatedExpression`, e.g. a total) and read-only items are never answers; choice items
without scores are kept but unscored. Two things public files do that the R4 model refuses
are normalised first, and reported: FHIRPath variable names that are not FHIR ids (LHC-Forms
writes `q1_value`) and narratives without their XHTML `div` (Argonaut examples).

A safety (critical) item is never lost: each critical item of the base instrument is found by
its LOINC code, else by its position and wording, else by the admin's mapping; otherwise the
import is refused with `CriticalItemNotFound`, naming the item to map.

Export: an instrument as a `Questionnaire`, a scored response as a `QuestionnaireResponse`
citing the source's canonical URL, each total (and subscale) as an `Observation` whose
`derivedFrom` points at the response, and a `collection` Bundle of them with a `fullUrl` per
entry. Every resource is validated by building the `fhir.resources.R4B` model before it is
returned.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from alliance.measures.schema import (
    Group,
    Instrument,
    InstrumentError,
    Item,
    instrument_from_dict,
)
from alliance.measures.scoring import Answer, ScoreResult, ScoringError

LOINC = "http://loinc.org"
ALLIANCE_SYSTEM = "urn:alliance:measures"  # codes for items and scores without a LOINC code
# Our own canonical for shipped instruments and for imports whose source has no `url`. It is
# the same in every deployment (a shipped instrument is the same definition everywhere) and,
# being a URN, does not pretend to be an address a FHIR server answers at.
CANONICAL_PREFIX = "urn:alliance:questionnaire:"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
# Older LHC-Forms exports carry the score in this ISO 21090 extension, on the Coding.
CO_VALUE = "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value"
SCORE_EXTENSIONS = (ORDINAL_VALUE, ITEM_WEIGHT, CO_VALUE)
CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
# An answer option in this system ("asked but declined", "unknown") is no answer at all.
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
PHQ9_ITEM9_LOINC = "44260-8"
PHQ9_ITEM9_DESCRIPTION = (
    "PHQ-9 item 9 (LOINC 44260-8): thoughts of being better off dead or of self-harm. Any "
    "answer above 'Not at all' starts a structured risk assessment; it is not a verdict "
    "(Simon et al. 2013, Psychiatric Services)."
)
# R4 Expression.name is an `id`; LHC-Forms writes names such as `q1_value`.
_EXPRESSION_NAME = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def gettext_noop(text: str) -> str:
    """Marks a report sentence for the translation catalogue (`makemessages` finds it by this
    name) without importing Django: the admin page translates it when it shows it."""
    return text


# --- the import report ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReportLine:
    """One sentence of the import report: an English template with %(name)s placeholders
    (translated where it is shown) and its values."""

    template: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.template % dict(self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"template": self.template, "params": dict(self.params)}


How = Literal["loinc", "wording", "admin"]


@dataclass(frozen=True)
class CriticalFinding:
    """How a critical (safety) item of the base was found in the imported form."""

    item: str  # the base instrument's item id (phq9_9)
    label: str  # "PHQ-9 item 9"
    link_id: str  # the imported item that carries it
    how: How
    required: bool  # False when the source marks the item optional
    code: str | None = None  # the LOINC code it was recognised by


@dataclass(frozen=True)
class MissingCritical:
    """A critical item of the base that the imported form does not show recognisably."""

    item: str
    label: str
    text: str  # the base item's English wording
    code: str | None
    position: int | None  # among the base's scored items, 1-based


class CriticalItemNotFound(InstrumentError):
    """The base has a critical item the Questionnaire does not show recognisably: the admin
    must say which imported item it is (`critical_map`)."""

    def __init__(
        self, missing: Sequence[MissingCritical], candidates: Sequence[tuple[str, str]]
    ) -> None:
        names = "; ".join(f"{m.label} ({m.text})" for m in missing)
        super().__init__(
            "Questionnaire.item",
            f"the safety item {names} was found neither by its LOINC code nor by its wording "
            "and position: say which imported item it is",
        )
        self.missing = tuple(missing)
        self.candidates = tuple(candidates)  # (linkId, text) of the imported scored items


@dataclass(frozen=True)
class ImportResult:
    definition: dict[str, Any]
    critical: tuple[CriticalFinding, ...]
    notes: tuple[ReportLine, ...]

    @property
    def report(self) -> tuple[ReportLine, ...]:
        """What the admin page shows after an import: each critical item first."""
        return (*(line for c in self.critical for line in _critical_lines(c)), *self.notes)


def _critical_lines(found: CriticalFinding) -> list[ReportLine]:
    params = {"label": found.label, "item": found.link_id}
    if found.how == "loinc":
        how = ReportLine(
            gettext_noop("%(label)s is %(item)s, recognised by its LOINC code %(code)s."),
            {**params, "code": found.code or ""},
        )
    elif found.how == "wording":
        how = ReportLine(
            gettext_noop("%(label)s is %(item)s, recognised by its wording and position."),
            params,
        )
    else:
        how = ReportLine(gettext_noop("%(label)s is %(item)s, mapped by the admin."), params)
    if found.required:
        need = ReportLine(
            gettext_noop(
                "%(item)s (the safety item %(label)s) is a required answer: the source does not "
                "mark it optional."
            ),
            params,
        )
    else:
        need = ReportLine(
            gettext_noop(
                "%(item)s (the safety item %(label)s) is optional in this form: a blank will "
                "raise a 'safety question unanswered' alert."
            ),
            params,
        )
    return [how, need]


# --- reading a Questionnaire -------------------------------------------------------------


def _validated(model: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    instance = model.model_validate(dict(data))
    result: dict[str, Any] = instance.model_dump(mode="json", exclude_none=True)
    return result


def _dicts(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside `node`, in document order (iteratively: no recursion limit)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(reversed(list(current.values())))
        elif isinstance(current, list):
            stack.extend(reversed(current))


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


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


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


# --- the safety (critical) items -----------------------------------------------------------

# PHQ-9 item 9 as Kroenke, Spitzer & Williams (2001, J Gen Intern Med 16:606) word it:
# "Thoughts that you would be better off dead or of hurting yourself in some way". Public forms
# reword it slightly ("..., or thoughts of hurting yourself in some way?", "Thoughts of
# self-harm"), so the matcher looks for either of its two ideas, not the exact sentence; it is
# only trusted at item 9's own position (or with the LOINC code 44260-8).
PHQ9_ITEM9_PHRASES = (
    "better off dead",
    "hurting yourself",
    "hurt yourself",
    "harming yourself",
    "self-harm",
    "self harm",
)
# Known wordings of critical items, by the item's LOINC code.
CRITICAL_WORDING = {PHQ9_ITEM9_LOINC: PHQ9_ITEM9_PHRASES}
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "at",
        "be",
        "by",
        "for",
        "from",
        "have",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "to",
        "you",
        "your",
    ]
)


def _plain(text: str) -> str:
    text = text.lower().replace("\u2014", " ").replace("\u2013", " ").replace("\u2019", "'")
    return " ".join(re.sub(r"[^a-z0-9'\- ]+", " ", text).split())


def mentions_phq9_item9(text: str) -> bool:
    """Whether an item's text asks PHQ-9 item 9's question (see PHQ9_ITEM9_PHRASES)."""
    plain = _plain(text)
    return any(phrase in plain for phrase in PHQ9_ITEM9_PHRASES)


def same_wording(base_item: Item, text: str) -> bool:
    """Whether `text` asks what the base item asks: its known phrases (CRITICAL_WORDING) when
    it has them, else at least half of the content words of both texts in common."""
    phrases = CRITICAL_WORDING.get(base_item.code or "")
    if phrases:
        plain = _plain(text)
        return any(phrase in plain for phrase in phrases)

    def words(value: str) -> set[str]:
        return {w for w in _plain(value).replace("-", " ").split() if w not in _STOP_WORDS}

    ours, theirs = words(base_item.text["en"]), words(text)
    return bool(ours and theirs) and len(ours & theirs) / len(ours | theirs) >= 0.5


def _find_critical(
    items: list[dict[str, Any]],
    base: Instrument | None,
    critical_map: Mapping[str, str],
    source_required: Mapping[str, bool],
) -> tuple[list[dict[str, Any]], list[CriticalFinding]]:
    """The critical items of the imported form, and how each was found."""
    scored = [i for i in items if i.get("scored", True) and i.get("kind") != "text"]
    by_id = {i["id"]: i for i in items}
    by_code = {
        i["code"]: i["id"]
        for i in items
        if i.get("code") and i.get("code_system") in (None, LOINC) and i.get("kind") != "text"
    }
    wanted: list[tuple[str, str, str, float, str, Item | None, int | None]] = []
    if base is not None:
        unknown = sorted(set(critical_map) - {c.item for c in base.critical_items})
        if unknown:
            raise InstrumentError(
                f"critical_map.{unknown[0]}", f"is not a critical item of {base.short_name}"
            )
        base_scored = [i.id for i in base.scored_items]
        for c in base.critical_items:
            position = base_scored.index(c.item) + 1 if c.item in base_scored else None
            label = f"{base.short_name} item {position}" if position else c.item
            wanted.append(
                (c.item, label, c.flag, c.min_value, c.description, base.item(c.item), position)
            )
    found: list[tuple[str, str, str, float, str, str, How, str | None]] = []
    missing: list[MissingCritical] = []
    for key, label, flag, min_value, description, base_item, position in wanted:
        code = base_item.code if base_item else None
        if key in critical_map:
            link_id = critical_map[key]
            target = by_id.get(link_id)
            if target is None or target.get("kind") == "text" or target not in scored:
                raise InstrumentError(
                    f"critical_map.{key}", f"{link_id!r} is not a scored item of the Questionnaire"
                )
            highest = (
                max(o["value"] for o in target["options"]) if "options" in target else target["max"]
            )
            if highest < min_value:
                raise InstrumentError(
                    f"critical_map.{key}",
                    f"{link_id!r} has no answer of {min_value:g} or more, so it could never "
                    "raise the safety flag",
                )
            found.append((key, label, flag, min_value, description, link_id, "admin", None))
        elif code and code in by_code:
            found.append((key, label, flag, min_value, description, by_code[code], "loinc", code))
        elif (
            base_item is not None
            and position is not None
            and len(scored) >= position
            and same_wording(base_item, scored[position - 1]["text"]["en"])
        ):
            link_id = scored[position - 1]["id"]
            found.append((key, label, flag, min_value, description, link_id, "wording", None))
        else:
            missing.append(
                MissingCritical(
                    item=key,
                    label=label,
                    text=base_item.text["en"] if base_item else key,
                    code=code,
                    position=position,
                )
            )
    if missing:
        raise CriticalItemNotFound(missing, [(i["id"], i["text"]["en"]) for i in scored])
    if base is None:
        # Without a base, PHQ-9 item 9 is still recognised: by its LOINC code, or as the 9th
        # of nine 0-3 items worded like it, so a safety item is never lost on import.
        label, flag = "PHQ-9 item 9", "phq9_item9"
        nine_0_3 = len(scored) == 9 and all(
            sorted(o["value"] for o in i.get("options", [])) == [0, 1, 2, 3] for i in scored
        )
        if PHQ9_ITEM9_LOINC in by_code:
            link_id = by_code[PHQ9_ITEM9_LOINC]
            found.append(
                ("phq9_9", label, flag, 1, PHQ9_ITEM9_DESCRIPTION, link_id, "loinc", "44260-8")
            )
        elif nine_0_3 and mentions_phq9_item9(scored[8]["text"]["en"]):
            link_id = scored[8]["id"]
            found.append(
                ("phq9_9", label, flag, 1, PHQ9_ITEM9_DESCRIPTION, link_id, "wording", None)
            )
    critical: list[dict[str, Any]] = []
    findings: list[CriticalFinding] = []
    for key, label, flag, min_value, description, link_id, how, code in found:
        # A safety item is a required answer in every form that carries it, unless the source
        # explicitly marks it optional (`"required": false`): that is the practice's choice,
        # and a blank then raises its own 'safety question unanswered' alert.
        required = source_required.get(link_id, True)
        by_id[link_id]["required"] = required
        critical.append(
            {"item": link_id, "flag": flag, "min_value": min_value, "description": description}
        )
        findings.append(CriticalFinding(key, label, link_id, how, required, code))
    return critical, findings


# --- import --------------------------------------------------------------------------------


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
    items = reader.items
    scored = [item for item in items if item.get("scored", True) and item.get("kind") != "text"]
    if not scored:
        raise InstrumentError(
            "Questionnaire.item",
            "has no item with scored answers (a LOINC-coded form without scores imports with "
            "a base instrument, which lends its answer scores)",
        )
    critical, findings = _find_critical(items, base, critical_map or {}, reader.source_required)
    notes.extend(_reader_notes(reader, base))

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
        "loinc": {"panel": panel, "total": reader.totals[0] if reader.totals else None},
        "critical_items": critical,
    }
    groups = reader.prune_groups()
    if groups:
        result["groups"] = groups
    if data.get("url"):
        result["source_questionnaire"] = {
            "url": data["url"],
            **({"version": data["version"]} if data.get("version") else {}),
        }
        notes.append(
            ReportLine(
                gettext_noop("Exported responses cite the source's canonical %(canonical)s."),
                {"canonical": _canonical_of(data["url"], data.get("version"))},
            )
        )
    else:
        notes.append(
            ReportLine(
                gettext_noop(
                    "The source has no canonical url: exported responses cite %(canonical)s."
                ),
                {"canonical": f"{CANONICAL_PREFIX}{result['id']}|{result.get('version', '1')}"},
            )
        )
    if base is not None:
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
        result["loinc"] = {
            "panel": panel or base.loinc_panel,
            "total": (reader.totals[0] if reader.totals else None) or base.loinc_total,
        }
    outcome = ImportResult(definition=result, critical=tuple(findings), notes=tuple(notes))
    result["extra"] = {"fhir_import": [line.as_dict() for line in outcome.report]}
    instrument_from_dict(result)  # validate now: a bad import fails here, not later
    return outcome


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


# --- export --------------------------------------------------------------------------------


def _canonical_of(url: str, version: str | None) -> str:
    return f"{url}|{version}" if version else url


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


def questionnaire_from_instrument(instrument: Instrument, *, lang: str = "en") -> dict[str, Any]:
    """Export an instrument as a FHIR R4B Questionnaire (JSON dict), its items in the source's
    groups; an imported instrument names its source in `derivedFrom`."""

    def text(values: Mapping[str, str]) -> str:
        return values.get(lang) or values["en"]

    items: list[tuple[str | None, dict[str, Any]]] = []
    for item in instrument.items:
        entry: dict[str, Any] = {
            "linkId": item.id,
            "text": text(item.text),
            "required": item.required,
        }
        if item.code:
            entry["code"] = [_coding(item.code, text(item.text), item.code_system)]
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
        items.append((item.group, entry))
    nested = _nested(
        instrument,
        items,
        lambda g: {"linkId": g.id, "text": text(g.text), "type": "group"},
    )
    aggregate = "avg" if instrument.total_method == "mean" else "sum"
    scored_ids = " | ".join(f"'{item.id}'" for item in instrument.scored_items)
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
                    "expression": f"%resource.repeat(item).where(linkId in ({scored_ids}))"
                    f".answer.value.weight().{aggregate}()",
                },
            }
        ],
    }
    if instrument.loinc_total:
        total["code"] = [_coding(instrument.loinc_total, total["text"])]
    nested.append(total)
    data: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": instrument.id.replace("_", "-"),
        "url": own_canonical(instrument),
        "name": instrument.id,
        "title": text(instrument.title),
        "version": instrument.version,
        "status": "active" if instrument.validated else "draft",
        "copyright": instrument.licence,
        "item": nested,
    }
    if instrument.source_questionnaire is not None:
        data["derivedFrom"] = [instrument.source_questionnaire.canonical]
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

    def build(
        code: str | None,
        name: str,
        value: float,
        suffix: str,
        whole: bool,
        members: Sequence[str],
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
        missing = [m for m in members if m in result.missing]
        if missing:
            answered = len(members) - len(missing)
            data["method"] = {"coding": [PRORATED], "text": "Prorated from the answered items"}
            data["note"] = [
                {
                    "text": f"Prorated: {answered} of {len(members)} scored items answered "
                    f"(missing: {', '.join(missing)}); the score is scaled from the answered "
                    "items by the instrument's missing-item rule."
                }
            ]
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
            [i.id for i in instrument.scored_items],
        )
    ]
    for sub in instrument.subscales:
        name = f"{title} {sub.name['en']} subscale score"
        out.append(
            build(None, name, result.subscales[sub.id], sub.id, sub.method == "sum", sub.items)
        )
    return out


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
