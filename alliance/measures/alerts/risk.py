"""One calibrated risk per client: the monitor's non-safety signals combined.

Every non-safety signal of the alert rules becomes a number that grows as the signal
worsens (``FEATURES``); a discrete-time hazard model turns them into the probability that
the client drops out or reliably deteriorates within the next ``horizon`` sessions:

    logit p = intercept + time · log(session) + Σ weight_f · x_f,   every weight_f ≥ 0.

The weights are bounded below by zero, so the risk never falls when a signal worsens and
everything else stays the same. Safety signals (PHQ-9 item 9, the intake screen, crisis
language) are deliberately not inputs: safety alerts are never budgeted, delayed or merged,
and a probability must not be able to talk anyone out of one.

The shipped prior (``risk_prior.json``) was fitted by ``benchmarks/alerts_simulation.py``
on the simulated calibrated world's tuning seeds; it is a simulation-derived starting point,
not a clinical model. ``fit`` refits on a practice's own history, shrunk toward the prior
(a ridge penalty centred on it), once the history holds ``MIN_EVENTS`` events.

Features are computed from ``BatchInput`` arrays as they stand (the last column with
data is the current session), so a whole practice, a simulated cohort after each session
and a single history (``assess``) go through the same arithmetic.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from .batch import BatchInput, OutcomeArrays, to_batch
from .config import RuleConfig
from .model import ClientHistory, Pillar
from .risk_features import (
    CHECKPOINT_UNTIL,
    FEATURE_NAMES,
    FEATURES,
    SIGNALS,
    Feature,
    current_session,
    features,
)

Float = NDArray[np.float64]

# Ten events per estimated parameter (Peduzzi et al. 1996, J Clin Epidemiol 49:1373) for the
# 16 coefficients; the ridge toward the prior makes fewer safe, but not far fewer.
MIN_EVENTS = 160
# Horizon of the prediction: "in the next weeks", four weekly sessions.
HORIZON = 4
# Ridge strength toward the prior, in the same units as the log-likelihood (one unit is
# worth about one client-session of evidence per coefficient).
PRIOR_STRENGTH = 50.0


# -- the model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskModel:
    """Coefficients of the hazard model and where they came from."""

    intercept: float
    time: float  # coefficient of log(session)
    weights: dict[str, float]
    horizon: int = HORIZON
    source: str = ""
    events: int = 0  # events the fit saw (0 for a model written by hand)
    observations: int = 0

    def __post_init__(self) -> None:
        missing = set(FEATURE_NAMES) - set(self.weights)
        if missing:
            raise ValueError(f"risk model lacks weights for: {', '.join(sorted(missing))}")
        for name, w in self.weights.items():
            if name not in FEATURE_NAMES:
                raise ValueError(f"risk model has an unknown feature: {name}")
            if not (math.isfinite(w) and w >= 0):
                raise ValueError(f"risk model weight {name}={w} must be a finite number >= 0")
        if not (math.isfinite(self.intercept) and math.isfinite(self.time)):
            raise ValueError("risk model intercept and time must be finite")

    @property
    def vector(self) -> Float:
        return np.array([self.weights[n] for n in FEATURE_NAMES])

    def logit(self, x: Float, session: NDArray[np.int64] | Float) -> Float:
        t = np.log(np.maximum(np.asarray(session, dtype=float), 1.0))
        return np.asarray(self.intercept + self.time * t + x @ self.vector)

    def predict(self, x: Float, session: NDArray[np.int64] | Float) -> Float:
        """Probability of dropout or reliable deterioration within ``horizon`` sessions."""
        return _sigmoid(self.logit(x, session))

    def to_json(self) -> dict[str, object]:
        return {
            "intercept": self.intercept,
            "time": self.time,
            "weights": dict(self.weights),
            "horizon": self.horizon,
            "source": self.source,
            "events": self.events,
            "observations": self.observations,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> RiskModel:
        if not isinstance(data, dict):
            raise ValueError("risk model: expected an object")
        weights = data.get("weights")
        if not isinstance(weights, dict):
            raise ValueError("risk model: 'weights' must be an object")

        def number(value: object, name: str) -> float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"risk model: '{name}' must be a number, got {value!r}")
            return float(value)

        for key in ("intercept", "time"):
            if key not in data:
                raise ValueError(f"risk model: '{key}' is missing")
        return cls(
            intercept=number(data["intercept"], "intercept"),
            time=number(data["time"], "time"),
            weights={str(k): number(v, f"weights.{k}") for k, v in weights.items()},
            horizon=int(number(data.get("horizon", HORIZON), "horizon")),
            source=str(data.get("source", "")),
            events=int(number(data.get("events", 0), "events")),
            observations=int(number(data.get("observations", 0), "observations")),
        )


def _sigmoid(z: Float) -> Float:
    return np.asarray(0.5 * (1 + np.tanh(0.5 * np.asarray(z))))


def prior_document() -> dict[str, object]:
    """The shipped prior: the model's coefficients and the budget's thresholds."""
    text = resources.files(__package__).joinpath("risk_prior.json").read_text(encoding="utf-8")
    document: dict[str, object] = json.loads(text)
    return document


PRIOR = RiskModel.from_json(prior_document())


def fit(
    x: Float,
    session: NDArray[np.int64] | Float,
    y: NDArray[np.bool_] | Float,
    *,
    prior: RiskModel | None = None,
    strength: float = PRIOR_STRENGTH,
    source: str = "",
) -> RiskModel:
    """Penalised maximum likelihood: the log-likelihood minus a ridge centred on the prior
    (on zero without one, with a small strength), signal weights bounded at zero."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2 or x.shape[1] != len(FEATURES) or len(y) != len(x):
        raise ValueError(f"fit needs (N, {len(FEATURES)}) features and N outcomes")
    t = np.log(np.maximum(np.asarray(session, dtype=float), 1.0))
    design = np.column_stack([np.ones(len(x)), t, x])
    if prior is None:
        rate = min(max(float(y.mean()) if len(y) else 0.1, 1e-3), 1 - 1e-3)
        centre = np.r_[math.log(rate / (1 - rate)), 0.0, np.zeros(len(FEATURES))]
        lam = 1.0
    else:
        centre = np.r_[prior.intercept, prior.time, prior.vector]
        lam = strength

    n = max(len(y), 1)

    def loss(beta: Float) -> tuple[float, Float]:
        # per observation, so the optimiser's tolerances mean the same at any size
        z = design @ beta
        # log(1 + e^z) - y z, written to stay finite for large |z|
        nll = float(np.sum(np.logaddexp(0.0, z) - y * z))
        d = beta - centre
        grad = design.T @ (_sigmoid(z) - y) + lam * d
        return (nll + 0.5 * lam * float(d @ d)) / n, grad / n

    bounds = [(None, None), (None, None)] + [(0.0, None)] * len(FEATURES)
    start = np.maximum(centre, [-np.inf, -np.inf] + [0.0] * len(FEATURES))
    result = minimize(
        loss,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-12, "gtol": 1e-8, "maxiter": 2000},
    )
    if not result.success:
        raise ValueError(f"risk model fit did not converge: {result.message}")
    beta = np.asarray(result.x)
    return RiskModel(
        intercept=float(beta[0]),
        time=float(beta[1]),
        weights={n: float(max(w, 0.0)) for n, w in zip(FEATURE_NAMES, beta[2:], strict=True)},
        source=source,
        events=int(y.sum()),
        observations=len(y),
    )


def refit(
    x: Float,
    session: NDArray[np.int64] | Float,
    y: NDArray[np.bool_] | Float,
    *,
    prior: RiskModel = PRIOR,
    source: str = "practice",
    events: int | None = None,
) -> RiskModel:
    """The practice's own model once its history holds ``MIN_EVENTS`` events (``events``:
    clients with an event; each also labels up to ``HORIZON`` rows, which are not
    independent, so the rows are counted only when it is not given); the prior until then."""
    if (events if events is not None else int(np.asarray(y).sum())) < MIN_EVENTS:
        return prior
    return fit(x, session, y, prior=prior, source=source)


def prefix(data: BatchInput, k: int) -> BatchInput:
    """The arrays as they stood after session ``k`` (message weeks are cut at week ``k``,
    which assumes weekly sessions; the goals status is the one known now)."""
    keep = np.arange(data.shape[1])[None, :] < k

    def cut(x: Float) -> Float:
        return np.where(keep, x, np.nan)

    weeks = np.arange(data.messages.shape[1])[None, :] < k
    return replace(
        data,
        goal=cut(data.goal),
        task=cut(data.task),
        bond=cut(data.bond),
        therapist_goal=cut(data.therapist_goal),
        therapist_task=cut(data.therapist_task),
        therapist_bond=cut(data.therapist_bond),
        outcomes={
            name: OutcomeArrays(
                cut(a.total), cut(a.on_track), None if a.item9 is None else cut(a.item9)
            )
            for name, a in data.outcomes.items()
        },
        attendance=np.where(keep, data.attendance, 0).astype(np.int8),
        late_minutes=cut(data.late_minutes),
        skipped=data.skipped & keep,
        messages=np.where(weeks, data.messages, np.nan),
        goals_sessions=np.minimum(data.goals_sessions, k),
    )


def training_set(
    data: BatchInput, event_at: NDArray[np.int64], config: RuleConfig | None = None
) -> tuple[Float, NDArray[np.int64], NDArray[np.bool_]]:
    """Discrete-time rows for ``fit``: one per client and session ``k`` while the client is
    at risk (seen at ``k``, no event yet), labelled 1 when the event (``event_at``, a
    session; 0 for none) falls within the next ``HORIZON`` sessions."""
    xs, ks, ys = [], [], []
    last = current_session(data)
    for k in range(1, data.shape[1] + 1):
        at_risk = (last >= k) & ((event_at == 0) | (event_at > k))
        if not at_risk.any():
            continue
        x = features(prefix(data, k), config)[at_risk]
        xs.append(x)
        ks.append(np.full(len(x), k, dtype=np.int64))
        ys.append(((event_at > k) & (event_at <= k + HORIZON))[at_risk])
    if not xs:
        return np.zeros((0, len(FEATURES))), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    return np.vstack(xs), np.concatenate(ks), np.concatenate(ys)


# -- one client -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One signal behind a risk: its share of the log-odds and the feature values."""

    signal: str
    pillar: Pillar
    contribution: float  # added log-odds
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Risk:
    probability: float
    session: int
    reasons: tuple[Reason, ...]  # ranked, largest contribution first; only those > 0
    values: dict[str, float] = field(default_factory=dict)  # every feature, as read

    @property
    def missed(self) -> int:
        """Late cancellations and no-shows in the last four appointments."""
        return int(self.values.get("missed", 0))

    @property
    def top_pillar(self) -> Pillar | None:
        return self.reasons[0].pillar if self.reasons else None


def reasons(x: Sequence[float], model: RiskModel) -> tuple[Reason, ...]:
    """The signals of one feature row ranked by what they add to the log-odds."""
    by_signal: dict[str, list[tuple[Feature, float, float]]] = {}
    for feature, value in zip(FEATURES, x, strict=True):
        by_signal.setdefault(feature.signal, []).append(
            (feature, float(value), model.weights[feature.name] * float(value))
        )
    found = []
    for signal, parts in by_signal.items():
        contribution = round(sum(c for _, _, c in parts), 4)
        if contribution <= 0:  # shown rounded: a reason adding "0.0" is no reason
            continue
        pillar = max(parts, key=lambda p: p[2])[0].pillar
        values = {f.name: round(v, 4) for f, v, _ in parts if v}
        found.append(Reason(signal, pillar, contribution, values))
    return tuple(sorted(found, key=lambda r: (-r.contribution, SIGNALS.index(r.signal))))


def assess(
    history: ClientHistory, config: RuleConfig | None = None, model: RiskModel = PRIOR
) -> Risk:
    """One client's risk and its ranked reasons, from the history as it stands."""
    return assess_many([history], config, model)[0]


def pack(histories: Sequence[ClientHistory]) -> BatchInput:
    """The histories as arrays just wide enough for their sessions and message weeks."""
    sessions = max(
        [1]
        + [c.session for h in histories for c in h.checkins]
        + [o.session for h in histories for o in h.outcomes]
        + [a.session for h in histories for a in h.attendance]
        + [s for h in histories for s in h.skipped_checkins]
    )
    weeks = max([1] + [len(h.messages_per_week) for h in histories])
    return to_batch(histories, sessions=sessions, weeks=weeks)


def assess_many(
    histories: Sequence[ClientHistory],
    config: RuleConfig | None = None,
    model: RiskModel = PRIOR,
) -> list[Risk]:
    """Each history's risk and reasons, computed together in one set of arrays."""
    if not histories:
        return []
    data = pack(histories)
    x = features(data, config)
    session = current_session(data)
    p = model.predict(x, np.maximum(session, 1))
    return [
        Risk(
            round(float(p[i]), 4),
            int(session[i]),
            reasons(x[i], model),
            {name: float(v) for name, v in zip(FEATURE_NAMES, x[i], strict=True)},
        )
        for i in range(len(histories))
    ]


def assess_batch(
    data: BatchInput, config: RuleConfig | None = None, model: RiskModel = PRIOR
) -> Float:
    """Every row's risk, for a whole practice or a simulated cohort."""
    x = features(data, config)
    return model.predict(x, np.maximum(current_session(data), 1))


def frequency(probability: float) -> tuple[int, int]:
    """The probability as "about N in D" for the card: tenths from 10%, hundredths below."""
    if probability >= 0.095:
        return max(1, round(probability * 10)), 10
    return max(1, round(probability * 100)), 100


__all__ = [
    "CHECKPOINT_UNTIL",
    "FEATURES",
    "FEATURE_NAMES",
    "HORIZON",
    "MIN_EVENTS",
    "PRIOR",
    "SIGNALS",
    "Feature",
    "Reason",
    "Risk",
    "RiskModel",
    "assess",
    "assess_batch",
    "assess_many",
    "current_session",
    "features",
    "fit",
    "frequency",
    "pack",
    "prefix",
    "refit",
    "training_set",
]
