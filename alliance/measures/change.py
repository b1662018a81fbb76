"""Change statistics: reliable change, clinical significance, NHS Talking Therapies outcomes.

Sources:
- Jacobson NS, Truax P. Clinical significance: a statistical approach to defining meaningful
  change in psychotherapy research. J Consult Clin Psychol 1991;59:12-19.
- NHS Talking Therapies for anxiety and depression (formerly IAPT) measurement rules, applied
  jointly to PHQ-9 and GAD-7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from alliance.measures.instrument import Instrument

Z_95 = 1.96
Z_90 = 1.645

# NHS Talking Therapies: caseness is PHQ-9 > 9 or GAD-7 > 7; a reliable change is a change of
# at least 6 points on PHQ-9 or 4 points on GAD-7.
NHS_PHQ9_CASENESS = 10
NHS_GAD7_CASENESS = 8
NHS_PHQ9_RELIABLE = 6
NHS_GAD7_RELIABLE = 4


class ChangeClass(StrEnum):
    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"


@dataclass(frozen=True)
class Cutoffs:
    """Jacobson & Truax clinical-significance cut-offs; b and c need normative data."""

    a: float
    b: float | None
    c: float | None


def _s_diff(sd: float, reliability: float) -> float:
    if not sd > 0:
        raise ValueError(f"sd must be positive, got {sd!r}")
    if not 0 <= reliability < 1:
        raise ValueError(f"reliability must be in [0, 1), got {reliability!r}")
    # Jacobson & Truax 1991: SE = SD_pre * sqrt(1 - r); S_diff = sqrt(2 * SE^2).
    standard_error = sd * math.sqrt(1 - reliability)
    return math.sqrt(2) * standard_error


def rci(pre: float, post: float, *, sd: float, reliability: float) -> float:
    """Reliable change index RC = (post - pre) / S_diff (Jacobson & Truax 1991)."""
    return (post - pre) / _s_diff(sd, reliability)


def reliable_change_threshold(*, sd: float, reliability: float, z: float = Z_95) -> float:
    """The change in points that |RC| must exceed to be reliable: z * S_diff.

    z = 1.96 gives the 95% criterion of Jacobson & Truax 1991, z = 1.645 the 90% one.
    """
    return z * _s_diff(sd, reliability)


def clinical_cutoffs(
    *,
    mean_clin: float,
    sd_clin: float,
    mean_norm: float | None = None,
    sd_norm: float | None = None,
    lower_is_better: bool = True,
) -> Cutoffs:
    """Cut-offs a, b and c of Jacobson & Truax 1991.

    a: two SDs beyond the clinical mean, towards health; b: two SDs from the normal mean,
    towards the clinical side; c: the point between both distributions weighted by their SDs,
    c = (SD_norm * M_clin + SD_clin * M_norm) / (SD_norm + SD_clin). c is preferred when
    normative data exist, as in the original paper.
    """
    sign = -1.0 if lower_is_better else 1.0
    a = mean_clin + sign * 2 * sd_clin
    if mean_norm is None or sd_norm is None:
        return Cutoffs(a=a, b=None, c=None)
    b = mean_norm - sign * 2 * sd_norm
    c = (sd_norm * mean_clin + sd_clin * mean_norm) / (sd_norm + sd_clin)
    return Cutoffs(a=a, b=b, c=c)


def classify_change(
    pre: float,
    post: float,
    *,
    sd: float,
    reliability: float,
    cutoff: float | None,
    lower_is_better: bool = True,
    z: float = Z_95,
) -> ChangeClass:
    """Jacobson & Truax 1991 classification.

    recovered: reliable improvement that also crosses the cut-off from the clinical to the
    non-clinical side (`pre` at or beyond the cut-off, `post` on the healthy side of it);
    improved: reliable improvement without that crossing; deteriorated: reliable worsening;
    unchanged: no reliable change. With lower_is_better, "clinical" means score >= cutoff.
    """
    index = rci(pre, post, sd=sd, reliability=reliability)
    improvement = -index if lower_is_better else index
    if improvement > z:
        crossed = (
            cutoff is not None
            and _is_case(pre, cutoff, lower_is_better)
            and not _is_case(post, cutoff, lower_is_better)
        )
        if crossed:
            return ChangeClass.RECOVERED
        return ChangeClass.IMPROVED
    if improvement < -z:
        return ChangeClass.DETERIORATED
    return ChangeClass.UNCHANGED


def _is_case(score: float, cutoff: float, lower_is_better: bool) -> bool:
    return score >= cutoff if lower_is_better else score <= cutoff


@dataclass(frozen=True)
class ChangeResult:
    """Everything `alliance change` reports for one instrument."""

    instrument: str
    pre: float
    post: float
    difference: float
    rci: float
    threshold_95: float
    threshold_90: float
    reliable_95: bool
    reliable_90: bool
    classification: ChangeClass
    cutoff: float | None
    sd: float
    reliability: float

    def as_dict(self) -> dict[str, object]:
        return {
            "instrument": self.instrument,
            "before": self.pre,
            "after": self.post,
            "difference": self.difference,
            "rci": round(self.rci, 4),
            "threshold_95": round(self.threshold_95, 4),
            "threshold_90": round(self.threshold_90, 4),
            "reliable_95": self.reliable_95,
            "reliable_90": self.reliable_90,
            "classification": self.classification.value,
            "cutoff": self.cutoff,
            "sd": self.sd,
            "reliability": self.reliability,
        }


def change_for(
    instrument: Instrument,
    pre: float,
    post: float,
    *,
    sd: float | None = None,
    reliability: float | None = None,
    cutoff: float | None = None,
    z: float = Z_95,
) -> ChangeResult:
    """Reliable change and classification using the instrument's reference values.

    `sd`, `reliability` and `cutoff` override the instrument's (e.g. the practice's own
    pre-treatment SD); an instrument without reference values needs both `sd` and
    `reliability`.
    """
    for name, value in (("before", pre), ("after", post)):
        if not instrument.total_min <= value <= instrument.total_max:
            raise ValueError(
                f"{name} score {value:g} is out of range for {instrument.id!r} "
                f"({instrument.total_min:g} to {instrument.total_max:g})"
            )
    spec = instrument.reliable_change
    use_sd = sd if sd is not None else (spec.sd if spec else None)
    use_rel = reliability if reliability is not None else (spec.reliability if spec else None)
    if use_sd is None or use_rel is None:
        raise ValueError(
            f"{instrument.id!r} has no reference SD and reliability for reliable change; "
            "give both (e.g. the practice's own SD and Cronbach alpha)"
        )
    use_cutoff = (
        cutoff if cutoff is not None else (instrument.cutoff.score if instrument.cutoff else None)
    )
    index = rci(pre, post, sd=use_sd, reliability=use_rel)
    return ChangeResult(
        instrument=instrument.id,
        pre=pre,
        post=post,
        difference=post - pre,
        rci=index,
        threshold_95=reliable_change_threshold(sd=use_sd, reliability=use_rel, z=Z_95),
        threshold_90=reliable_change_threshold(sd=use_sd, reliability=use_rel, z=Z_90),
        reliable_95=abs(index) > Z_95,
        reliable_90=abs(index) > Z_90,
        classification=classify_change(
            pre,
            post,
            sd=use_sd,
            reliability=use_rel,
            cutoff=use_cutoff,
            lower_is_better=instrument.lower_is_better,
            z=z,
        ),
        cutoff=use_cutoff,
        sd=use_sd,
        reliability=use_rel,
    )


def reliable_threshold_for(instrument: Instrument, *, z: float = Z_95) -> float:
    """Points of change that are reliable for this instrument's reference values."""
    spec = instrument.reliable_change
    if spec is None:
        raise ValueError(f"{instrument.id!r} has no reference SD and reliability")
    return reliable_change_threshold(sd=spec.sd, reliability=spec.reliability, z=z)


def classify_for(instrument: Instrument, pre: float, post: float) -> ChangeClass:
    return change_for(instrument, pre, post).classification


@dataclass(frozen=True)
class NhsOutcome:
    """NHS Talking Therapies outcome flags over a PHQ-9 and GAD-7 pair of measures."""

    caseness_first: bool
    caseness_last: bool
    recovery: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool
    phq9_change: int
    gad7_change: int

    def as_dict(self) -> dict[str, object]:
        return {
            "caseness_first": self.caseness_first,
            "caseness_last": self.caseness_last,
            "recovery": self.recovery,
            "reliable_improvement": self.reliable_improvement,
            "reliable_deterioration": self.reliable_deterioration,
            "reliable_recovery": self.reliable_recovery,
            "phq9_change": self.phq9_change,
            "gad7_change": self.gad7_change,
        }


def _check(name: str, value: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise ValueError(f"{name} must be a whole number from 0 to {high}, got {value!r}")
    return value


def nhs_talking_therapies(
    phq9_first: int, phq9_last: int, gad7_first: int, gad7_last: int
) -> NhsOutcome:
    """Recovery, reliable improvement and reliable recovery (NHS Talking Therapies rules).

    caseness: PHQ-9 > 9 or GAD-7 > 7. recovery: caseness at the first measure and caseness on
    neither measure at the last. reliable improvement: a drop of >= 6 on PHQ-9 or >= 4 on GAD-7
    with reliable deterioration (a rise by the same amounts) on neither. reliable recovery:
    recovery and reliable improvement together.
    """
    phq9_first = _check("phq9_first", phq9_first, 27)
    phq9_last = _check("phq9_last", phq9_last, 27)
    gad7_first = _check("gad7_first", gad7_first, 21)
    gad7_last = _check("gad7_last", gad7_last, 21)

    def case(phq9: int, gad7: int) -> bool:
        return phq9 >= NHS_PHQ9_CASENESS or gad7 >= NHS_GAD7_CASENESS

    phq9_change = phq9_last - phq9_first
    gad7_change = gad7_last - gad7_first
    improved = phq9_change <= -NHS_PHQ9_RELIABLE or gad7_change <= -NHS_GAD7_RELIABLE
    deteriorated = phq9_change >= NHS_PHQ9_RELIABLE or gad7_change >= NHS_GAD7_RELIABLE
    caseness_first = case(phq9_first, gad7_first)
    caseness_last = case(phq9_last, gad7_last)
    recovery = caseness_first and not caseness_last
    reliable_improvement = improved and not deteriorated
    return NhsOutcome(
        caseness_first=caseness_first,
        caseness_last=caseness_last,
        recovery=recovery,
        reliable_improvement=reliable_improvement,
        reliable_deterioration=deteriorated,
        reliable_recovery=recovery and reliable_improvement,
        phq9_change=phq9_change,
        gad7_change=gad7_change,
    )
