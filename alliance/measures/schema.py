"""The instrument schema: what an instrument definition (a JSON data file) may say.

Instruments are data, not code, so a practice holding a licence for an instrument can add it
as a file (or by FHIR import) without a code change. `instrument_from_dict` validates a plain
dict against this schema and returns a frozen `Instrument`; every problem raises
`InstrumentError` naming the JSON path and the rule broken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alliance.measures.definition_values import (
    InstrumentError,
    boolean,
    integer,
    json_list,
    number,
    optional_string,
    require,
    scoring_method,
    string,
    texts,
)
from alliance.measures.instrument import (
    Band,
    ClinicalCutoff,
    CriticalItem,
    Group,
    Instrument,
    Item,
    Method,
    Option,
    PercentileBandSpec,
    PercentileCut,
    ReliableChangeSpec,
    SourceQuestionnaire,
    Subscale,
)

# Documented (docs/measures.md) as this module's, though defined with the value checks.
__all__ = ["SCHEMA_VERSION", "InstrumentError", "instrument_from_dict"]

SCHEMA_VERSION = 1


# --- validation helpers --------------------------------------------------------------------


def _cutoff(data: Mapping[str, Any], key: str) -> ClinicalCutoff | None:
    raw = data.get(key)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InstrumentError(f"$.{key}", "must be an object with a score and a source")
    return ClinicalCutoff(
        score=float(number(require(raw, "score", f"$.{key}"), f"$.{key}.score")),
        source=string(require(raw, "source", f"$.{key}"), f"$.{key}.source"),
    )


def _option(data: Any, path: str) -> Option:
    if not isinstance(data, Mapping):
        raise InstrumentError(path, "must be an object")
    return Option(
        value=number(require(data, "value", path), f"{path}.value"),
        text=texts(require(data, "text", path), f"{path}.text"),
        code=optional_string(data.get("code"), f"{path}.code"),
        system=optional_string(data.get("system"), f"{path}.system"),
    )


def _options(data: Any, path: str) -> tuple[Option, ...]:
    options = tuple(_option(o, f"{path}[{i}]") for i, o in enumerate(json_list(data, path)))
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
    item_id = string(require(data, "id", path), f"{path}.id")
    options: tuple[Option, ...] = ()
    min_value = max_value = step = None
    if kind == "choice":
        if "options" in data:
            options = _options(data["options"], f"{path}.options")
        else:
            name = string(require(data, "response_set", path), f"{path}.response_set")
            if name not in response_sets:
                raise InstrumentError(f"{path}.response_set", f"unknown response set {name!r}")
            options = response_sets[name]
    elif kind == "numeric":
        min_value = float(number(require(data, "min", path), f"{path}.min"))
        max_value = float(number(require(data, "max", path), f"{path}.max"))
        if min_value >= max_value:
            raise InstrumentError(path, "min must be below max")
        if "step" in data:
            step = float(number(data["step"], f"{path}.step"))
    scored = boolean(data.get("scored", kind != "text"), f"{path}.scored")
    if kind == "text" and scored:
        raise InstrumentError(f"{path}.scored", "free-text items are never scored")
    return Item(
        id=item_id,
        text=texts(require(data, "text", path), f"{path}.text"),
        kind=kind,
        options=options,
        min_value=min_value,
        max_value=max_value,
        step=step,
        reverse=boolean(data.get("reverse", False), f"{path}.reverse"),
        scored=scored,
        required=boolean(data.get("required", scored), f"{path}.required"),
        code=optional_string(data.get("code"), f"{path}.code"),
        code_system=optional_string(data.get("code_system"), f"{path}.code_system"),
        group=optional_string(data.get("group"), f"{path}.group"),
    )


def _groups(data: Mapping[str, Any], item_ids: set[str]) -> tuple[Group, ...]:
    """Groups, each declared after its parent (so nesting has no cycles), with ids distinct
    from item ids."""
    groups: list[Group] = []
    for i, raw in enumerate(json_list(data.get("groups", []), "$.groups")):
        path = f"$.groups[{i}]"
        if not isinstance(raw, Mapping):
            raise InstrumentError(path, "must be an object")
        group = Group(
            id=string(require(raw, "id", path), f"{path}.id"),
            text=texts(require(raw, "text", path), f"{path}.text"),
            parent=optional_string(raw.get("parent"), f"{path}.parent"),
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
    url = string(require(raw, "url", path), f"{path}.url")
    if "|" in url or any(c.isspace() for c in url):
        raise InstrumentError(f"{path}.url", "must be a canonical URL without a version or spaces")
    return SourceQuestionnaire(
        url=url, version=optional_string(raw.get("version"), f"{path}.version")
    )


def _item_range(items: Sequence[Item], method: Method) -> tuple[float, float]:
    lows = [item.low for item in items]
    highs = [item.high for item in items]
    if method == "sum":
        return sum(lows), sum(highs)
    return min(lows), max(highs)


def _declared_range(data: Mapping[str, Any], path: str, expected: tuple[float, float]) -> None:
    """A declared range must match what the items allow, so the file cannot drift."""
    if "range" not in data:
        return
    declared = json_list(data["range"], f"{path}.range")
    if len(declared) != 2 or [float(number(v, f"{path}.range")) for v in declared] != [
        float(expected[0]),
        float(expected[1]),
    ]:
        raise InstrumentError(
            f"{path}.range", f"declares {declared} but the items give {list(expected)}"
        )


# --- the parts of a definition -------------------------------------------------------------


def _response_sets(data: Mapping[str, Any]) -> dict[str, tuple[Option, ...]]:
    raw_sets = data.get("response_sets", {})
    if not isinstance(raw_sets, Mapping):
        raise InstrumentError("$.response_sets", "must be an object")
    return {
        name: _options(options, f"$.response_sets.{name}") for name, options in raw_sets.items()
    }


def _items(
    data: Mapping[str, Any], response_sets: Mapping[str, tuple[Option, ...]]
) -> tuple[Item, ...]:
    """The items, with unique ids and at least one scored."""
    items = tuple(
        _item(item, f"$.items[{i}]", response_sets)
        for i, item in enumerate(json_list(require(data, "items", "$"), "$.items"))
    )
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise InstrumentError("$.items", "item ids must be unique")
    if not any(item.scored for item in items):
        raise InstrumentError("$.items", "at least one item must be scored")
    return items


def _item_groups(data: Mapping[str, Any], items: Sequence[Item]) -> tuple[Group, ...]:
    """The groups, and every item's group among them."""
    groups = _groups(data, {item.id for item in items})
    group_ids = {group.id for group in groups}
    for i, item in enumerate(items):
        if item.group is not None and item.group not in group_ids:
            raise InstrumentError(f"$.items[{i}].group", f"unknown group {item.group!r}")
    return groups


def _total(data: Mapping[str, Any], scored: Sequence[Item]) -> tuple[Method, float, float]:
    """How the total is computed, and its range."""
    total = data.get("total", {})
    if not isinstance(total, Mapping):
        raise InstrumentError("$.total", "must be an object")
    total_method = scoring_method(total.get("method", "sum"), "$.total.method")
    total_min, total_max = _item_range(scored, total_method)
    _declared_range(total, "$.total", (total_min, total_max))
    return total_method, total_min, total_max


def _max_missing(data: Mapping[str, Any], scored: Sequence[Item]) -> int:
    missing = require(data, "missing", "$")
    if not isinstance(missing, Mapping):
        raise InstrumentError("$.missing", "must be an object")
    if missing.get("method", "prorate") != "prorate":
        raise InstrumentError("$.missing.method", 'only "prorate" is supported')
    max_missing = integer(require(missing, "max_missing", "$.missing"), "$.missing.max_missing")
    if max_missing >= len(scored):
        raise InstrumentError("$.missing.max_missing", "must leave at least one item answered")
    return max_missing


def _subscales(
    data: Mapping[str, Any], by_id: Mapping[str, Item], total_method: Method, max_missing: int
) -> tuple[Subscale, ...]:
    subscales: list[Subscale] = []
    for i, raw in enumerate(json_list(data.get("subscales", []), "$.subscales")):
        path = f"$.subscales[{i}]"
        if not isinstance(raw, Mapping):
            raise InstrumentError(path, "must be an object")
        members = tuple(
            string(m, f"{path}.items") for m in json_list(raw.get("items"), f"{path}.items")
        )
        for member in members:
            if member not in by_id or not by_id[member].scored:
                raise InstrumentError(f"{path}.items", f"{member!r} is not a scored item")
        if not members:
            raise InstrumentError(f"{path}.items", "must list at least one item")
        method = scoring_method(raw.get("method", total_method), f"{path}.method")
        low, high = _item_range([by_id[m] for m in members], method)
        _declared_range(raw, path, (low, high))
        sub_missing = integer(
            raw.get("max_missing", min(max_missing, len(members) - 1)), f"{path}.max_missing"
        )
        if sub_missing >= len(members):
            raise InstrumentError(f"{path}.max_missing", "must leave at least one item answered")
        subscales.append(
            Subscale(
                id=string(raw.get("id"), f"{path}.id"),
                name=texts(raw.get("name", raw.get("id")), f"{path}.name"),
                items=members,
                method=method,
                min=low,
                max=high,
                max_missing=sub_missing,
            )
        )
    return tuple(subscales)


def _bands(data: Mapping[str, Any], total_min: float, total_max: float) -> tuple[Band, ...]:
    bands: list[Band] = []
    for i, raw in enumerate(json_list(data.get("bands", []), "$.bands")):
        path = f"$.bands[{i}]"
        band = Band(
            code=string(raw.get("code"), f"{path}.code"),
            label=texts(raw.get("label", raw.get("code")), f"{path}.label"),
            min=float(number(raw.get("min"), f"{path}.min")),
            max=float(number(raw.get("max"), f"{path}.max")),
        )
        if band.min > band.max or band.min < total_min or band.max > total_max:
            raise InstrumentError(path, f"must lie within the total range {total_min}-{total_max}")
        if bands and band.min <= bands[-1].max:
            raise InstrumentError(path, "bands must be in ascending order without overlap")
        bands.append(band)
    return tuple(bands)


def _cutoffs(
    data: Mapping[str, Any], total_min: float, total_max: float
) -> tuple[ClinicalCutoff | None, ClinicalCutoff | None]:
    """The clinical (caseness) and screening cut-offs, each within the total range."""
    cutoff = _cutoff(data, "clinical_cutoff")
    screening_cutoff = _cutoff(data, "screening_cutoff")
    for cut, key in ((cutoff, "clinical_cutoff"), (screening_cutoff, "screening_cutoff")):
        if cut is not None and not total_min <= cut.score <= total_max:
            raise InstrumentError(
                f"$.{key}.score", f"must lie within the total range {total_min}-{total_max}"
            )
    return cutoff, screening_cutoff


def _critical_items(data: Mapping[str, Any], by_id: Mapping[str, Item]) -> tuple[CriticalItem, ...]:
    critical: list[CriticalItem] = []
    for i, raw in enumerate(json_list(data.get("critical_items", []), "$.critical_items")):
        path = f"$.critical_items[{i}]"
        item_id = string(raw.get("item"), f"{path}.item")
        if item_id not in by_id:
            raise InstrumentError(f"{path}.item", f"unknown item {item_id!r}")
        critical.append(
            CriticalItem(
                item=item_id,
                flag=string(raw.get("flag"), f"{path}.flag"),
                min_value=float(number(raw.get("min_value"), f"{path}.min_value")),
                description=string(raw.get("description"), f"{path}.description"),
            )
        )
    return tuple(critical)


def _reliable_change(data: Mapping[str, Any]) -> ReliableChangeSpec | None:
    if data.get("reliable_change") is None:
        return None
    raw = data["reliable_change"]
    path = "$.reliable_change"
    sd = float(number(raw.get("sd"), f"{path}.sd"))
    rel = float(number(raw.get("reliability"), f"{path}.reliability"))
    if sd <= 0:
        raise InstrumentError(f"{path}.sd", "must be positive")
    if not 0 <= rel < 1:
        raise InstrumentError(f"{path}.reliability", "must be in [0, 1)")
    return ReliableChangeSpec(sd, rel, string(raw.get("source"), f"{path}.source"))


def _percentile_bands(data: Mapping[str, Any]) -> PercentileBandSpec | None:
    if data.get("percentile_bands") is None:
        return None
    raw = data["percentile_bands"]
    path = "$.percentile_bands"
    cuts = []
    for i, cut in enumerate(json_list(raw.get("bands"), f"{path}.bands")):
        below = cut.get("below_percentile")
        prior = cut.get("prior_score")
        cuts.append(
            PercentileCut(
                code=string(cut.get("code"), f"{path}.bands[{i}].code"),
                label=texts(cut.get("label", cut.get("code")), f"{path}.bands[{i}].label"),
                below_percentile=None if below is None else float(number(below, path)),
                prior_score=None if prior is None else float(number(prior, path)),
            )
        )
    if not cuts or cuts[-1].below_percentile is not None:
        raise InstrumentError(f"{path}.bands", "the last band must have no upper percentile")
    return PercentileBandSpec(
        min_clients=integer(raw.get("min_clients"), f"{path}.min_clients", minimum=1),
        bands=tuple(cuts),
        prior_source=string(raw.get("prior_source"), f"{path}.prior_source"),
    )


def _languages(
    data: Mapping[str, Any], items: Sequence[Item], groups: Sequence[Group]
) -> Mapping[Any, Any]:
    """Each language with its named source; every item and group text must be in one."""
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
    return languages


# --- the whole definition ------------------------------------------------------------------


def instrument_from_dict(data: Mapping[str, Any]) -> Instrument:
    """Validate an instrument definition and build the frozen `Instrument`."""
    if not isinstance(data, Mapping):
        raise InstrumentError("$", "an instrument definition must be a JSON object")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise InstrumentError("$.schema_version", f"must be {SCHEMA_VERSION}")
    inst_id = string(require(data, "id", "$"), "$.id")

    items = _items(data, _response_sets(data))
    scored = [item for item in items if item.scored]
    by_id = {item.id: item for item in items}
    groups = _item_groups(data, items)
    total_method, total_min, total_max = _total(data, scored)
    max_missing = _max_missing(data, scored)
    subscales = _subscales(data, by_id, total_method, max_missing)
    bands = _bands(data, total_min, total_max)
    cutoff, screening_cutoff = _cutoffs(data, total_min, total_max)
    critical = _critical_items(data, by_id)
    reliable = _reliable_change(data)
    percentile = _percentile_bands(data)
    languages = _languages(data, items, groups)

    validated = boolean(require(data, "validated", "$"), "$.validated")
    own = boolean(data.get("own_measure", False), "$.own_measure")
    loinc = data.get("loinc", {})
    return Instrument(
        id=inst_id,
        version=string(data.get("version", "1"), "$.version"),
        title=texts(require(data, "title", "$"), "$.title"),
        short_name=string(data.get("short_name", inst_id), "$.short_name"),
        kind=string(data.get("kind", "outcome"), "$.kind"),
        validated=validated,
        own_measure=own,
        languages={
            string(k, "$.languages"): string(v, f"$.languages.{k}") for k, v in languages.items()
        },
        instructions=(
            texts(data["instructions"], "$.instructions") if data.get("instructions") else {}
        ),
        items=items,
        total_method=total_method,
        total_min=total_min,
        total_max=total_max,
        max_missing=max_missing,
        subscales=subscales,
        bands=bands,
        lower_is_better=boolean(require(data, "lower_is_better", "$"), "$.lower_is_better"),
        licence=string(require(data, "licence", "$"), "$.licence"),
        credit=string(require(data, "credit", "$"), "$.credit"),
        sources=tuple(
            string(s, "$.sources") for s in json_list(require(data, "sources", "$"), "$.sources")
        ),
        form=string(data.get("form", "client"), "$.form"),
        mirror_of=optional_string(data.get("mirror_of"), "$.mirror_of"),
        cutoff=cutoff,
        screening_cutoff=screening_cutoff,
        critical_items=critical,
        reliable_change=reliable,
        percentile_bands=percentile,
        loinc_panel=optional_string(loinc.get("panel"), "$.loinc.panel"),
        loinc_total=optional_string(loinc.get("total"), "$.loinc.total"),
        groups=groups,
        source_questionnaire=_source_questionnaire(data),
        extra=dict(data.get("extra", {})),
    )
