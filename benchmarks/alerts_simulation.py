"""The monitor's one-card-per-client policy on simulated cohorts: simulation, not clinical
evidence.

Two worlds (``_alert_worlds.py``), fixed before anything was fitted or tuned and both
calibrated to published base rates (dropout about 20%, reliable deterioration about 7%): a
*calibrated* world in which ruptures drive dropout, and a structurally different
*alternative* world in which symptoms do. Each run simulates 2,000 clients per seed over a
16-week course; seeds 1–10 tune, seeds 11–20 report.

After every session k the history as it stood then is cut from the arrays and turned into
the risk model's features (``risk.features``); PHQ-9 verdicts come from an OQ-style expected
trajectory per intake band fitted on the world's tuning seeds (off track above mean + 1 SD).
A client-session is *at risk* while the client is still in treatment and has had no event;
its label is 1 when the event (dropout, or the true PHQ-9 reaching intake + 6 for good)
happens within the next ``risk.HORIZON`` sessions.

- The prior: ``risk.fit`` on every at-risk client-session of the calibrated world's tuning
  seeds; the budget's ``open_at`` and ``close_below`` on the same seeds (largest sensitivity
  with specificity >= 0.80 and a mean weekly flagged share <= 0.20). ``--write-prior``
  writes both to ``alliance/measures/alerts/risk_prior.json``.
- ``combined``: caseloads of 25 consecutive clients; after each session ``budget.attention``
  decides which active clients carry a card (budget 20%, hysteresis, three missed sessions
  open a card). In the alternative world the model is the practice's nightly refit
  (``risk.refit``, shrunk toward the prior) on its own tuning seeds, with the shipped
  thresholds; ``combined_prior_only`` uses the prior as shipped.
- ``not_on_track``: an OQ-style baseline, flagged while the latest PHQ-9 verdict is off
  track, its tolerance z set by bisection so that its mean weekly flagged share equals the
  combined policy's on the report seeds.

Metrics pooled over the report seeds: sensitivity (event clients who carried a card while in
treatment: a dropout up to the last session before leaving, a deteriorator at any time),
specificity (clients without an event never flagged), PPV (of the clients ever flagged, the
share with an event), mean (and max) weekly flagged share of active clients, median lead
(event session − first flag, over detected clients; negative when a deteriorator is first
flagged after the event) and ECE (10 equal-width bins) of the per-session risk against the
label over at-risk client-sessions.

Run: ``.venv/bin/python benchmarks/alerts_simulation.py [--markdown] [--quick] [--write-prior]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from _alert_worlds import WORLDS, Cohort, base_rates, simulate

from alliance.measures.alerts import RuleConfig, budget, risk
from alliance.measures.alerts.batch import OutcomeArrays

PRIOR_PATH = Path(__file__).resolve().parent.parent / "alliance/measures/alerts/risk_prior.json"
PRIOR_SOURCE = (
    "benchmarks/alerts_simulation.py, calibrated world, seeds 1-10 (simulation, not clinical data)"
)
CASELOAD = 25
SHARE = budget.DEFAULT_SHARE
# OQ-style tolerance of the verdicts the model reads (off track above mean + z SD); fixed
# at one SD, not tuned.
VERDICT_Z = 1.0
# Targets of the budget tuning.
SPECIFICITY_FLOOR, SHARE_CEILING = 0.80, 0.20
OPEN_GRID = tuple(round(0.02 + 0.01 * i, 2) for i in range(59))  # 0.02 … 0.60
CLOSE_RATIOS = (0.6, 0.75, 0.9)
METRICS = (
    "sensitivity",
    "specificity",
    "ppv",
    "weekly_flagged_share",
    "median_lead_sessions",
    "ece",
)


@dataclasses.dataclass(frozen=True)
class Setup:
    clients: int
    tune: tuple[int, ...]
    report: tuple[int, ...]


FULL = Setup(2000, tuple(range(1, 11)), tuple(range(11, 21)))
QUICK = Setup(400, (1, 2), (11, 12))


# -- expected trajectories (OQ-style, from the tuning seeds) ---------------------------------


@dataclasses.dataclass(frozen=True)
class Trajectory:
    mean: np.ndarray  # (bins, sessions)
    sd: np.ndarray
    edges: np.ndarray

    @classmethod
    def fit(cls, cohorts: Iterable[Cohort]) -> Trajectory:
        total = np.concatenate([c.data.outcomes["phq9"].total for c in cohorts])
        edges = np.array([5, 10, 15, 20])
        bins = np.digitize(total[:, 0], edges)
        mean = np.full((len(edges) + 1, total.shape[1]), np.nan)
        sd = np.full_like(mean, np.nan)
        with warnings.catch_warnings():
            # sessions nobody in a bin was measured at stay NaN (no verdict there)
            warnings.simplefilter("ignore", RuntimeWarning)
            for i in range(len(edges) + 1):
                rows = total[bins == i]
                if len(rows):
                    mean[i] = np.nanmean(rows, axis=0)
                    sd[i] = np.nanstd(rows, axis=0)
        return cls(mean, sd, edges)

    def verdicts(self, total: np.ndarray, z: float) -> np.ndarray:
        """1 on track, 0 off track (above expected + z SD), NaN where unmeasured or at intake."""
        bins = np.digitize(total[:, 0], self.edges)
        with np.errstate(invalid="ignore"):
            v = np.where(total > self.mean[bins] + z * self.sd[bins], 0.0, 1.0)
        v[:, 0] = np.nan
        return np.where(np.isnan(total), np.nan, v)


# -- the history after each session ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sessions:
    """(sessions, clients) views of one or more cohorts, sessions 1..s as rows."""

    x: np.ndarray  # (s, n, features)
    active: np.ndarray  # still in treatment at session k
    at_risk: np.ndarray  # in treatment and no event yet
    y: np.ndarray  # event within the next HORIZON sessions (at-risk rows only)
    missed: np.ndarray  # the "missed" feature (late cancellations + no-shows, last 4)
    total: np.ndarray  # (n, s) observed PHQ-9 for the baseline
    event: np.ndarray  # (n,)
    event_session: np.ndarray  # (n,)
    dropped: np.ndarray  # (n,) left before the planned end

    @property
    def session(self) -> np.ndarray:
        s, n = self.active.shape
        return np.broadcast_to(np.arange(1, s + 1)[:, None], (s, n))

    @staticmethod
    def concat(parts: list[Sessions]) -> Sessions:
        return Sessions(
            x=np.concatenate([p.x for p in parts], axis=1),
            active=np.concatenate([p.active for p in parts], axis=1),
            at_risk=np.concatenate([p.at_risk for p in parts], axis=1),
            y=np.concatenate([p.y for p in parts], axis=1),
            missed=np.concatenate([p.missed for p in parts], axis=1),
            total=np.concatenate([p.total for p in parts]),
            event=np.concatenate([p.event for p in parts]),
            event_session=np.concatenate([p.event_session for p in parts]),
            dropped=np.concatenate([p.dropped for p in parts]),
        )

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features, sessions and labels of every at-risk client-session."""
        m = self.at_risk
        return self.x[m], self.session[m], self.y[m]


def sessions_of(cohort: Cohort, trajectory: Trajectory, config: RuleConfig) -> Sessions:
    data = cohort.data
    n, s = data.shape
    phq = data.outcomes["phq9"]
    verdicts = trajectory.verdicts(phq.total, VERDICT_Z)
    xs = np.zeros((s, n, len(risk.FEATURES)))
    active = np.zeros((s, n), dtype=bool)
    for k in range(1, s + 1):
        keep = np.arange(s)[None, :] < k

        def cut(x: np.ndarray, keep: np.ndarray = keep) -> np.ndarray:
            return np.where(keep, x, np.nan)

        prefix = dataclasses.replace(
            data,
            goal=cut(data.goal),
            task=cut(data.task),
            bond=cut(data.bond),
            therapist_goal=cut(data.therapist_goal),
            therapist_task=cut(data.therapist_task),
            therapist_bond=cut(data.therapist_bond),
            outcomes={"phq9": OutcomeArrays(cut(phq.total), cut(verdicts), cut(phq.item9))},
            attendance=np.where(keep, data.attendance, 0).astype(np.int8),
            late_minutes=cut(data.late_minutes),
            skipped=data.skipped & keep,
            messages=cut(data.messages),
            goals_co_agreed=(cohort.goals_at <= k).astype(float),
            goals_sessions=np.full(n, k, dtype=np.int64),
        )
        alive = (cohort.dropout_at == 0) | (k < cohort.dropout_at)
        with warnings.catch_warnings():
            # nanmean over a client without goal/task ratings yet warns; the feature is 0
            warnings.simplefilter("ignore", RuntimeWarning)
            xs[k - 1] = risk.features(prefix, config)
        assert (risk.current_session(prefix)[alive] == k).all()
        active[k - 1] = alive
    k = np.arange(1, s + 1)[:, None]
    due = cohort.event_session[None, :]
    at_risk = active & ((due == 0) | (k < due))
    y = at_risk & cohort.event[None, :] & (due - k <= risk.HORIZON)
    missed = xs[:, :, risk.FEATURE_NAMES.index("missed")]
    return Sessions(
        xs,
        active,
        at_risk,
        y,
        missed,
        phq.total,
        cohort.event,
        cohort.event_session,
        cohort.dropout_at > 0,
    )


# -- policies ---------------------------------------------------------------------------------


def cards(risks: np.ndarray, view: Sessions, b: budget.Budget) -> np.ndarray:
    """``budget.attention`` after every session, per caseload of consecutive clients."""
    s, n = risks.shape
    flagged = np.zeros((s, n), dtype=bool)
    open_now = np.zeros(n, dtype=bool)
    must = view.missed >= budget.MISSED_MUST_OPEN
    for start in range(0, n, CASELOAD):
        idx = np.arange(start, min(start + CASELOAD, n))
        for k in range(s):
            members = idx[view.active[k, idx]]
            if not len(members):
                open_now[idx] = False
                continue
            keep = budget.attention(
                risks[k, members].tolist(),
                open_now[members].tolist(),
                b,
                must_open=must[k, members].tolist(),
            )
            open_now[idx] = False  # a client who left is no longer in the caseload
            open_now[members] = keep
            flagged[k, members] = keep
    return flagged


def cards_fast(risks: np.ndarray, view: Sessions, b: budget.Budget) -> np.ndarray:
    """The same as ``cards``, vectorised over caseloads (for the threshold grid; checked
    against ``cards`` at the chosen thresholds)."""
    s, n = risks.shape
    c = n // CASELOAD
    r = risks.reshape(s, c, CASELOAD)
    act = view.active.reshape(s, c, CASELOAD)
    # three missed sessions open a card within the budget, a high risk on top of it
    must = (view.missed >= budget.MISSED_MUST_OPEN).reshape(s, c, CASELOAD)
    high = (risks >= b.high_at).reshape(s, c, CASELOAD)
    rows = np.arange(c)[:, None]
    open_now = np.zeros((c, CASELOAD), dtype=bool)
    out = np.zeros((s, c, CASELOAD), dtype=bool)
    for k in range(s):
        a = act[k]
        count = a.sum(axis=1)
        cap = np.where(count > 0, np.maximum(1, np.floor(b.share * count + 1e-9)), 0)
        keep = a & (must[k] | high[k] | (open_now & (r[k] >= b.close_below)))
        # high cards come on top of the budget; the others kept use its room
        room = cap - (keep & ~high[k]).sum(axis=1)
        new = a & ~keep & (r[k] >= b.open_at)
        order = np.argsort(np.where(new, -r[k], np.inf), axis=1, kind="stable")
        rank = np.empty_like(order)
        rank[rows, order] = np.arange(CASELOAD)[None, :]
        open_now = keep | (new & (rank < np.maximum(room, 0)[:, None]))
        out[k] = open_now
    return out.reshape(s, n)


def latest_off_track(total: np.ndarray, trajectory: Trajectory, z: float) -> np.ndarray:
    """(s, n): the latest PHQ-9 verdict up to session k is off track."""
    v = trajectory.verdicts(total, z)
    s = v.shape[1]
    idx = np.where(~np.isnan(v), np.arange(s)[None, :], -1)
    idx = np.maximum.accumulate(idx, axis=1)
    latest = np.where(idx >= 0, v[np.arange(len(v))[:, None], np.maximum(idx, 0)], np.nan)
    return (latest == 0).T


# -- metrics ----------------------------------------------------------------------------------


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-width bins, weighted by count."""
    b = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for i in range(bins):
        m = b == i
        if m.any():
            total += m.sum() * abs(float(p[m].mean()) - float(y[m].mean()))
    return total / max(len(p), 1)


def score(flagged: np.ndarray, view: Sessions, probability: np.ndarray) -> dict[str, float]:
    flagged = flagged & view.active
    ever = flagged.any(axis=0)
    first = np.where(ever, np.argmax(flagged, axis=0) + 1, 0)
    event = view.event
    # a client carries a card only while in treatment: for a dropout that is up to the last
    # session before leaving, for a deteriorator the whole course
    detected = event & ever
    lead = (view.event_session - first)[detected]
    weekly = flagged.sum(axis=1) / np.maximum(view.active.sum(axis=1), 1)
    m = view.at_risk
    return {
        "sensitivity": float(detected.sum() / max(event.sum(), 1)),
        "specificity": float((~event & ~ever).sum() / max((~event).sum(), 1)),
        "ppv": float((event & ever).sum() / max(ever.sum(), 1)),
        "weekly_flagged_share": float(weekly.mean()),
        "weekly_flagged_share_max": float(weekly.max()),
        "median_lead_sessions": float(np.median(lead)) if len(lead) else float("nan"),
        "ece": ece(probability[m], view.y[m].astype(float)),
        # the split of the sensitivity, for the docs
        "sensitivity_dropout": float(ever[view.dropped].mean()),
        "sensitivity_deterioration": float(ever[event & ~view.dropped].mean()),
        "ever_flagged": float(ever.mean()),
    }


# -- fitting and tuning -----------------------------------------------------------------------


def rounded(model: risk.RiskModel) -> risk.RiskModel:
    doc = model.to_json()
    doc["intercept"] = round(model.intercept, 4)
    doc["time"] = round(model.time, 4)
    doc["weights"] = {k: round(v, 4) for k, v in model.weights.items()}
    return risk.RiskModel.from_json(doc)


def predict(model: risk.RiskModel, view: Sessions) -> np.ndarray:
    s, n, f = view.x.shape
    flat = model.predict(view.x.reshape(s * n, f), view.session.reshape(s * n))
    return flat.reshape(s, n)


def tune_budget(
    probability: np.ndarray, view: Sessions
) -> tuple[budget.Budget, dict[str, float], bool]:
    """Largest sensitivity with specificity >= 0.80 and weekly share <= 0.20; when no
    threshold meets both, the one with the largest specificity."""
    best: tuple[tuple[float, ...], budget.Budget, dict[str, float]] | None = None
    fallback: tuple[tuple[float, ...], budget.Budget, dict[str, float]] | None = None
    nothing = np.zeros_like(probability)
    for open_at in OPEN_GRID:
        for ratio in CLOSE_RATIOS:
            b = budget.Budget(SHARE, open_at, round(ratio * open_at, 4))
            m = score(cards_fast(probability, view, b), view, nothing)
            ok = (
                m["specificity"] >= SPECIFICITY_FLOOR and m["weekly_flagged_share"] <= SHARE_CEILING
            )
            key = (m["sensitivity"], m["specificity"])
            if ok and (best is None or key > best[0]):
                best = (key, b, m)
            fb = (m["specificity"], m["sensitivity"])
            if fallback is None or fb > fallback[0]:
                fallback = (fb, b, m)
    assert fallback is not None
    chosen = best if best is not None else fallback
    return chosen[1], chosen[2], best is not None


def baseline_z(target: float, view: Sessions, trajectory: Trajectory) -> float:
    """z at which the not-on-track baseline's mean weekly flagged share equals ``target``."""

    def share(z: float) -> float:
        flagged = latest_off_track(view.total, trajectory, z) & view.active
        return float((flagged.sum(axis=1) / np.maximum(view.active.sum(axis=1), 1)).mean())

    lo, hi = -3.0, 8.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if share(mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# -- the run ----------------------------------------------------------------------------------


def world_sessions(
    params: dict[str, float], setup: Setup, config: RuleConfig
) -> tuple[Trajectory, Sessions, Sessions, dict[str, dict[str, float]]]:
    tune = [simulate(params, seed, setup.clients) for seed in setup.tune]
    report = [simulate(params, seed, setup.clients) for seed in setup.report]
    trajectory = Trajectory.fit(tune)
    t = Sessions.concat([sessions_of(c, trajectory, config) for c in tune])
    r = Sessions.concat([sessions_of(c, trajectory, config) for c in report])
    rates = {"tune": base_rates(tune), "report": base_rates(report)}
    for key, view in (("tune", t), ("report", r)):
        rates[key]["at_risk_client_sessions"] = int(view.at_risk.sum())
        rates[key]["label_rate"] = round(float(view.y[view.at_risk].mean()), 4)
    return trajectory, t, r, rates


def prior_document(model: risk.RiskModel, b: budget.Budget) -> dict[str, object]:
    doc = model.to_json()
    doc["budget"] = {"open_at": round(b.open_at, 4), "close_below": round(b.close_below, 4)}
    return doc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    parser.add_argument("--quick", action="store_true", help="a small run for smoke tests")
    parser.add_argument("--write-prior", action="store_true", help=f"write {PRIOR_PATH.name}")
    args = parser.parse_args()
    setup = QUICK if args.quick else FULL
    assert setup.clients % CASELOAD == 0
    started = time.perf_counter()
    config = RuleConfig()
    worlds = {name: world_sessions(p, setup, config) for name, p in WORLDS.items()}
    seeds = {
        "tune": [setup.tune[0], setup.tune[-1]],
        "report": [setup.report[0], setup.report[-1]],
    }
    print(
        json.dumps(
            {
                "benchmark": "alerts.worlds",
                "clients_per_seed": setup.clients,
                "seeds": seeds,
                "worlds": {
                    name: {"params": WORLDS[name], "base_rates": worlds[name][3]} for name in WORLDS
                },
            }
        ),
        flush=True,
    )

    # the prior and the thresholds: calibrated world, tuning seeds
    _, cal_tune, _, _ = worlds["calibrated"]
    prior = rounded(risk.fit(*cal_tune.rows(), source=PRIOR_SOURCE))
    shipped, tuned, feasible = tune_budget(predict(prior, cal_tune), cal_tune)
    check = cards(predict(prior, cal_tune), cal_tune, shipped)
    assert (check == cards_fast(predict(prior, cal_tune), cal_tune, shipped)).all()

    # alternative world: the practice's refit, shrunk toward the prior
    _, alt_tune, _, _ = worlds["alternative"]
    practice = risk.refit(
        *alt_tune.rows(), prior=prior, source="alternative world, tuning seeds (refit)"
    )

    results: dict[tuple[str, str], dict[str, float]] = {}
    baselines: dict[str, dict[str, float]] = {}
    variants = [
        ("calibrated", "combined", prior),
        ("alternative", "combined", practice),
        ("alternative", "combined_prior_only", prior),
    ]
    for world, policy, model in variants:
        trajectory, tune_view, report_view, _ = worlds[world]
        p = predict(model, report_view)
        results[(world, policy)] = score(cards(p, report_view, shipped), report_view, p)
        if policy != "combined":
            continue
        target = results[(world, policy)]["weekly_flagged_share"]
        z = baseline_z(target, report_view, trajectory)
        # two-level probability from the tuning seeds: the label rate among flagged and
        # among unflagged at-risk client-sessions
        tf = latest_off_track(tune_view.total, trajectory, z)
        m = tune_view.at_risk
        rate_on = float(tune_view.y[m & tf].mean()) if (m & tf).any() else 0.0
        rate_off = float(tune_view.y[m & ~tf].mean())
        flagged = latest_off_track(report_view.total, trajectory, z)
        prob = np.where(flagged, rate_on, rate_off)
        results[(world, "not_on_track")] = score(flagged, report_view, prob)
        baselines[world] = {
            "z": round(z, 4),
            "rate_flagged": round(rate_on, 4),
            "rate_unflagged": round(rate_off, 4),
        }

    document = prior_document(prior, shipped)
    print(
        json.dumps(
            {
                "benchmark": "alerts.prior",
                "prior": document,
                "tuning": {
                    "seeds": seeds["tune"],
                    "constraints_met": feasible,
                    **{k: round(v, 4) for k, v in tuned.items() if k != "ece"},
                },
                "alternative_refit": {
                    "intercept": round(practice.intercept, 4),
                    "time": round(practice.time, 4),
                    "weights": {k: round(v, 4) for k, v in practice.weights.items()},
                    "events": practice.events,
                    "observations": practice.observations,
                },
                "verdict_z": VERDICT_Z,
                "baseline_not_on_track": baselines,
            }
        ),
        flush=True,
    )
    order = [
        ("calibrated", "combined"),
        ("calibrated", "not_on_track"),
        ("alternative", "combined"),
        ("alternative", "not_on_track"),
        ("alternative", "combined_prior_only"),
    ]
    for world, policy in order:
        values = results[(world, policy)]
        for metric in METRICS:
            line: dict[str, object] = {
                "benchmark": "alerts.evaluation",
                "metric": metric,
                "params": {"policy": policy, "world": world},
                "value": round(values[metric], 3),
                "seeds": seeds,
            }
            if metric == "weekly_flagged_share":
                line["max"] = round(values["weekly_flagged_share_max"], 3)
            print(json.dumps(line), flush=True)
    for world, policy in order:
        values = results[(world, policy)]
        detail = ("sensitivity_dropout", "sensitivity_deterioration", "ever_flagged")
        print(
            json.dumps(
                {
                    "benchmark": "alerts.detail",
                    "params": {"policy": policy, "world": world},
                    **{k: round(values[k], 3) for k in detail},
                    "seeds": seeds,
                }
            ),
            flush=True,
        )
    if args.write_prior:
        PRIOR_PATH.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        print()
        print(
            "| world | policy | sensitivity | specificity | PPV | weekly flagged share "
            "(max) | median lead (sessions) | ECE |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for world, policy in order:
            v = results[(world, policy)]
            print(
                f"| {world} | {policy} | {v['sensitivity']:.3f} | {v['specificity']:.3f} | "
                f"{v['ppv']:.3f} | {v['weekly_flagged_share']:.3f} "
                f"({v['weekly_flagged_share_max']:.3f}) | {v['median_lead_sessions']:g} | "
                f"{v['ece']:.3f} |"
            )
        print()

        # what each signal adds to the log-odds on average, label-1 rows minus label-0 rows
        # of the tuning seeds the model was fitted on
        def separation(model: risk.RiskModel, view: Sessions) -> np.ndarray:
            x, _, y = view.rows()
            return model.vector * (x[y].mean(axis=0) - x[~y].mean(axis=0))

        sep_prior = separation(prior, cal_tune)
        sep_refit = separation(practice, alt_tune)
        print(
            "| feature | prior weight | added log-odds, label 1 − 0 (calibrated) "
            "| alternative refit weight | added log-odds, label 1 − 0 (alternative) |"
        )
        print("|---|---|---|---|---|")
        for i, name in enumerate(risk.FEATURE_NAMES):
            print(
                f"| {name} | {prior.weights[name]:.4f} | {sep_prior[i]:+.3f} | "
                f"{practice.weights[name]:.4f} | {sep_refit[i]:+.3f} |"
            )
        print(
            f"| intercept / log(session) | {prior.intercept:.4f} / {prior.time:.4f} | | "
            f"{practice.intercept:.4f} / {practice.time:.4f} | |"
        )
    print(
        json.dumps(
            {"benchmark": "alerts.run", "wall_seconds": round(time.perf_counter() - started, 1)}
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
