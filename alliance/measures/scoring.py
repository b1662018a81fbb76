"""Score one response to an instrument: total, subscales, band, critical-item flags.

Missing answers are never scored as 0 (that would bias totals towards "well"): when at most
the instrument's `max_missing` scored items are missing the score is prorated from the
answered items, otherwise the response is invalid and `ScoringError` says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from alliance.measures.instrument import Instrument, Item

Answer = int | float | str | None


class ScoringError(ValueError):
    """A response cannot be scored; the message names the item and the rule broken."""

    def __init__(self, item: str | Sequence[str] | None, rule: str) -> None:
        items = (item,) if isinstance(item, str) else tuple(item or ())
        if len(items) == 1:
            message = f"item {items[0]!r}: {rule}"
        elif items:
            message = "items " + ", ".join(repr(i) for i in items) + f": {rule}"
        else:
            message = rule
        super().__init__(message)
        self.items = items
        self.item = items[0] if items else None
        self.rule = rule


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    total: float
    subscales: Mapping[str, float]
    band: str | None
    band_label: str | None
    flags: tuple[str, ...]  # critical-item flags, e.g. ("phq9_item9",)
    prorated: bool
    missing: tuple[str, ...]  # scored items left unanswered
    caseness: bool | None  # None when the instrument has no clinical cut-off
    critical_missing: tuple[str, ...]  # critical items left unanswered (worth asking about)
    answers: Mapping[str, int | float | str]
    item_scores: Mapping[str, float]  # after reverse keying
    screening: bool | None = None  # at or beyond the screening cut-off; None without one

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready data (the shape printed by `alliance score --json`)."""
        return {
            "instrument": self.instrument,
            "total": self.total,
            "subscales": dict(self.subscales),
            "band": self.band,
            "band_label": self.band_label,
            "flags": list(self.flags),
            "prorated": self.prorated,
            "missing": list(self.missing),
            "caseness": self.caseness,
            "critical_missing": list(self.critical_missing),
            "screening": self.screening,
        }


def round_half_up(value: float) -> int:
    # Python's round() rounds half to even; scoring manuals round a prorated 13.5 up to 14.
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _check_value(item: Item, value: Answer) -> int | float | str:
    if item.kind == "text":
        if not isinstance(value, str):
            raise ScoringError(item.id, f"wrong type: free-text answer must be text, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScoringError(item.id, f"wrong type: answer must be a number, got {value!r}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an integer beyond any float
        finite = False
    if not finite:
        raise ScoringError(item.id, f"answer must be a finite number, got {value!r:.40}")
    if item.kind == "choice":
        if value not in item.values:
            allowed = ", ".join(str(v) for v in item.values)
            raise ScoringError(item.id, f"value {value!r} is out of range (allowed: {allowed})")
        return value
    if not item.low <= value <= item.high:
        raise ScoringError(
            item.id, f"value {value!r} is out of range (allowed: {item.low:g} to {item.high:g})"
        )
    return value


def _item_score(item: Item, value: float) -> float:
    # Reverse keying mirrors the value within the item's own range (1-5 -> 5-1).
    return item.low + item.high - value if item.reverse else value


def _combine(
    values: Sequence[float], n_items: int, method: str, *, whole: bool
) -> tuple[float, bool]:
    """Sum or mean of the answered items, prorated to `n_items`; returns (score, prorated)."""
    prorated = len(values) < n_items
    if method == "mean":
        return math.fsum(values) / len(values), prorated
    total = math.fsum(values)
    if prorated:
        total = total * n_items / len(values)
        if whole:
            return round_half_up(total), True
    if whole and float(total).is_integer():
        return int(total), prorated
    return total, prorated


def score(instrument: Instrument, answers: Mapping[str, Answer]) -> ScoreResult:
    """Score a response given as {item id: value}; None or an absent key marks a missing answer."""
    known = {item.id for item in instrument.items}
    for key in answers:
        if key not in known:
            raise ScoringError(key, f"unknown item for instrument {instrument.id!r}")

    given: dict[str, int | float | str] = {}
    item_scores: dict[str, float] = {}
    missing: list[str] = []
    for item in instrument.items:
        value = answers.get(item.id)
        if value is None or (isinstance(value, str) and item.kind == "text" and not value.strip()):
            if item.scored:
                missing.append(item.id)
            continue
        checked = _check_value(item, value)
        given[item.id] = checked
        if item.scored and not isinstance(checked, str):
            item_scores[item.id] = _item_score(item, checked)

    scored = instrument.scored_items
    if len(missing) > instrument.max_missing:
        raise ScoringError(
            missing,
            f"too many missing items: {len(missing)} of {len(scored)} missing, "
            f"at most {instrument.max_missing} may be missing to prorate",
        )
    # Whole-number instruments keep whole-number totals, as their bands are defined on them.
    whole = all(float(v).is_integer() for item in scored for v in (item.low, item.high)) and all(
        item.kind == "choice" and all(float(v).is_integer() for v in item.values) for item in scored
    )
    total, prorated = _combine(
        [item_scores[i.id] for i in scored if i.id in item_scores],
        len(scored),
        instrument.total_method,
        whole=whole,
    )

    subscales: dict[str, float] = {}
    for sub in instrument.subscales:
        sub_missing = [m for m in sub.items if m not in item_scores]
        if len(sub_missing) > sub.max_missing:
            raise ScoringError(
                sub_missing,
                f"too many missing items in subscale {sub.id!r}: {len(sub_missing)} of "
                f"{len(sub.items)} missing, at most {sub.max_missing} may be missing",
            )
        sub_score, sub_prorated = _combine(
            [item_scores[m] for m in sub.items if m in item_scores],
            len(sub.items),
            sub.method,
            whole=whole,
        )
        subscales[sub.id] = sub_score
        prorated = prorated or sub_prorated

    band = instrument.band_for(total)
    flags = tuple(
        critical.flag
        for critical in instrument.critical_items
        if isinstance(given.get(critical.item), int | float)
        and float(given[critical.item]) >= critical.min_value
    )
    critical_missing = tuple(c.item for c in instrument.critical_items if c.item not in given)
    return ScoreResult(
        instrument=instrument.id,
        total=total,
        subscales=subscales,
        band=band.code if band else None,
        band_label=band.label["en"] if band else None,
        flags=flags,
        prorated=prorated,
        missing=tuple(missing),
        caseness=instrument.is_case(total),
        screening=instrument.is_screen_positive(total),
        critical_missing=critical_missing,
        answers=given,
        item_scores=item_scores,
    )


def score_positional(instrument: Instrument, values: Sequence[Answer]) -> ScoreResult:
    """Score answers given in item order; trailing optional items may be left out."""
    items = instrument.items
    required_count = max(
        (i + 1 for i, item in enumerate(items) if item.required or item.scored), default=0
    )
    if len(values) > len(items):
        raise ScoringError(
            None,
            f"too many answers: {len(values)} given, {instrument.id!r} has {len(items)} items",
        )
    if len(values) < required_count:
        raise ScoringError(
            items[len(values)].id,
            f"too few answers: {len(values)} given, expected {required_count} in item order "
            "(use - for a missing answer)",
        )
    return score(instrument, {item.id: value for item, value in zip(items, values, strict=False)})
