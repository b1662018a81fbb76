"""The signals the risk model reads: each non-safety signal of the alert rules as a number
that grows as the signal worsens (0 when its source has no data), computed for every row
of a ``BatchInput`` at once. See ``risk`` for the model and ``docs/alerts.md`` for the table.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .batch import ATTENDED, LATE_CANCELLATION, NO_SHOW, BatchInput
from .config import RuleConfig
from .model import Pillar

Float = NDArray[np.float64]


@dataclass(frozen=True)
class Feature:
    name: str
    signal: str  # the reason it is shown under on the card
    pillar: Pillar
    what: str  # how the number is made, for docs and the card


FEATURES: tuple[Feature, ...] = (
    Feature("bond_deficit", "bond", Pillar.BOND, "1 − latest bond rating (0–1 scale)"),
    Feature("bond_drop", "bond", Pillar.BOND, "own baseline − latest bond, when lower"),
    Feature(
        "collaboration_deficit",
        "collaboration",
        Pillar.GOAL,
        "1 − mean of the latest goal and task ratings",
    ),
    Feature(
        "collaboration_drop",
        "collaboration",
        Pillar.GOAL,
        "largest drop of goal or task below the own baseline",
    ),
    Feature(
        "goals_not_agreed",
        "collaboration",
        Pillar.GOAL,
        "1 when goals are not co-agreed by session 3",
    ),
    Feature(
        "perspective_gap",
        "perspective_gap",
        Pillar.GOAL,
        "largest amount by which the therapist rates a pillar above the client, on the "
        "latest check-in both rated",
    ),
    Feature(
        "checkpoint",
        "checkpoint",
        Pillar.BOND,
        "1 − mean of goal, task and bond at the session-3 check-in, until session 6",
    ),
    Feature("off_track", "not_on_track", Pillar.OUTCOME, "off-track verdicts among the latest two"),
    Feature(
        "no_reliable_change",
        "no_reliable_change",
        Pillar.OUTCOME,
        "1 when a client at caseness shows no reliable improvement by session 6",
    ),
    Feature(
        "worsening",
        "deterioration",
        Pillar.OUTCOME,
        "worsening since the first score, in reliable-change units (0–2)",
    ),
    Feature(
        "missed",
        "avoidance",
        Pillar.ENGAGEMENT,
        "late cancellations and no-shows in the last 4 appointments",
    ),
    Feature(
        "late_arrivals",
        "avoidance",
        Pillar.ENGAGEMENT,
        "appointments in the last 4 not started on time: 10+ minutes late, or missed",
    ),
    Feature(
        "skipped",
        "avoidance",
        Pillar.ENGAGEMENT,
        "sessions without the client's check-in in the last 4 appointments: attended "
        "without rating, or missed",
    ),
    Feature(
        "fading_contact",
        "fading_contact",
        Pillar.ENGAGEMENT,
        "1 − messages of the last two weeks / the two weeks before (which had 4+)",
    ),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
SIGNALS = tuple(dict.fromkeys(f.signal for f in FEATURES))
# After the checkpoint window (sessions 3–5) the checkpoint stops counting: it "closes by
# itself" once the early-alliance read has been acted on or outgrown.
CHECKPOINT_UNTIL = 6


# -- features ---------------------------------------------------------------------------------


def _last(x: Float) -> tuple[Float, NDArray[np.int64]]:
    valid = ~np.isnan(x)
    idx = x.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
    has = valid.any(axis=1)
    return np.where(has, x[np.arange(x.shape[0]), idx], np.nan), np.where(has, idx, -1)


def _baseline(x: Float, n: int) -> Float:
    """Mean of the first n valid values when a later one exists, else NaN."""
    valid = ~np.isnan(x)
    rank = np.cumsum(valid, axis=1)
    first = valid & (rank <= n)
    total = np.where(first, x, 0.0).sum(axis=1)
    return np.where(valid.sum(axis=1) >= n + 1, total / n, np.nan)


def current_session(data: BatchInput) -> NDArray[np.int64]:
    """The latest session with any data (1-based), 0 for none."""
    engaged = (
        (data.attendance > 0)
        | ~np.isnan(data.goal)
        | ~np.isnan(data.task)
        | ~np.isnan(data.bond)
        | ~np.isnan(data.therapist_goal)
        | ~np.isnan(data.therapist_task)
        | ~np.isnan(data.therapist_bond)
        | data.skipped
    )
    for arrays in data.outcomes.values():
        engaged = engaged | ~np.isnan(arrays.total)
    s = engaged.shape[1]
    has = engaged.any(axis=1)
    return np.where(has, s - np.argmax(engaged[:, ::-1], axis=1), 0).astype(np.int64)


def features(data: BatchInput, config: RuleConfig | None = None) -> Float:
    """(P, len(FEATURES)) signal strengths, each ≥ 0 and larger when worse; 0 when the
    signal's source has no data."""
    cfg = config if config is not None else RuleConfig()
    p, s = data.shape
    out = np.zeros((p, len(FEATURES)))
    col = {name: i for i, name in enumerate(FEATURE_NAMES)}
    session = current_session(data)
    # Rows without any rating of a pillar give all-NaN means: that is "no data", read as 0.
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bond, _ = _last(data.bond)
        out[:, col["bond_deficit"]] = np.nan_to_num(1 - bond)
        base = _baseline(data.bond, cfg.bond.baseline_checkins)
        out[:, col["bond_drop"]] = np.nan_to_num(np.maximum(base - bond, 0))
        goal, _ = _last(data.goal)
        task, _ = _last(data.task)
        out[:, col["collaboration_deficit"]] = np.nan_to_num(1 - np.nanmean([goal, task], axis=0))
        drops = [
            np.nan_to_num(np.maximum(_baseline(x, cfg.collaboration.baseline_checkins) - v, 0))
            for x, v in ((data.goal, goal), (data.task, task))
        ]
        out[:, col["collaboration_drop"]] = np.maximum(*drops)
        out[:, col["goals_not_agreed"]] = (data.goals_co_agreed == 0) & (
            data.goals_sessions >= cfg.collaboration.goals_agreed_by_session
        )
        out[:, col["perspective_gap"]] = _perspective_gap(data)
        out[:, col["checkpoint"]] = np.where(
            session <= CHECKPOINT_UNTIL, _checkpoint_deficit(data, cfg), 0.0
        )
        off, stuck, worse = _outcome_signals(data, cfg)
        out[:, col["off_track"]] = off
        out[:, col["no_reliable_change"]] = stuck
        out[:, col["worsening"]] = worse
        # The last appointments up to the current session: a score or a rating at a session
        # means it happened, so it moves the window as attendance does (the avoidance rule
        # looks at attendance and check-ins only; the risk reads everything it is given).
        latest = session
        window = cfg.avoidance.window
        in_window = (np.arange(s)[None, :] >= (latest - window)[:, None]) & (latest > 0)[:, None]
        att = data.attendance
        missed = ((att == LATE_CANCELLATION) | (att == NO_SHOW)) & in_window
        out[:, col["missed"]] = missed.sum(axis=1)
        # A missed session also counts as late and as unrated, so that a no-show instead of
        # a late arrival or an unrated session never lowers the risk, whatever the weights.
        late = (att == ATTENDED) & (np.nan_to_num(data.late_minutes) >= cfg.avoidance.late_minutes)
        out[:, col["late_arrivals"]] = ((late & in_window) | missed).sum(axis=1)
        out[:, col["skipped"]] = ((data.skipped & in_window) | missed).sum(axis=1)
        out[:, col["fading_contact"]] = _fading(data, cfg)
    return out


def _perspective_gap(data: BatchInput) -> Float:
    pairs = (
        (data.goal, data.therapist_goal),
        (data.task, data.therapist_task),
        (data.bond, data.therapist_bond),
    )
    p, s = data.shape
    paired: NDArray[np.bool_] = np.zeros((p, s), dtype=bool)
    for c, t in pairs:
        paired |= ~np.isnan(c) & ~np.isnan(t)
    rows = np.arange(p)
    col = s - 1 - np.argmax(paired[:, ::-1], axis=1)
    # One-sided: the therapist seeing the work as better than the client does is the gap
    # that marks a rupture the therapist may miss; a client rating above the therapist's is
    # not a warning (and lowering it must never lower the risk).
    gaps = np.stack([np.maximum(t[rows, col] - c[rows, col], 0.0) for c, t in pairs])
    gap = np.nanmax(np.where(np.isnan(gaps), -1.0, gaps), axis=0)
    return np.where(paired.any(axis=1) & (gap >= 0), gap, 0.0)


def _checkpoint_deficit(data: BatchInput, cfg: RuleConfig) -> Float:
    lo, hi = cfg.checkpoint.session - 1, cfg.checkpoint.last_session
    p = data.goal.shape[0]
    if data.goal.shape[1] <= lo:
        return np.zeros(p)
    block = np.stack([data.goal[:, lo:hi], data.task[:, lo:hi], data.bond[:, lo:hi]])
    any_valid: NDArray[np.bool_] = np.asarray((~np.isnan(block)).any(axis=0))
    has: NDArray[np.bool_] = np.asarray(any_valid.any(axis=1))
    first = np.argmax(any_valid, axis=1)
    values = block[:, np.arange(p), first]
    mean = np.nanmean(np.where(has[None, :], values, np.nan), axis=0)
    return np.where(has, np.nan_to_num(1 - mean), 0.0)


def _outcome_signals(data: BatchInput, cfg: RuleConfig) -> tuple[Float, Float, Float]:
    p = data.goal.shape[0]
    off = np.zeros(p)
    stuck = np.zeros(p)
    worse = np.zeros(p)
    for instrument, arrays in data.outcomes.items():
        verdict = arrays.on_track
        valid = ~np.isnan(verdict)
        rank_from_end = np.cumsum(valid[:, ::-1], axis=1)[:, ::-1]
        latest_two = valid & (rank_from_end <= 2)
        off = np.maximum(off, (latest_two & (verdict == 0)).sum(axis=1))
        thresholds = cfg.outcome.instruments.get(instrument)
        if thresholds is None:
            continue
        total = arrays.total
        ok = ~np.isnan(total)
        enough = ok.sum(axis=1) >= 2
        first = total[np.arange(p), np.argmax(ok, axis=1)]
        last, last_idx = _last(total)
        change = last - first if thresholds.lower_is_better else first - last
        units = np.clip(np.nan_to_num(change / thresholds.reliable_change), 0, 2)
        worse = np.maximum(worse, np.where(enough, units, 0.0))
        case = (
            first >= thresholds.caseness_at
            if thresholds.lower_is_better
            else first <= thresholds.caseness_at
        )
        late = last_idx + 1 >= cfg.outcome.no_change_after_session
        # "No reliable improvement": unlike the alert rule, a reliable worsening keeps it on,
        # so a higher latest score can never lower the risk (the worsening adds on top).
        improved = np.nan_to_num(change) <= -thresholds.reliable_change
        stuck = np.maximum(stuck, (enough & case & late & ~improved).astype(float))
    return off, stuck, worse


def _fading(data: BatchInput, cfg: RuleConfig) -> Float:
    m = data.messages
    p = m.shape[0]
    if m.shape[1] < 4:
        return np.zeros(p)
    n = (~np.isnan(m)).sum(axis=1)
    rows = np.arange(p)
    idx = np.maximum(n[:, None] - np.arange(1, 5)[None, :], 0)
    w = m[rows[:, None], idx]
    recent, earlier = w[:, 0] + w[:, 1], w[:, 2] + w[:, 3]
    enough = (n >= 4) & (earlier >= cfg.avoidance.fade_min_messages)
    with np.errstate(invalid="ignore", divide="ignore"):
        fade = np.clip(1 - recent / earlier, 0, 1)
    return np.where(enough, np.nan_to_num(fade), 0.0)
