"""The frozen `Instrument` and its parts: what a validated instrument definition becomes.

Scoring, change statistics, trajectories and FHIR conversion read these; `schema.py` says
what a definition may contain and builds them (`instrument_from_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ItemKind = Literal["choice", "numeric", "text"]
Method = Literal["sum", "mean"]


@dataclass(frozen=True)
class Option:
    """One response option: the stored value and its label per language."""

    value: int | float
    text: Mapping[str, str]
    code: str | None = None  # e.g. the LOINC answer code LA6568-5
    # The code's system when it is not what the code says by itself (an imported form's own
    # CodeSystem, or LOINC written out): kept so an exported answer is the source's coding.
    system: str | None = None


@dataclass(frozen=True)
class Item:
    id: str
    text: Mapping[str, str]
    kind: ItemKind
    options: tuple[Option, ...] = ()
    min_value: float | None = None  # numeric items (e.g. a 0-10 visual-analogue line)
    max_value: float | None = None
    step: float | None = None
    reverse: bool = False
    scored: bool = True
    required: bool = True
    code: str | None = None  # LOINC item code
    code_system: str | None = None  # the item code's system, when imported from another one
    group: str | None = None  # the innermost group (Instrument.groups) the item sits in

    @property
    def values(self) -> tuple[int | float, ...]:
        return tuple(option.value for option in self.options)

    @property
    def low(self) -> float:
        """Lowest raw value the item accepts."""
        if self.kind == "choice":
            return min(self.values)
        assert self.min_value is not None
        return self.min_value

    @property
    def high(self) -> float:
        if self.kind == "choice":
            return max(self.values)
        assert self.max_value is not None
        return self.max_value


@dataclass(frozen=True)
class Group:
    """A group of items as the source form nests them (a FHIR Questionnaire `group` item),
    kept so responses are exported in the same nesting."""

    id: str
    text: Mapping[str, str]
    parent: str | None = None


@dataclass(frozen=True)
class SourceQuestionnaire:
    """The canonical URL (and version) of the FHIR Questionnaire an instrument was imported
    from: exported responses cite it as `QuestionnaireResponse.questionnaire`."""

    url: str
    version: str | None = None

    @property
    def canonical(self) -> str:
        return f"{self.url}|{self.version}" if self.version else self.url


@dataclass(frozen=True)
class Subscale:
    id: str
    name: Mapping[str, str]
    items: tuple[str, ...]
    method: Method
    min: float
    max: float
    max_missing: int


@dataclass(frozen=True)
class Band:
    """A severity band: `min <= score <= max`."""

    code: str
    label: Mapping[str, str]
    min: float
    max: float


@dataclass(frozen=True)
class CriticalItem:
    """An item whose answer raises a flag by itself, whatever the total (PHQ-9 item 9)."""

    item: str
    flag: str
    min_value: float
    description: str


@dataclass(frozen=True)
class ClinicalCutoff:
    """Caseness: `score >= score` when lower is better, `score <= score` otherwise."""

    score: float
    source: str


@dataclass(frozen=True)
class ReliableChangeSpec:
    """Reference SD and reliability for the Jacobson & Truax reliable change index."""

    sd: float
    reliability: float
    source: str


@dataclass(frozen=True)
class PercentileCut:
    code: str
    label: Mapping[str, str]
    below_percentile: float | None  # None for the top band
    prior_score: float | None


@dataclass(frozen=True)
class PercentileBandSpec:
    """Bands from the practice's own distribution, for instruments without published norms."""

    min_clients: int
    bands: tuple[PercentileCut, ...]
    prior_source: str


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    title: Mapping[str, str]
    short_name: str
    kind: str  # "outcome" or "alliance"
    validated: bool
    own_measure: bool
    languages: Mapping[str, str]  # language -> source of that text
    instructions: Mapping[str, str]
    items: tuple[Item, ...]
    total_method: Method
    total_min: float
    total_max: float
    max_missing: int
    subscales: tuple[Subscale, ...]
    bands: tuple[Band, ...]
    lower_is_better: bool
    licence: str
    credit: str
    sources: tuple[str, ...]
    form: str = "client"
    mirror_of: str | None = None
    cutoff: ClinicalCutoff | None = None
    # A second, published cut with another purpose, shown beside caseness: the GAD-7's
    # caseness is the NHS Talking Therapies rule (>= 8) while Spitzer et al. 2006 screen at
    # >= 10. Each label names the rule it uses.
    screening_cutoff: ClinicalCutoff | None = None
    critical_items: tuple[CriticalItem, ...] = ()
    reliable_change: ReliableChangeSpec | None = None
    percentile_bands: PercentileBandSpec | None = None
    loinc_panel: str | None = None
    loinc_total: str | None = None
    groups: tuple[Group, ...] = ()
    source_questionnaire: SourceQuestionnaire | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def group_path(self, group_id: str | None) -> tuple[Group, ...]:
        """The groups around an item, outermost first."""
        by_id = {group.id: group for group in self.groups}
        path: list[Group] = []
        while group_id is not None:
            group = by_id[group_id]
            path.insert(0, group)
            group_id = group.parent
        return tuple(path)

    def band_for(self, score: float) -> Band | None:
        for band in self.bands:
            if band.min <= score <= band.max:
                return band
        return None

    def is_case(self, score: float) -> bool | None:
        return self._beyond(self.cutoff, score)

    def is_screen_positive(self, score: float) -> bool | None:
        return self._beyond(self.screening_cutoff, score)

    def _beyond(self, cut: ClinicalCutoff | None, score: float) -> bool | None:
        if cut is None:
            return None
        if self.lower_is_better:
            return score >= cut.score
        return score <= cut.score
