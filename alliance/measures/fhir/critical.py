"""The safety (critical) items: how each critical item of the base instrument is found in an
imported form (by its LOINC code, else by its position and wording, else by the admin's
mapping), and PHQ-9 item 9 recognised without a base, so a safety item is never lost."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alliance.measures.fhir._common import LOINC
from alliance.measures.fhir.reading import _scored
from alliance.measures.fhir.report import (
    CriticalFinding,
    CriticalItemNotFound,
    How,
    MissingCritical,
)
from alliance.measures.instrument import Instrument, Item
from alliance.measures.schema import InstrumentError

PHQ9_ITEM9_LOINC = "44260-8"
PHQ9_ITEM9_DESCRIPTION = (
    "PHQ-9 item 9 (LOINC 44260-8): thoughts of being better off dead or of self-harm. Any "
    "answer above 'Not at all' starts a structured risk assessment; it is not a verdict "
    "(Simon et al. 2013, Psychiatric Services)."
)

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


@dataclass(frozen=True)
class _Wanted:
    """A critical item to find in the imported form."""

    key: str  # the base instrument's item id (phq9_9)
    label: str  # "PHQ-9 item 9"
    flag: str
    min_value: float
    description: str
    base_item: Item | None
    position: int | None  # among the base's scored items, 1-based

    @property
    def code(self) -> str | None:
        return self.base_item.code if self.base_item else None

    def missing(self) -> MissingCritical:
        return MissingCritical(
            item=self.key,
            label=self.label,
            text=self.base_item.text["en"] if self.base_item else self.key,
            code=self.code,
            position=self.position,
        )


@dataclass(frozen=True)
class _Found:
    """A critical item and the imported item that carries it."""

    wanted: _Wanted
    link_id: str
    how: How
    code: str | None = None  # the LOINC code it was recognised by


@dataclass(frozen=True)
class _Imported:
    """The imported entries, looked up the ways a critical item is found."""

    scored: list[dict[str, Any]]
    by_id: dict[str, dict[str, Any]]
    by_code: dict[str, str]  # LOINC (or system-less) item code -> linkId

    @classmethod
    def of(cls, items: list[dict[str, Any]]) -> _Imported:
        by_code = {
            i["code"]: i["id"]
            for i in items
            if i.get("code") and i.get("code_system") in (None, LOINC) and i.get("kind") != "text"
        }
        return cls(_scored(items), {i["id"]: i for i in items}, by_code)


# Without a base, PHQ-9 item 9 is still looked for, with the shipped PHQ-9's flag and rule.
_PHQ9_ITEM9 = _Wanted(
    key="phq9_9",
    label="PHQ-9 item 9",
    flag="phq9_item9",
    min_value=1,
    description=PHQ9_ITEM9_DESCRIPTION,
    base_item=None,
    position=None,
)


def _find_critical(
    items: list[dict[str, Any]],
    base: Instrument | None,
    critical_map: Mapping[str, str],
    source_required: Mapping[str, bool],
) -> tuple[list[dict[str, Any]], list[CriticalFinding]]:
    """The critical items of the imported form, and how each was found."""
    imported = _Imported.of(items)
    found: list[_Found] = []
    missing: list[MissingCritical] = []
    for wanted in _wanted(base, critical_map):
        hit = _locate(wanted, imported, critical_map)
        if hit is None:
            missing.append(wanted.missing())
        else:
            found.append(hit)
    if missing:
        raise CriticalItemNotFound(missing, [(i["id"], i["text"]["en"]) for i in imported.scored])
    if base is None:
        hit = _phq9_item9_without_base(imported)
        if hit is not None:
            found.append(hit)
    return _marked(found, imported, source_required)


def _wanted(base: Instrument | None, critical_map: Mapping[str, str]) -> list[_Wanted]:
    """The base's critical items, each with its label and position; a `critical_map` key that
    is not one of them is refused."""
    if base is None:
        return []
    unknown = sorted(set(critical_map) - {c.item for c in base.critical_items})
    if unknown:
        raise InstrumentError(
            f"critical_map.{unknown[0]}", f"is not a critical item of {base.short_name}"
        )
    base_scored = [i.id for i in base.scored_items]
    wanted = []
    for c in base.critical_items:
        position = base_scored.index(c.item) + 1 if c.item in base_scored else None
        label = f"{base.short_name} item {position}" if position else c.item
        wanted.append(
            _Wanted(c.item, label, c.flag, c.min_value, c.description, base.item(c.item), position)
        )
    return wanted


def _locate(wanted: _Wanted, imported: _Imported, critical_map: Mapping[str, str]) -> _Found | None:
    """The imported item that carries `wanted`: the admin's mapping first, else the item with
    its LOINC code, else the item at its position when worded like it."""
    if wanted.key in critical_map:
        return _Found(wanted, _mapped(wanted, critical_map[wanted.key], imported), "admin")
    code = wanted.code
    if code and code in imported.by_code:
        return _Found(wanted, imported.by_code[code], "loinc", code)
    position, scored = wanted.position, imported.scored
    if (
        wanted.base_item is not None
        and position is not None
        and len(scored) >= position
        and same_wording(wanted.base_item, scored[position - 1]["text"]["en"])
    ):
        return _Found(wanted, scored[position - 1]["id"], "wording")
    return None


def _mapped(wanted: _Wanted, link_id: str, imported: _Imported) -> str:
    """The admin's answer, refused unless it names a scored item that can raise the flag."""
    target = imported.by_id.get(link_id)
    if target is None or target.get("kind") == "text" or target not in imported.scored:
        raise InstrumentError(
            f"critical_map.{wanted.key}", f"{link_id!r} is not a scored item of the Questionnaire"
        )
    highest = max(o["value"] for o in target["options"]) if "options" in target else target["max"]
    if highest < wanted.min_value:
        raise InstrumentError(
            f"critical_map.{wanted.key}",
            f"{link_id!r} has no answer of {wanted.min_value:g} or more, so it could never "
            "raise the safety flag",
        )
    return link_id


def _phq9_item9_without_base(imported: _Imported) -> _Found | None:
    """Without a base, PHQ-9 item 9 is still recognised: by its LOINC code, or as the 9th of
    nine 0-3 items worded like it, so a safety item is never lost on import."""
    if PHQ9_ITEM9_LOINC in imported.by_code:
        return _Found(_PHQ9_ITEM9, imported.by_code[PHQ9_ITEM9_LOINC], "loinc", PHQ9_ITEM9_LOINC)
    scored = imported.scored
    nine_0_3 = len(scored) == 9 and all(
        sorted(o["value"] for o in i.get("options", [])) == [0, 1, 2, 3] for i in scored
    )
    if nine_0_3 and mentions_phq9_item9(scored[8]["text"]["en"]):
        return _Found(_PHQ9_ITEM9, scored[8]["id"], "wording")
    return None


def _marked(
    found: list[_Found], imported: _Imported, source_required: Mapping[str, bool]
) -> tuple[list[dict[str, Any]], list[CriticalFinding]]:
    """The schema's critical items and the report's findings; each found item is marked
    required, unless the source says otherwise."""
    critical: list[dict[str, Any]] = []
    findings: list[CriticalFinding] = []
    for hit in found:
        # A safety item is a required answer in every form that carries it, unless the source
        # explicitly marks it optional (`"required": false`): that is the practice's choice,
        # and a blank then raises its own 'safety question unanswered' alert.
        required = source_required.get(hit.link_id, True)
        imported.by_id[hit.link_id]["required"] = required
        wanted = hit.wanted
        critical.append(
            {
                "item": hit.link_id,
                "flag": wanted.flag,
                "min_value": wanted.min_value,
                "description": wanted.description,
            }
        )
        findings.append(
            CriticalFinding(wanted.key, wanted.label, hit.link_id, hit.how, required, hit.code)
        )
    return critical, findings
