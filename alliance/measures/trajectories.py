"""Expected trajectories: where a client's outcome score should be at session k.

Model: binned by intake score, not a mixed model. For clients of the practice whose intake
score fell in the same bin, we take the mean and SD of their *change from intake* at each
session number; a client's expected score is their own intake plus that mean change, and the
tolerance band is expected +/- z * SD (z = 1.2816 gives the 10th-90th percentile band under
normality). We chose bins because:

- they need no distributional or curve-shape assumption where the practice has data, and are
  easy to explain to a therapist ("clients who started where you started were here by now");
  MyOutcomes builds its expected trajectory the same way (mean of clients with the same intake
  score +/- 1) and OpenFIT from > 300,000 administrations;
- a mixed model on log(session) (the OQ system's expected recovery curves, 11,492 patients)
  needs an iterative fit and enough clients per therapist to be stable; its log-linear shape
  is kept as our prior instead;
- fitting is three `numpy.bincount` calls, so 100k clients x 20 sessions fits in well under a
  second.

Prior: with little data in a bin the empirical mean change is blended, cell by cell, with a
log-linear decline: by session k a client has closed `improvement_fraction * ln(k) /
ln(reference_session)` of the gap between their intake and the best possible score. The
defaults (40% of the gap by session 12) are a documented assumption, not an estimate. The
blend weight of the practice's data is n / (n + prior_strength) for n clients in the cell.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance.measures.instrument import Instrument

FloatArray = npt.NDArray[np.float64]
Z_10_90 = 1.2816  # standard normal quantile for a 10th-90th percentile band


class TrackStatus(StrEnum):
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"


@dataclass(frozen=True)
class TrajectoryPrior:
    """The log-linear decline assumed where the practice has little data."""

    best: float  # best possible score (instrument minimum when lower is better)
    sd: float  # spread of scores around the expected value
    improvement_fraction: float = 0.4
    reference_session: int = 12

    def change(self, intake: FloatArray, session: FloatArray) -> FloatArray:
        progress = self.improvement_fraction * np.log(np.maximum(session, 1.0))
        progress = progress / math.log(self.reference_session)
        # Never past the best possible score.
        progress = np.minimum(progress, 1.0)
        result: FloatArray = -progress * (intake - self.best)
        return result


@dataclass(frozen=True)
class Expectation:
    session: int
    expected: float
    lower: float
    upper: float
    clients: int  # clients of the practice behind this cell
    weight: float  # weight of the practice's data versus the prior (0..1)


@dataclass(frozen=True, eq=False)
class TrajectoryModel:
    score_min: float
    score_max: float
    lower_is_better: bool
    bin_width: float
    max_session: int
    counts: npt.NDArray[np.int64]  # (bins, max_session + 1) clients per cell
    mean_change: FloatArray  # (bins, max_session + 1)
    var_change: FloatArray  # (bins, max_session + 1); NaN where fewer than 2 clients
    prior: TrajectoryPrior
    prior_strength: float
    z: float

    @property
    def n_bins(self) -> int:
        return int(self.counts.shape[0])

    def _bins(self, intake: FloatArray) -> npt.NDArray[np.int64]:
        raw = np.floor((intake - self.score_min) / self.bin_width).astype(np.int64)
        return np.clip(raw, 0, self.n_bins - 1)

    def expected_arrays(
        self, intake: npt.ArrayLike, session: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.int64], FloatArray]:
        """Vectorised: expected score, lower and upper band, clients and weight."""
        x = np.asarray(intake, dtype=np.float64)
        k = np.clip(np.asarray(session, dtype=np.int64), 1, self.max_session)
        bins = self._bins(x)
        n = self.counts[bins, k]
        weight = n / (n + self.prior_strength)
        emp_mean = np.where(n > 0, self.mean_change[bins, k], 0.0)
        emp_var = self.var_change[bins, k]
        prior_change = self.prior.change(x, k.astype(np.float64))
        change = weight * emp_mean + (1 - weight) * prior_change
        var_weight = np.where(np.isnan(emp_var), 0.0, weight)
        var = var_weight * np.nan_to_num(emp_var) + (1 - var_weight) * self.prior.sd**2
        sd = np.sqrt(var)
        expected = np.clip(x + change, self.score_min, self.score_max)
        # The intake itself is the first point: no tolerance to speak of.
        at_intake = k <= 1
        expected = np.where(at_intake, x, expected)
        sd = np.where(at_intake, 0.0, sd)
        lower = np.clip(expected - self.z * sd, self.score_min, self.score_max)
        upper = np.clip(expected + self.z * sd, self.score_min, self.score_max)
        return expected, lower, upper, n, weight

    def expected(self, intake: float, session: int) -> Expectation:
        expected, lower, upper, n, weight = self.expected_arrays([intake], [session])
        return Expectation(
            session=session,
            expected=float(expected[0]),
            lower=float(lower[0]),
            upper=float(upper[0]),
            clients=int(n[0]),
            weight=float(weight[0]),
        )

    def curve(
        self, intake: float, sessions: Sequence[int] | None = None
    ) -> tuple[Expectation, ...]:
        """The expected trajectory and band over sessions (for charts)."""
        numbers = list(sessions) if sessions is not None else range(1, self.max_session + 1)
        return tuple(self.expected(intake, k) for k in numbers)

    def classify_arrays(
        self, intake: npt.ArrayLike, session: npt.ArrayLike, score: npt.ArrayLike
    ) -> npt.NDArray[np.bool_]:
        """True where the score is off track (worse than the band's worse edge)."""
        _, lower, upper, _, _ = self.expected_arrays(intake, session)
        y = np.asarray(score, dtype=np.float64)
        off: npt.NDArray[np.bool_] = y > upper if self.lower_is_better else y < lower
        return off

    def classify(self, intake: float, session: int, score: float) -> TrackStatus:
        off = bool(self.classify_arrays([intake], [session], [score])[0])
        return TrackStatus.OFF_TRACK if off else TrackStatus.ON_TRACK


def _as_arrays(
    history: Iterable[tuple[Any, int, float]],
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64], FloatArray]:
    rows = list(history)
    if not rows:
        return np.array([]), np.array([], dtype=np.int64), np.array([], dtype=np.float64)
    clients, sessions, scores = zip(*rows, strict=True)
    return (
        np.asarray(clients),
        np.asarray(sessions, dtype=np.int64),
        np.asarray(scores, dtype=np.float64),
    )


def fit_trajectories(
    history: Iterable[tuple[Any, int, float]] | tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    *,
    score_min: float,
    score_max: float,
    lower_is_better: bool = True,
    bin_width: float | None = None,
    max_session: int = 20,
    prior: TrajectoryPrior | None = None,
    prior_strength: float = 20.0,
    z: float = Z_10_90,
) -> TrajectoryModel:
    """Fit from (client_id, session_number, score) rows, or a tuple of three arrays.

    Each client's earliest session is their intake. Sessions are numbered from 1 (intake);
    later sessions beyond `max_session` are left out.
    """
    if isinstance(history, tuple) and len(history) == 3 and not _looks_like_row(history):
        clients = np.asarray(history[0])
        sessions = np.asarray(history[1], dtype=np.int64)
        scores = np.asarray(history[2], dtype=np.float64)
    else:
        clients, sessions, scores = _as_arrays(history)  # type: ignore[arg-type]
    if not (len(clients) == len(sessions) == len(scores)):
        raise ValueError("client, session and score columns differ in length")
    if len(scores) and (np.nanmin(scores) < score_min or np.nanmax(scores) > score_max):
        raise ValueError(f"scores must lie within {score_min:g} to {score_max:g}")
    width = bin_width if bin_width is not None else max(1.0, round((score_max - score_min) / 9))
    n_bins = math.floor((score_max - score_min) / width) + 1
    if prior is None:
        best = score_min if lower_is_better else score_max
        prior = TrajectoryPrior(best=best, sd=(score_max - score_min) / 6)
    width_s = max_session + 1

    counts = np.zeros(n_bins * width_s, dtype=np.int64)
    sums = np.zeros(n_bins * width_s)
    sumsq = np.zeros(n_bins * width_s)
    if len(scores):
        _, client_code = np.unique(clients, return_inverse=True)
        order = np.lexsort((sessions, client_code))
        code, session, score = client_code[order], sessions[order], scores[order]
        first = np.ones(len(code), dtype=bool)
        first[1:] = code[1:] != code[:-1]
        intake = score[first][np.cumsum(first) - 1]
        bins = np.clip(np.floor((intake - score_min) / width).astype(np.int64), 0, n_bins - 1)
        keep = ~first & (session >= 2) & (session <= max_session)
        cell = bins[keep] * width_s + session[keep]
        change = score[keep] - intake[keep]
        size = n_bins * width_s
        counts = np.bincount(cell, minlength=size).astype(np.int64)
        sums = np.bincount(cell, weights=change, minlength=size).astype(np.float64)
        sumsq = np.bincount(cell, weights=change**2, minlength=size).astype(np.float64)

    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        var = np.where(
            counts > 1, (sumsq - counts * np.nan_to_num(mean) ** 2) / (counts - 1), np.nan
        )
    var = np.where(np.isnan(var), np.nan, np.maximum(var, 0.0))
    return TrajectoryModel(
        score_min=score_min,
        score_max=score_max,
        lower_is_better=lower_is_better,
        bin_width=width,
        max_session=max_session,
        counts=counts.reshape(n_bins, width_s),
        mean_change=mean.reshape(n_bins, width_s),
        var_change=var.reshape(n_bins, width_s),
        prior=prior,
        prior_strength=prior_strength,
        z=z,
    )


def _looks_like_row(history: tuple[Any, ...]) -> bool:
    """A single (client, session, score) row rather than three columns."""
    return not hasattr(history[0], "__len__") or isinstance(history[0], str)


def fit_for_instrument(
    instrument: Instrument,
    history: Iterable[tuple[Any, int, float]] | tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    **options: Any,
) -> TrajectoryModel:
    """Fit with the instrument's range and direction; the prior's tolerance SD defaults to
    three quarters of the instrument's reference SD (a deliberately wide assumption, so that
    with little data few clients are called off track on the prior alone)."""
    if "prior" not in options:
        best = instrument.total_min if instrument.lower_is_better else instrument.total_max
        spread = (
            0.75 * instrument.reliable_change.sd
            if instrument.reliable_change
            else (instrument.total_max - instrument.total_min) / 6
        )
        options["prior"] = TrajectoryPrior(best=best, sd=spread)
    return fit_trajectories(
        history,
        score_min=instrument.total_min,
        score_max=instrument.total_max,
        lower_is_better=instrument.lower_is_better,
        **options,
    )
