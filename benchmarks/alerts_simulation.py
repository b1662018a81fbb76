"""Alert rules on a simulated cohort with known outcomes: simulation, not clinical evidence.

The simulator's parameters are fixed here, before any threshold is tuned, and each carries
its source or is marked as an assumption. Thresholds are tuned on one seed (``TUNE_SEED``)
and reported on another (``REPORT_SEED``). A client has an *event* when they drop out before
the planned end of treatment or end it reliably deteriorated (true PHQ-9 >= intake + 6). For
each rule: sensitivity (event clients alerted before the event), specificity (clients
without an event never alerted over the whole course), median lead time (sessions from the
first alert to the event), and an OQ-style "not on track only" baseline whose tolerance is
set to the rule's specificity on the report seed.

Run: ``.venv/bin/python benchmarks/alerts_simulation.py [--markdown]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import warnings

import numpy as np

from alliance.measures.alerts import AlertKind, RuleConfig
from alliance.measures.alerts.batch import (
    ATTENDED,
    LATE_CANCELLATION,
    NO_SHOW,
    BatchInput,
    OutcomeArrays,
    evaluate_batch,
)

TUNE_SEED, REPORT_SEED = 11, 23

# -- simulator parameters (fixed before tuning) ---------------------------------------------
PARAMS: dict[str, float] = {
    "clients": 6000,
    "planned_sessions": 16,  # assumption: one 16-session course, weekly
    # Flückiger et al. 2018: alliance–outcome r = .278 (internet-based .275).
    "alliance_outcome_r": 0.28,
    # Intake PHQ-9 ~ N(15, 5): most clients start at caseness (> 9); assumption.
    "intake_mean": 15.0,
    "intake_sd": 5.0,
    # Mean improvement 40% of intake by the planned end on a log(session) curve, as the OQ
    # expected recovery curves use log(session); size is an assumption.
    "mean_improvement": 0.40,
    "improvement_sd": 0.25,
    # Measurement error of an observed PHQ-9: SD 5 * sqrt(1 - .89) = 1.66 (Kroenke 2001 alpha).
    "phq9_sem": 1.66,
    # Assumption: a subgroup whose symptoms worsen, more likely with a weak alliance.
    "worsening_share": 0.08,
    "worsening_points": 9.0,
    # Ruptures per session; weaker alliances rupture more (assumption on sizes).
    "rupture_rate": 0.07,
    "rupture_alliance_slope": 0.6,
    "confrontation_share": 0.3,  # assumption: withdrawal ruptures are the more common kind
    "rupture_decay": 0.5,  # an unaddressed rupture's effect halves per session
    # Dropout hazard per session; confrontation ruptures raise it most (3RS validation:
    # confrontation ruptures predicted dropout, d = .74); sizes are assumptions.
    "dropout_base": 0.012,
    "dropout_confrontation": 0.12,
    "dropout_withdrawal": 0.05,
    "dropout_low_alliance": 0.02,  # per SD below the mean
    # Ceiling effects: about half the ratings at the top of the scale (54% perfect scores in
    # one large feedback system); ratings on a 1/8 grid like two 1–5 items.
    "rating_scale": 0.12,
    "rating_noise": 0.6,
    "therapist_sees_rupture": 0.3,
}


@dataclasses.dataclass(frozen=True)
class Cohort:
    """Full-course arrays (sessions beyond a dropout are NaN / no event)."""

    data: BatchInput
    true_score: np.ndarray
    intake: np.ndarray
    goals_at: np.ndarray
    dropout_at: np.ndarray  # first session not attended after leaving, or 0
    event: np.ndarray
    event_session: np.ndarray


def simulate(seed: int) -> Cohort:
    rng = np.random.default_rng(seed)
    n, s = int(PARAMS["clients"]), int(PARAMS["planned_sessions"])
    r = PARAMS["alliance_outcome_r"]
    alliance = rng.normal(size=n)
    improvement = PARAMS["mean_improvement"] + PARAMS["improvement_sd"] * (
        r * alliance + np.sqrt(1 - r * r) * rng.normal(size=n)
    )
    # the worsening subgroup is drawn with a weak-alliance tilt (logistic in alliance)
    p_worse = PARAMS["worsening_share"] * 2 / (1 + np.exp(0.8 * alliance))
    worsening = rng.random(n) < p_worse
    intake = np.clip(rng.normal(PARAMS["intake_mean"], PARAMS["intake_sd"], n), 0, 27)
    k = np.arange(1, s + 1)
    curve = np.log(k) / np.log(s)
    true = intake[:, None] * (1 - improvement[:, None] * curve[None, :])
    true = np.where(worsening[:, None], intake[:, None] + PARAMS["worsening_points"] * curve, true)
    true = np.clip(true, 0, 27)

    rupture_p = PARAMS["rupture_rate"] * np.exp(-PARAMS["rupture_alliance_slope"] * alliance)
    effect = np.zeros(n)
    withdrawal_on = np.zeros(n, dtype=bool)
    confrontation_recent = np.zeros(n)
    shape = (n, s)
    g, t, b, tg, tt, tb = (np.full(shape, np.nan) for _ in range(6))
    att = np.zeros(shape, dtype=np.int8)
    late = np.full(shape, np.nan)
    skipped = np.zeros(shape, dtype=bool)
    messages = np.full(shape, np.nan)
    msg_rate = rng.gamma(3.0, 1.0, n)
    active = np.ones(n, dtype=bool)
    dropout_at = np.zeros(n, dtype=np.int64)

    def rating(latent: np.ndarray) -> np.ndarray:
        noisy = latent + PARAMS["rating_noise"] * rng.normal(size=n)
        return np.round(np.clip(1 + PARAMS["rating_scale"] * noisy, 0, 1) * 8) / 8

    for j in range(s):
        ruptured = rng.random(n) < rupture_p
        confront = ruptured & (rng.random(n) < PARAMS["confrontation_share"])
        withdraw = ruptured & ~confront
        effect = effect * PARAMS["rupture_decay"] + 1.5 * confront + 1.0 * withdraw
        withdrawal_on = withdraw | (withdrawal_on & (rng.random(n) < 0.5))
        confrontation_recent = confrontation_recent * 0.5 + confront
        # attendance of this session
        u = rng.random(n)
        p_lc = 0.03 + 0.12 * withdrawal_on
        p_ns = 0.02 + 0.12 * withdrawal_on
        code = np.where(u < p_lc, LATE_CANCELLATION, np.where(u < p_lc + p_ns, NO_SHOW, ATTENDED))
        came = active & (code == ATTENDED)
        att[:, j] = np.where(active, code, 0)
        late_p = 0.06 + 0.2 * withdrawal_on
        late[:, j] = np.where(active, np.where(rng.random(n) < late_p, 15.0, 0.0), np.nan)
        latent = alliance - effect
        skip = came & (rng.random(n) < 0.08 + 0.25 * withdrawal_on)
        rated = came & ~skip
        for arr, extra in ((g, 0.0), (t, 0.0), (b, 0.5 * confront)):
            arr[:, j] = np.where(rated, rating(latent - extra), np.nan)
        seen = alliance - PARAMS["therapist_sees_rupture"] * effect
        for arr in (tg, tt, tb):
            arr[:, j] = np.where(came & (rng.random(n) < 0.7), rating(seen), np.nan)
        skipped[:, j] = skip
        week_rate = msg_rate * np.where(withdrawal_on, 0.3, 1.0)
        messages[:, j] = np.where(active, rng.poisson(week_rate), np.nan)
        # leaving after this session
        hazard = (
            PARAMS["dropout_base"]
            + PARAMS["dropout_confrontation"] * np.minimum(confrontation_recent, 1)
            + PARAMS["dropout_withdrawal"] * withdrawal_on
            + PARAMS["dropout_low_alliance"] * np.maximum(-alliance, 0)
        )
        leave = active & (j + 1 < s) & (j >= 1) & (rng.random(n) < hazard)
        dropout_at = np.where(leave, j + 2, dropout_at)
        active &= ~leave

    # PHQ-9 at intake and every second session, when the client came
    measured = (k % 2 == 1)[None, :] & (att == ATTENDED)
    measured[:, 0] = True
    observed = np.clip(np.round(true + PARAMS["phq9_sem"] * rng.normal(size=shape)), 0, 27)
    total = np.where(measured, observed, np.nan)
    item9 = np.where(measured, (rng.random(shape) < 0.02 * observed / 10).astype(float), np.nan)
    goals_at = 1 + rng.geometric(np.clip(0.55 + 0.15 * alliance, 0.1, 0.95))

    last_seen = np.where(dropout_at > 0, dropout_at - 1, s)
    final_true = true[np.arange(n), last_seen - 1]
    deteriorated = final_true >= intake + 6
    dropped = dropout_at > 0
    event = dropped | deteriorated
    event_session = np.where(dropped, dropout_at, np.where(deteriorated, s, 0))
    data = BatchInput(
        goal=g,
        task=t,
        bond=b,
        therapist_goal=tg,
        therapist_task=tt,
        therapist_bond=tb,
        outcomes={"phq9": OutcomeArrays(total, np.full(shape, np.nan), item9)},
        attendance=att,
        late_minutes=late,
        skipped=skipped,
        messages=messages,
        goals_co_agreed=np.zeros(n),
        goals_sessions=np.zeros(n, dtype=np.int64),
        intake_positive=np.zeros(n, dtype=bool),
        crisis_flags=np.zeros(n, dtype=np.int64),
    )
    return Cohort(data, true, intake, goals_at, dropout_at, event, event_session)


# -- expected trajectories (OQ-style, from the tuning cohort) -------------------------------


@dataclasses.dataclass(frozen=True)
class Trajectory:
    mean: np.ndarray  # (bins, sessions)
    sd: np.ndarray
    edges: np.ndarray

    @classmethod
    def fit(cls, cohort: Cohort) -> Trajectory:
        total = cohort.data.outcomes["phq9"].total
        edges = np.array([5, 10, 15, 20])
        bins = np.digitize(total[:, 0], edges)
        mean = np.full((len(edges) + 1, total.shape[1]), np.nan)
        sd = np.full_like(mean, np.nan)
        with warnings.catch_warnings():
            # sessions nobody in a bin was measured at stay NaN (no verdict there)
            warnings.simplefilter("ignore", RuntimeWarning)
            for i in range(len(edges) + 1):
                rows = total[bins == i]
                mean[i] = np.nanmean(rows, axis=0) if len(rows) else np.nan
                sd[i] = np.nanstd(rows, axis=0) if len(rows) else np.nan
        return cls(mean, sd, edges)

    def verdicts(self, cohort: Cohort, z: float) -> np.ndarray:
        """1 on track, 0 off track (above expected + z SD), NaN where unmeasured/intake."""
        total = cohort.data.outcomes["phq9"].total
        bins = np.digitize(total[:, 0], self.edges)
        upper = self.mean[bins] + z * self.sd[bins]
        v = np.where(total > upper, 0.0, 1.0)
        v[:, 0] = np.nan
        return np.where(np.isnan(total), np.nan, v)


# -- evaluation -----------------------------------------------------------------------------


def first_alert_sessions(
    cohort: Cohort, config: RuleConfig, verdicts: np.ndarray
) -> dict[AlertKind, np.ndarray]:
    """For each kind, the first session at which it fires (0 when it never does), evaluating
    the history as it stood after each session."""
    data = cohort.data
    n, s = data.shape
    first = {kind: np.zeros(n, dtype=np.int64) for kind in AlertKind}
    phq = data.outcomes["phq9"]
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
        # a client who has left produces no new evaluations
        alive = (cohort.dropout_at == 0) | (k < cohort.dropout_at)
        result = evaluate_batch(prefix, config)
        for kind in result.kinds:
            fired = result.flags(kind) & alive & (first[kind] == 0)
            first[kind][fired] = k
    return first


def score(first: np.ndarray, cohort: Cohort) -> dict[str, float]:
    event, at = cohort.event, cohort.event_session
    # dropout: alerts up to the last session attended; deterioration: any time in the course
    detected = event & (first > 0) & (first <= np.where(cohort.dropout_at > 0, at - 1, at))
    quiet = ~event & (first == 0)
    lead = (at - first)[detected]
    return {
        "sensitivity": float(detected.sum() / max(event.sum(), 1)),
        "specificity": float(quiet.sum() / max((~event).sum(), 1)),
        "median_lead_sessions": float(np.median(lead)) if len(lead) else float("nan"),
    }


def combine(firsts: list[np.ndarray]) -> np.ndarray:
    stacked = np.stack([np.where(f > 0, f, 10**6) for f in firsts])
    best = stacked.min(axis=0)
    return np.where(best == 10**6, 0, best)


MONITOR = (
    AlertKind.BOND,
    AlertKind.COLLABORATION,
    AlertKind.CHECKPOINT,
    AlertKind.AVOIDANCE,
    AlertKind.NOT_ON_TRACK,
    AlertKind.NO_RELIABLE_CHANGE,
    AlertKind.DETERIORATION,
)


def youden(first: np.ndarray, cohort: Cohort) -> float:
    m = score(first, cohort)
    return m["sensitivity"] + m["specificity"] - 1


def tune(cohort: Cohort, trajectory: Trajectory) -> tuple[RuleConfig, float, dict[str, object]]:
    """Grid-search each rule's thresholds on the tuning cohort (Youden's J per rule)."""
    bond_ratings = cohort.data.bond[~np.isnan(cohort.data.bond)]
    goal_ratings = cohort.data.goal[~np.isnan(cohort.data.goal)]
    cfg = RuleConfig()
    chosen: dict[str, object] = {}
    z_nat = 1.0
    base_verdicts = trajectory.verdicts(cohort, z_nat)

    def best(
        kind: AlertKind, options: list[tuple[str, RuleConfig, float]]
    ) -> tuple[RuleConfig, float]:
        scored = []
        for label, option, z in options:
            verdicts = trajectory.verdicts(cohort, z) if z != z_nat else base_verdicts
            first = first_alert_sessions(cohort, option, verdicts)[kind]
            scored.append((youden(first, cohort), label, option, z))
        j, label, option, z = max(scored, key=lambda x: x[0])
        chosen[kind.value] = {"setting": label, "youden_j_tuning": round(j, 3)}
        return option, z

    rep = dataclasses.replace
    opts = []
    for pct in (5, 10, 20):
        for drop in (0.125, 0.25, 0.375):
            weak = float(np.percentile(bond_ratings, pct))
            c = rep(cfg, bond=rep(cfg.bond, weak_at_or_below=weak, drop=drop))
            opts.append((f"weak<=p{pct} ({weak:.3f}), drop {drop}", c, z_nat))
    cfg, _ = best(AlertKind.BOND, opts)
    opts = []
    for pct in (5, 10, 20):
        for gap in (0.25, 0.5):
            weak = float(np.percentile(goal_ratings, pct))
            col = rep(
                cfg.collaboration,
                goal_weak_at_or_below=weak,
                task_weak_at_or_below=weak,
                perspective_gap=gap,
            )
            opts.append(
                (f"weak<=p{pct} ({weak:.3f}), gap {gap}", rep(cfg, collaboration=col), z_nat)
            )
    cfg, _ = best(AlertKind.COLLABORATION, opts)
    opts = [
        (f"mean<={m}", rep(cfg, checkpoint=rep(cfg.checkpoint, weak_mean_at_or_below=m)), z_nat)
        for m in (0.6, 0.7, 0.8)
    ]
    cfg, _ = best(AlertKind.CHECKPOINT, opts)
    opts = []
    for missed in (1, 2, 3):
        for skipped in (2, 3):
            a = rep(cfg.avoidance, missed=missed, skipped=skipped)
            opts.append((f"missed>={missed}, skipped>={skipped}", rep(cfg, avoidance=a), z_nat))
    cfg, _ = best(AlertKind.AVOIDANCE, opts)
    opts = [
        (f"after session {a}", rep(cfg, outcome=rep(cfg.outcome, no_change_after_session=a)), z_nat)
        for a in (6, 8, 10)
    ]
    cfg, _ = best(AlertKind.NO_RELIABLE_CHANGE, opts)
    opts = [(f"z={z}", cfg, z) for z in (0.5, 1.0, 1.5)]
    cfg, z = best(AlertKind.NOT_ON_TRACK, opts)
    chosen["deterioration"] = {"setting": "PHQ-9 >= 6 points (NHS Talking Therapies, not tuned)"}
    return cfg, z, chosen


def baseline_at(
    specificity: float, cohort: Cohort, trajectory: Trajectory, base: RuleConfig
) -> tuple[float, dict[str, float]]:
    """The not-on-track rule alone, its band widened or narrowed (bisection on z) until its
    specificity matches the given one."""

    def run(z: float) -> dict[str, float]:
        first = first_alert_sessions(cohort, base, trajectory.verdicts(cohort, z))
        return score(first[AlertKind.NOT_ON_TRACK], cohort)

    lo, hi = -1.0, 6.0
    for _ in range(14):
        mid = (lo + hi) / 2
        if run(mid)["specificity"] < specificity:
            lo = mid
        else:
            hi = mid
    return hi, run(hi)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    args = parser.parse_args()
    tuning, report = simulate(TUNE_SEED), simulate(REPORT_SEED)
    trajectory = Trajectory.fit(tuning)
    config, z, chosen = tune(tuning, trajectory)
    firsts = first_alert_sessions(report, config, trajectory.verdicts(report, z))
    rows: list[tuple[str, dict[str, float]]] = [
        (kind.value, score(firsts[kind], report)) for kind in MONITOR
    ]
    rows.append(
        ("monitor (any of the above)", score(combine([firsts[k] for k in MONITOR]), report))
    )
    rupture = (AlertKind.BOND, AlertKind.COLLABORATION, AlertKind.CHECKPOINT, AlertKind.AVOIDANCE)
    rows.append(("alliance rules only", score(combine([firsts[k] for k in rupture]), report)))
    cohort_facts = {
        "clients": int(PARAMS["clients"]),
        "event_rate": round(float(report.event.mean()), 3),
        "dropout_rate": round(float((report.dropout_at > 0).mean()), 3),
        "deterioration_rate": round(float((report.event & (report.dropout_at == 0)).mean()), 3),
        "bond_at_ceiling": round(float(np.nanmean(report.data.bond == 1.0)), 3),
    }
    print(
        json.dumps(
            {
                "simulation": "alerts",
                "seeds": {"tune": TUNE_SEED, "report": REPORT_SEED},
                "cohort": cohort_facts,
                "params": PARAMS,
                "tuned": chosen,
                "not_on_track_z": z,
            }
        )
    )
    table = []
    for name, metrics in rows:
        bz, base = baseline_at(metrics["specificity"], report, trajectory, config)
        line = {
            "rule": name,
            **{k: round(v, 3) for k, v in metrics.items()},
            "baseline_not_on_track_only": {
                "z": round(bz, 3),
                **{k: round(v, 3) for k, v in base.items()},
            },
        }
        table.append(line)
        print(json.dumps(line))
    if args.markdown:
        print()
        print(
            "| rule | sensitivity | specificity | median lead (sessions) "
            "| NOT-only sensitivity | NOT-only specificity | NOT-only median lead |"
        )
        print("|---|---|---|---|---|---|---|")
        for line in table:
            b = line["baseline_not_on_track_only"]
            assert isinstance(b, dict)
            print(
                f"| {line['rule']} | {line['sensitivity']:.2f} | {line['specificity']:.2f} | "
                f"{line['median_lead_sessions']:g} | {b['sensitivity']:.2f} | "
                f"{b['specificity']:.2f} | {b['median_lead_sessions']:g} |"
            )


if __name__ == "__main__":
    main()
