"""Thresholds of the alert rules, each with its reason or source.

Defaults are documented priors on the common 0–1 check-in scale (see ``model``). The
Alliance Check-in has no published norms, so a practice should replace the ``weak_*``
values with percentiles of its own distribution (the measures engine computes them; the
prior applies until at least 200 clients have rated). Thresholds were fixed before the
simulation study in ``benchmarks/alerts_simulation.py``; see ``docs/alerts.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alliance.measures.change import reliable_change_threshold


@dataclass(frozen=True)
class BondConfig:
    # Weak band: at or below the practice's 10th percentile of bond scores. Prior 0.6: with
    # strong ceiling effects (54% of clients gave a perfect score on ACORN's seven-item
    # Session Feedback Form) the lowest tenth of ratings lies well above the scale's midpoint.
    weak_at_or_below: float = 0.6
    # Client's own baseline = mean of the first check-ins: at least 2 sessions were needed for
    # a generalizability coefficient of .80 (Crits-Christoph et al. 2011, J Consult Clin
    # Psychol 79:267).
    baseline_checkins: int = 2
    # A drop of 0.15 of the scale range against the client's own baseline.
    drop: float = 0.15
    # From the ceiling any drop of a tenth of the range counts, as in OpenFIT's rule that a
    # one-point drop on a 0–10 session rating is red.
    ceiling_at: float = 0.95
    ceiling_drop: float = 0.1


@dataclass(frozen=True)
class CollaborationConfig:
    goal_weak_at_or_below: float = 0.6
    task_weak_at_or_below: float = 0.6
    baseline_checkins: int = 2
    drop: float = 0.15
    # Goals should be agreed early; by the third session (when the alliance is readable).
    goals_agreed_by_session: int = 3
    # Client–therapist gap on any subscale (absolute, 0–1 scale).
    perspective_gap: float = 0.25


@dataclass(frozen=True)
class InstrumentThresholds:
    """Reliable-change and caseness rules for one outcome instrument.

    ``reliable_change`` is the smallest change in total points that counts as reliable.
    Defaults follow NHS Talking Therapies (PHQ-9 >= 6, GAD-7 >= 4); for other
    instruments use the Jacobson & Truax 1991 threshold 1.96 * sqrt(2) * SD * sqrt(1 - r).
    ``caseness_at`` is the first total at caseness (PHQ-9 > 9, GAD-7 > 7).
    """

    reliable_change: float
    caseness_at: float
    lower_is_better: bool = True

    @classmethod
    def jacobson_truax(
        cls,
        *,
        sd: float,
        reliability: float,
        caseness_at: float,
        lower_is_better: bool = True,
        z: float = 1.96,
    ) -> InstrumentThresholds:
        """Thresholds from an instrument's reference SD and reliability (95% by default)."""
        points = reliable_change_threshold(sd=sd, reliability=reliability, z=z)
        return cls(points, caseness_at, lower_is_better)


def _default_instruments() -> dict[str, InstrumentThresholds]:
    return {
        "phq9": InstrumentThresholds(reliable_change=6, caseness_at=10),
        "gad7": InstrumentThresholds(reliable_change=4, caseness_at=8),
    }


@dataclass(frozen=True)
class OutcomeConfig:
    instruments: dict[str, InstrumentThresholds] = field(default_factory=_default_instruments)
    # No reliable change is judged from this session on: a typical low-intensity course is
    # 6–8 sessions, so by session 6 a reliable change would usually have shown.
    no_change_after_session: int = 6
    # Not on track is "high" when this many consecutive verdicts are off track.
    consecutive_off_track: int = 2


@dataclass(frozen=True)
class AvoidanceConfig:
    # Window: the last N appointment ordinals up to the latest known one.
    window: int = 4
    missed: int = 2  # late cancellations + no-shows in the window
    late_minutes: float = 10.0
    late_count: int = 2
    skipped: int = 2  # attended without rating, in the window
    # Messages: the last two weeks together below this share of the two weeks before.
    fade_ratio: float = 0.5
    fade_min_messages: int = 4  # the earlier two weeks must have had at least this many


@dataclass(frozen=True)
class CheckpointConfig:
    # The alliance is readable from the third session and early alliance (sessions 3–5)
    # predicts outcome; if the session-3 rating is skipped, the next one up to 5 is used.
    session: int = 3
    last_session: int = 5
    # Weak when the mean of the client's goal, task and bond is at or below this, or any
    # subscale is in its weak band.
    weak_mean_at_or_below: float = 0.7


@dataclass(frozen=True)
class RepairConfig:
    # Returned to baseline = within this distance of it; held for this many check-ins.
    tolerance: float = 0.05
    hold_checkins: int = 2
    baseline_checkins: int = 2


@dataclass(frozen=True)
class RuleConfig:
    bond: BondConfig = field(default_factory=BondConfig)
    collaboration: CollaborationConfig = field(default_factory=CollaborationConfig)
    outcome: OutcomeConfig = field(default_factory=OutcomeConfig)
    avoidance: AvoidanceConfig = field(default_factory=AvoidanceConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    repair: RepairConfig = field(default_factory=RepairConfig)
