"""The instrument schema: what an instrument definition (a JSON data file) may say.

Instruments are data, not code, so a practice holding a licence for an instrument can add it
as a file (or by FHIR import) without a code change. `instrument_from_dict` validates a plain
dict against this schema and returns a frozen `Instrument`; every problem raises
`InstrumentError` naming the JSON path and the rule broken.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1

ItemKind = Literal["choice", "numeric", "text"]
Method = Literal["sum", "mean"]


class InstrumentError(ValueError):
    """An instrument definition breaks the schema."""

    def __init__(self, path: str, rule: str) -> None:
        super().__init__(f"{path}: {rule}")
        self.path = path
        self.rule = rule


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


# --- validation helpers --------------------------------------------------------------------


def _cutoff(data: Mapping[str, Any], key: str) -> ClinicalCutoff | None:
    raw = data.get(key)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InstrumentError(f"$.{key}", "must be an object with a score and a source")
    return ClinicalCutoff(
        score=float(_number(_require(raw, "score", f"$.{key}"), f"$.{key}.score")),
        source=_str(_require(raw, "source", f"$.{key}"), f"$.{key}.source"),
    )


def _require(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data:
        raise InstrumentError(f"{path}.{key}", "is required")
    return data[key]


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InstrumentError(path, "must be a non-empty string")
    return value


def _opt_str(value: Any, path: str) -> str | None:
    return None if value is None else _str(value, path)


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise InstrumentError(path, "must be true or false")
    return value


def _number(value: Any, path: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InstrumentError(path, "must be a finite number")
    return int(value) if isinstance(value, int) else float(value)


def _int(value: Any, path: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InstrumentError(path, f"must be an integer >= {minimum}")
    return int(value)


def _text(value: Any, path: str) -> dict[str, str]:
    """Per-language text: {"en": "..."}; English is always required."""
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, Mapping) or "en" not in value:
        raise InstrumentError(path, 'must be an object of language -> text with an "en" entry')
    return {_str(lang, path): _str(text, f"{path}.{lang}") for lang, text in value.items()}


def _list(value: Any, path: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise InstrumentError(path, "must be a list")
    return value


def _option(data: Any, path: str) -> Option:
    if not isinstance(data, Mapping):
        raise InstrumentError(path, "must be an object")
    return Option(
        value=_number(_require(data, "value", path), f"{path}.value"),
        text=_text(_require(data, "text", path), f"{path}.text"),
        code=_opt_str(data.get("code"), f"{path}.code"),
        system=_opt_str(data.get("system"), f"{path}.system"),
    )


def _options(data: Any, path: str) -> tuple[Option, ...]:
    options = tuple(_option(o, f"{path}[{i}]") for i, o in enumerate(_list(data, path)))
    if len(options) < 2:
        raise InstrumentError(path, "needs at least two response options")
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        raise InstrumentError(path, "response option values must be unique")
    return options


def _item(data: Any, path: str, response_sets: Mapping[str, tuple[Option, ...]]) -> Item:
    if not isinstance(data, Mapping):
        raise InstrumentError(path, "must be an object")
    kind = data.get("kind", "choice")
    if kind not in ("choice", "numeric", "text"):
        raise InstrumentError(f"{path}.kind", 'must be "choice", "numeric" or "text"')
    item_id = _str(_require(data, "id", path), f"{path}.id")
    options: tuple[Option, ...] = ()
    min_value = max_value = step = None
    if kind == "choice":
        if "options" in data:
            options = _options(data["options"], f"{path}.options")
        else:
            name = _str(_require(data, "response_set", path), f"{path}.response_set")
            if name not in response_sets:
                raise InstrumentError(f"{path}.response_set", f"unknown response set {name!r}")
            options = response_sets[name]
    elif kind == "numeric":
        min_value = float(_number(_require(data, "min", path), f"{path}.min"))
        max_value = float(_number(_require(data, "max", path), f"{path}.max"))
        if min_value >= max_value:
            raise InstrumentError(path, "min must be below max")
        if "step" in data:
            step = float(_number(data["step"], f"{path}.step"))
    scored = _bool(data.get("scored", kind != "text"), f"{path}.scored")
    if kind == "text" and scored:
        raise InstrumentError(f"{path}.scored", "free-text items are never scored")
    return Item(
        id=item_id,
        text=_text(_require(data, "text", path), f"{path}.text"),
        kind=kind,
        options=options,
        min_value=min_value,
        max_value=max_value,
        step=step,
        reverse=_bool(data.get("reverse", False), f"{path}.reverse"),
        scored=scored,
        required=_bool(data.get("required", scored), f"{path}.required"),
        code=_opt_str(data.get("code"), f"{path}.code"),
        code_system=_opt_str(data.get("code_system"), f"{path}.code_system"),
        group=_opt_str(data.get("group"), f"{path}.group"),
    )


def _groups(data: Mapping[str, Any], item_ids: set[str]) -> tuple[Group, ...]:
    """Groups, each declared after its parent (so nesting has no cycles), with ids distinct
    from item ids."""
    groups: list[Group] = []
    for i, raw in enumerate(_list(data.get("groups", []), "$.groups")):
        path = f"$.groups[{i}]"
        if not isinstance(raw, Mapping):
            raise InstrumentError(path, "must be an object")
        group = Group(
            id=_str(_require(raw, "id", path), f"{path}.id"),
            text=_text(_require(raw, "text", path), f"{path}.text"),
            parent=_opt_str(raw.get("parent"), f"{path}.parent"),
        )
        known = {g.id for g in groups}
        if group.id in known or group.id in item_ids:
            raise InstrumentError(f"{path}.id", f"{group.id!r} is already an item or group id")
        if group.parent is not None and group.parent not in known:
            raise InstrumentError(
                f"{path}.parent", f"{group.parent!r} is not a group declared before"
            )
        groups.append(group)
    return tuple(groups)


def _source_questionnaire(data: Mapping[str, Any]) -> SourceQuestionnaire | None:
    raw = data.get("source_questionnaire")
    if raw is None:
        return None
    path = "$.source_questionnaire"
    if not isinstance(raw, Mapping):
        raise InstrumentError(path, "must be an object with a url (and a version)")
    url = _str(_require(raw, "url", path), f"{path}.url")
    if "|" in url or any(c.isspace() for c in url):
        raise InstrumentError(f"{path}.url", "must be a canonical URL without a version or spaces")
    return SourceQuestionnaire(url=url, version=_opt_str(raw.get("version"), f"{path}.version"))


def _item_range(items: Sequence[Item], method: Method) -> tuple[float, float]:
    lows = [item.low for item in items]
    highs = [item.high for item in items]
    if method == "sum":
        return sum(lows), sum(highs)
    return min(lows), max(highs)


def _method(value: Any, path: str) -> Method:
    if value == "sum":
        return "sum"
    if value == "mean":
        return "mean"
    raise InstrumentError(path, 'must be "sum" or "mean"')


def _declared_range(data: Mapping[str, Any], path: str, expected: tuple[float, float]) -> None:
    """A declared range must match what the items allow, so the file cannot drift."""
    if "range" not in data:
        return
    declared = _list(data["range"], f"{path}.range")
    if len(declared) != 2 or [float(_number(v, f"{path}.range")) for v in declared] != [
        float(expected[0]),
        float(expected[1]),
    ]:
        raise InstrumentError(
            f"{path}.range", f"declares {declared} but the items give {list(expected)}"
        )


def instrument_from_dict(data: Mapping[str, Any]) -> Instrument:
    """Validate an instrument definition and build the frozen `Instrument`."""
    if not isinstance(data, Mapping):
        raise InstrumentError("$", "an instrument definition must be a JSON object")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise InstrumentError("$.schema_version", f"must be {SCHEMA_VERSION}")
    inst_id = _str(_require(data, "id", "$"), "$.id")

    raw_sets = data.get("response_sets", {})
    if not isinstance(raw_sets, Mapping):
        raise InstrumentError("$.response_sets", "must be an object")
    response_sets = {
        name: _options(options, f"$.response_sets.{name}") for name, options in raw_sets.items()
    }

    items = tuple(
        _item(item, f"$.items[{i}]", response_sets)
        for i, item in enumerate(_list(_require(data, "items", "$"), "$.items"))
    )
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise InstrumentError("$.items", "item ids must be unique")
    scored = [item for item in items if item.scored]
    if not scored:
        raise InstrumentError("$.items", "at least one item must be scored")
    by_id = {item.id: item for item in items}
    groups = _groups(data, set(ids))
    group_ids = {group.id for group in groups}
    for i, item in enumerate(items):
        if item.group is not None and item.group not in group_ids:
            raise InstrumentError(f"$.items[{i}].group", f"unknown group {item.group!r}")

    total = data.get("total", {})
    if not isinstance(total, Mapping):
        raise InstrumentError("$.total", "must be an object")
    total_method = _method(total.get("method", "sum"), "$.total.method")
    total_min, total_max = _item_range(scored, total_method)
    _declared_range(total, "$.total", (total_min, total_max))

    missing = _require(data, "missing", "$")
    if not isinstance(missing, Mapping):
        raise InstrumentError("$.missing", "must be an object")
    if missing.get("method", "prorate") != "prorate":
        raise InstrumentError("$.missing.method", 'only "prorate" is supported')
    max_missing = _int(_require(missing, "max_missing", "$.missing"), "$.missing.max_missing")
    if max_missing >= len(scored):
        raise InstrumentError("$.missing.max_missing", "must leave at least one item answered")

    subscales: list[Subscale] = []
    for i, raw in enumerate(_list(data.get("subscales", []), "$.subscales")):
        path = f"$.subscales[{i}]"
        if not isinstance(raw, Mapping):
            raise InstrumentError(path, "must be an object")
        members = tuple(_str(m, f"{path}.items") for m in _list(raw.get("items"), f"{path}.items"))
        for member in members:
            if member not in by_id or not by_id[member].scored:
                raise InstrumentError(f"{path}.items", f"{member!r} is not a scored item")
        if not members:
            raise InstrumentError(f"{path}.items", "must list at least one item")
        method = _method(raw.get("method", total_method), f"{path}.method")
        low, high = _item_range([by_id[m] for m in members], method)
        _declared_range(raw, path, (low, high))
        sub_missing = _int(
            raw.get("max_missing", min(max_missing, len(members) - 1)), f"{path}.max_missing"
        )
        if sub_missing >= len(members):
            raise InstrumentError(f"{path}.max_missing", "must leave at least one item answered")
        subscales.append(
            Subscale(
                id=_str(raw.get("id"), f"{path}.id"),
                name=_text(raw.get("name", raw.get("id")), f"{path}.name"),
                items=members,
                method=method,
                min=low,
                max=high,
                max_missing=sub_missing,
            )
        )

    bands: list[Band] = []
    for i, raw in enumerate(_list(data.get("bands", []), "$.bands")):
        path = f"$.bands[{i}]"
        band = Band(
            code=_str(raw.get("code"), f"{path}.code"),
            label=_text(raw.get("label", raw.get("code")), f"{path}.label"),
            min=float(_number(raw.get("min"), f"{path}.min")),
            max=float(_number(raw.get("max"), f"{path}.max")),
        )
        if band.min > band.max or band.min < total_min or band.max > total_max:
            raise InstrumentError(path, f"must lie within the total range {total_min}-{total_max}")
        if bands and band.min <= bands[-1].max:
            raise InstrumentError(path, "bands must be in ascending order without overlap")
        bands.append(band)

    cutoff = _cutoff(data, "clinical_cutoff")
    screening_cutoff = _cutoff(data, "screening_cutoff")
    for cut, key in ((cutoff, "clinical_cutoff"), (screening_cutoff, "screening_cutoff")):
        if cut is not None and not total_min <= cut.score <= total_max:
            raise InstrumentError(
                f"$.{key}.score", f"must lie within the total range {total_min}-{total_max}"
            )

    critical: list[CriticalItem] = []
    for i, raw in enumerate(_list(data.get("critical_items", []), "$.critical_items")):
        path = f"$.critical_items[{i}]"
        item_id = _str(raw.get("item"), f"{path}.item")
        if item_id not in by_id:
            raise InstrumentError(f"{path}.item", f"unknown item {item_id!r}")
        critical.append(
            CriticalItem(
                item=item_id,
                flag=_str(raw.get("flag"), f"{path}.flag"),
                min_value=float(_number(raw.get("min_value"), f"{path}.min_value")),
                description=_str(raw.get("description"), f"{path}.description"),
            )
        )

    reliable = None
    if data.get("reliable_change") is not None:
        raw = data["reliable_change"]
        path = "$.reliable_change"
        sd = float(_number(raw.get("sd"), f"{path}.sd"))
        rel = float(_number(raw.get("reliability"), f"{path}.reliability"))
        if sd <= 0:
            raise InstrumentError(f"{path}.sd", "must be positive")
        if not 0 <= rel < 1:
            raise InstrumentError(f"{path}.reliability", "must be in [0, 1)")
        reliable = ReliableChangeSpec(sd, rel, _str(raw.get("source"), f"{path}.source"))

    percentile = None
    if data.get("percentile_bands") is not None:
        raw = data["percentile_bands"]
        path = "$.percentile_bands"
        cuts = []
        for i, cut in enumerate(_list(raw.get("bands"), f"{path}.bands")):
            below = cut.get("below_percentile")
            prior = cut.get("prior_score")
            cuts.append(
                PercentileCut(
                    code=_str(cut.get("code"), f"{path}.bands[{i}].code"),
                    label=_text(cut.get("label", cut.get("code")), f"{path}.bands[{i}].label"),
                    below_percentile=None if below is None else float(_number(below, path)),
                    prior_score=None if prior is None else float(_number(prior, path)),
                )
            )
        if not cuts or cuts[-1].below_percentile is not None:
            raise InstrumentError(f"{path}.bands", "the last band must have no upper percentile")
        percentile = PercentileBandSpec(
            min_clients=_int(raw.get("min_clients"), f"{path}.min_clients", minimum=1),
            bands=tuple(cuts),
            prior_source=_str(raw.get("prior_source"), f"{path}.prior_source"),
        )

    languages = data.get("languages", {"en": "original"})
    if not isinstance(languages, Mapping) or "en" not in languages:
        raise InstrumentError("$.languages", 'must map each language to its source, with "en"')
    for i, item in enumerate(items):
        for lang in item.text:
            if lang not in languages:
                raise InstrumentError(f"$.items[{i}].text.{lang}", "language has no named source")
    for i, group in enumerate(groups):
        for lang in group.text:
            if lang not in languages:
                raise InstrumentError(f"$.groups[{i}].text.{lang}", "language has no named source")

    validated = _bool(_require(data, "validated", "$"), "$.validated")
    own = _bool(data.get("own_measure", False), "$.own_measure")
    loinc = data.get("loinc", {})
    return Instrument(
        id=inst_id,
        version=_str(data.get("version", "1"), "$.version"),
        title=_text(_require(data, "title", "$"), "$.title"),
        short_name=_str(data.get("short_name", inst_id), "$.short_name"),
        kind=_str(data.get("kind", "outcome"), "$.kind"),
        validated=validated,
        own_measure=own,
        languages={
            _str(k, "$.languages"): _str(v, f"$.languages.{k}") for k, v in languages.items()
        },
        instructions=(
            _text(data["instructions"], "$.instructions") if data.get("instructions") else {}
        ),
        items=items,
        total_method=total_method,
        total_min=total_min,
        total_max=total_max,
        max_missing=max_missing,
        subscales=tuple(subscales),
        bands=tuple(bands),
        lower_is_better=_bool(_require(data, "lower_is_better", "$"), "$.lower_is_better"),
        licence=_str(_require(data, "licence", "$"), "$.licence"),
        credit=_str(_require(data, "credit", "$"), "$.credit"),
        sources=tuple(
            _str(s, "$.sources") for s in _list(_require(data, "sources", "$"), "$.sources")
        ),
        form=_str(data.get("form", "client"), "$.form"),
        mirror_of=_opt_str(data.get("mirror_of"), "$.mirror_of"),
        cutoff=cutoff,
        screening_cutoff=screening_cutoff,
        critical_items=tuple(critical),
        reliable_change=reliable,
        percentile_bands=percentile,
        loinc_panel=_opt_str(loinc.get("panel"), "$.loinc.panel"),
        loinc_total=_opt_str(loinc.get("total"), "$.loinc.total"),
        groups=groups,
        source_questionnaire=_source_questionnaire(data),
        extra=dict(data.get("extra", {})),
    )
