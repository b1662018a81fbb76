"""The two simulated worlds of ``alerts_simulation.py``: simulation, not clinical evidence.

Both worlds share one generator; they differ only in their parameters, and every parameter
carries its source or is marked "assumption".

- The *calibrated* world is the monitor's own story: ruptures (withdrawal and
  confrontation, Safran & Muran's markers) drive dropout, missed and late appointments,
  skipped check-ins and fading messages; alliance–outcome r = .28.
- The *alternative* world is structurally different: dropout is driven by symptoms (the
  hazard rises while the client's true PHQ-9 is worse than expected for their intake),
  not by ruptures; ruptures still lower ratings, attendance and messages; deterioration
  starts at a random session and is not tied to the alliance; alliance–outcome r = .20.

Both are calibrated to the same published base rates, dropout about 20% (Swift & Greenberg
2012, 19.7% across 669 studies) and reliable deterioration 5–10% of adult clients
(Lambert; aim about 7%). The base hazards and the worsening shares were set to hit those
rates before any model was fitted or threshold tuned; nothing here was changed after seeing
how the monitor performs.

A client has an *event* when they drop out before the planned end or end the course
reliably deteriorated (true PHQ-9 at the last attended session ≥ intake + 6, the NHS
Talking Therapies threshold). The event *time* of a dropout is the first session not
attended after leaving; of a deteriorator, the first session from which the true score
stays at or above intake + 6 until their last session; of a client with both, the earlier.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from alliance.measures.alerts.batch import (
    ATTENDED,
    LATE_CANCELLATION,
    NO_SHOW,
    BatchInput,
    OutcomeArrays,
)

# NHS Talking Therapies reliable deterioration on PHQ-9 (the event threshold, not tuned).
RELIABLE_CHANGE = 6.0

# -- the calibrated world (ruptures drive dropout) --------------------------------------------
CALIBRATED: dict[str, float] = {
    "planned_sessions": 16,  # assumption: one 16-session weekly course
    # NHS Talking Therapies collects PHQ-9 at every session (session-by-session outcome
    # monitoring), so a last score exists when a client drops out: measured every session.
    "phq9_every_sessions": 1,
    # Flückiger et al. 2018: alliance–outcome r = .278 (internet-based .275). The target is
    # the realised correlation of the latent alliance with the improvement to the planned
    # end residualised on intake (``base_rates``); the generator's correlation of alliance
    # with the rate of improvement was calibrated to realise it (the worsening subgroup and
    # the spread of intake dilute it).
    "alliance_outcome_r": 0.28,
    "alliance_improvement_r": 0.35,
    # Intake PHQ-9 ~ N(15, 5) clipped to 0–27: most clients start at caseness (> 9); assumption.
    "intake_mean": 15.0,
    "intake_sd": 5.0,
    # Mean improvement 40% of intake by the planned end on a log(session) curve, the shape
    # of the OQ expected recovery curves (a mixed model on log(session)); size assumption.
    "mean_improvement": 0.40,
    "improvement_sd": 0.25,
    # Observed PHQ-9 = true + error, SEM = 5 * sqrt(1 - .89) = 1.66 (Kroenke et al. 2001 alpha).
    "phq9_sem": 1.66,
    # A worsening subgroup (assumption); its share calibrated to reliable deterioration of
    # about 7% of clients (Lambert: 5–10%), tilted toward weak alliances (assumption).
    "worsening_share": 0.085,
    "worsening_points": 9.0,  # assumption: true PHQ-9 rises 9 points at full worsening
    "worsening_alliance_tilt": 0.8,  # logistic slope per SD of alliance; assumption
    # Worsening starts at a session drawn uniformly from 1..onset_latest and reaches its
    # full size after rise_sessions on a log curve; 1 and 15 = from the start over the whole
    # course (the earlier simulator's shape); assumption.
    "worsening_onset_latest": 1,
    "worsening_rise_sessions": 15,
    # Ruptures per session; weaker alliances rupture more (assumption on sizes).
    "rupture_rate": 0.07,
    "rupture_alliance_slope": 0.6,
    "confrontation_share": 0.3,  # assumption: withdrawal ruptures are the more common kind
    "rupture_decay": 0.5,  # an unaddressed rupture's effect on ratings halves per session
    "confrontation_effect": 1.5,  # latent-alliance SDs lost at a confrontation; assumption
    "withdrawal_effect": 1.0,  # the same for a withdrawal; assumption
    "confrontation_bond_extra": 0.5,  # confrontation hits the bond rating most; assumption
    "withdrawal_persistence": 0.5,  # chance a withdrawal carries over a session; assumption
    # Attendance, lateness, skipped check-ins and messages; withdrawal raises the first three
    # and cuts messages (assumption on sizes; the markers are Safran & Muran's withdrawal).
    "late_cancel_base": 0.03,
    "no_show_base": 0.02,
    "missed_withdrawal": 0.12,  # added to each of late cancellation and no-show
    "late_base": 0.06,
    "late_withdrawal": 0.20,
    "skip_base": 0.08,
    "skip_withdrawal": 0.25,
    "messages_gamma_shape": 3.0,  # weekly message rate ~ Gamma(3, 1); assumption
    "messages_withdrawal_factor": 0.3,
    # Dropout hazard per session after session 2. Confrontation ruptures raise it most (3RS
    # validation, Eubanks et al. 2019: confrontation markers predicted dropout, d = .74);
    # withdrawal and a weak alliance add to it. The base hazard (and, with it, the sizes)
    # was calibrated to dropout of about 20% (Swift & Greenberg 2012: 19.7%).
    "dropout_base": 0.0035,
    "dropout_confrontation": 0.12,
    "dropout_withdrawal": 0.05,
    "dropout_low_alliance": 0.006,  # per SD below the mean alliance
    "dropout_symptom": 0.0,  # per reliable-change unit worse than expected: not this world
    # Check-in ratings with a ceiling (54% perfect scores on a 7-item alliance form in one
    # large feedback system) on a 1/8 grid, like two 1–5 items; assumption on noise.
    "rating_scale": 0.12,
    "rating_noise": 0.6,
    "therapist_sees_rupture": 0.3,  # therapists see 30% of a rupture's effect; assumption
    "therapist_rates": 0.7,  # share of sessions the therapist rates; assumption
    # Goals co-agreed after 1 + Geometric(0.55 + 0.15 * alliance) sessions; assumption.
    "goals_agree_p": 0.55,
    "goals_agree_alliance": 0.15,
}

# -- the alternative world (symptoms drive dropout) -------------------------------------------
ALTERNATIVE: dict[str, float] = {
    **CALIBRATED,
    # A weaker alliance–outcome link: r = .20, within the spread of the studies Flückiger
    # et al. 2018 pooled; assumption. The generator's correlation calibrated as above.
    "alliance_outcome_r": 0.20,
    "alliance_improvement_r": 0.35,
    # Deterioration from life events: starts at a random session 1..10 and reaches its full
    # size within 6 sessions, independent of the alliance (assumption); the share was
    # calibrated to reliable deterioration of about 7% (Lambert: 5–10%).
    "worsening_share": 0.17,
    "worsening_alliance_tilt": 0.0,
    "worsening_onset_latest": 10,
    "worsening_rise_sessions": 6,
    # Dropout: a base hazard plus a symptom term, per reliable-change unit (6 PHQ-9 points)
    # that the true score is worse than the expected course for the intake, up to 2 units;
    # ruptures and the alliance do not enter (assumption). The base and the slope were
    # calibrated to dropout of about 20% (Swift & Greenberg 2012: 19.7%).
    "dropout_base": 0.007,
    "dropout_confrontation": 0.0,
    "dropout_withdrawal": 0.0,
    "dropout_low_alliance": 0.0,
    "dropout_symptom": 0.03,
}

WORLDS: dict[str, dict[str, float]] = {"calibrated": CALIBRATED, "alternative": ALTERNATIVE}


@dataclasses.dataclass(frozen=True)
class Cohort:
    """Full-course arrays (sessions after a dropout are NaN / no event) and known outcomes."""

    data: BatchInput
    true_score: np.ndarray  # (n, s) true PHQ-9 had the client stayed
    intake: np.ndarray  # true intake PHQ-9
    alliance: np.ndarray  # latent alliance, SD units
    goals_at: np.ndarray  # session at which goals are co-agreed
    dropout_at: np.ndarray  # first session not attended after leaving, or 0
    deteriorated: np.ndarray  # true PHQ-9 at the last attended session >= intake + 6
    event: np.ndarray
    event_session: np.ndarray  # event time (see the module docstring), 0 without an event

    @property
    def sessions(self) -> int:
        return self.data.shape[1]

    @property
    def last_session(self) -> np.ndarray:
        """The last session the client was in treatment for (before leaving, or the end)."""
        return np.where(self.dropout_at > 0, self.dropout_at - 1, self.sessions)


def simulate(params: dict[str, float], seed: int, clients: int) -> Cohort:
    rng = np.random.default_rng(seed)
    n, s = clients, int(params["planned_sessions"])
    r = params["alliance_improvement_r"]
    alliance = rng.normal(size=n)
    improvement = params["mean_improvement"] + params["improvement_sd"] * (
        r * alliance + np.sqrt(1 - r * r) * rng.normal(size=n)
    )
    tilt = params["worsening_alliance_tilt"]
    worsening = rng.random(n) < params["worsening_share"] * 2 / (1 + np.exp(tilt * alliance))
    intake = np.clip(rng.normal(params["intake_mean"], params["intake_sd"], n), 0, 27)
    k = np.arange(1, s + 1)
    curve = np.log(k) / np.log(s)
    expected = intake[:, None] * (1 - params["mean_improvement"] * curve[None, :])
    true = intake[:, None] * (1 - improvement[:, None] * curve[None, :])
    onset = rng.integers(1, int(params["worsening_onset_latest"]) + 1, size=n)
    since = np.maximum(k[None, :] - onset[:, None] + 1, 1)
    rise = np.minimum(np.log(since) / np.log(params["worsening_rise_sessions"] + 1), 1.0)
    # a worsening client follows their ordinary course until the onset, then rises from
    # where they were
    at_onset = true[np.arange(n), onset - 1]
    worse_path = at_onset[:, None] + params["worsening_points"] * rise
    worse_path = np.where(k[None, :] < onset[:, None], true, np.maximum(worse_path, true))
    true = np.clip(np.where(worsening[:, None], worse_path, true), 0, 27)
    # symptom gap in reliable-change units, up to 2 (only the alternative world uses it)
    gap = np.clip((true - expected) / RELIABLE_CHANGE, 0, 2)

    rupture_p = params["rupture_rate"] * np.exp(-params["rupture_alliance_slope"] * alliance)
    effect = np.zeros(n)
    withdrawal_on = np.zeros(n, dtype=bool)
    confrontation_recent = np.zeros(n)
    shape = (n, s)
    g, t, b, tg, tt, tb = (np.full(shape, np.nan) for _ in range(6))
    att = np.zeros(shape, dtype=np.int8)
    late = np.full(shape, np.nan)
    skipped = np.zeros(shape, dtype=bool)
    messages = np.full(shape, np.nan)
    msg_rate = rng.gamma(params["messages_gamma_shape"], 1.0, n)
    active = np.ones(n, dtype=bool)
    dropout_at = np.zeros(n, dtype=np.int64)

    def rating(latent: np.ndarray) -> np.ndarray:
        noisy = latent + params["rating_noise"] * rng.normal(size=n)
        return np.round(np.clip(1 + params["rating_scale"] * noisy, 0, 1) * 8) / 8

    for j in range(s):
        ruptured = rng.random(n) < rupture_p
        confront = ruptured & (rng.random(n) < params["confrontation_share"])
        withdraw = ruptured & ~confront
        effect = (
            effect * params["rupture_decay"]
            + params["confrontation_effect"] * confront
            + params["withdrawal_effect"] * withdraw
        )
        withdrawal_on = withdraw | (
            withdrawal_on & (rng.random(n) < params["withdrawal_persistence"])
        )
        confrontation_recent = confrontation_recent * 0.5 + confront
        u = rng.random(n)
        p_lc = params["late_cancel_base"] + params["missed_withdrawal"] * withdrawal_on
        p_ns = params["no_show_base"] + params["missed_withdrawal"] * withdrawal_on
        code = np.where(u < p_lc, LATE_CANCELLATION, np.where(u < p_lc + p_ns, NO_SHOW, ATTENDED))
        came = active & (code == ATTENDED)
        att[:, j] = np.where(active, code, 0)
        late_p = params["late_base"] + params["late_withdrawal"] * withdrawal_on
        late[:, j] = np.where(active, np.where(rng.random(n) < late_p, 15.0, 0.0), np.nan)
        latent = alliance - effect
        skip = came & (
            rng.random(n) < params["skip_base"] + params["skip_withdrawal"] * withdrawal_on
        )
        rated = came & ~skip
        extra_bond = params["confrontation_bond_extra"] * confront
        for arr, extra in ((g, 0.0), (t, 0.0), (b, extra_bond)):
            arr[:, j] = np.where(rated, rating(latent - extra), np.nan)
        seen = alliance - params["therapist_sees_rupture"] * effect
        for arr in (tg, tt, tb):
            arr[:, j] = np.where(
                came & (rng.random(n) < params["therapist_rates"]), rating(seen), np.nan
            )
        skipped[:, j] = skip
        week_rate = msg_rate * np.where(withdrawal_on, params["messages_withdrawal_factor"], 1.0)
        messages[:, j] = np.where(active, rng.poisson(week_rate), np.nan)
        # leaving after this session (from session 2 on, and not after the last)
        hazard = (
            params["dropout_base"]
            + params["dropout_confrontation"] * np.minimum(confrontation_recent, 1)
            + params["dropout_withdrawal"] * withdrawal_on
            + params["dropout_low_alliance"] * np.maximum(-alliance, 0)
            + params["dropout_symptom"] * gap[:, j]
        )
        leave = active & (j + 1 < s) & (j >= 1) & (rng.random(n) < hazard)
        dropout_at = np.where(leave, j + 2, dropout_at)
        active &= ~leave

    every = int(params["phq9_every_sessions"])
    measured = ((k - 1) % every == 0)[None, :] & (att == ATTENDED)
    measured[:, 0] = True  # intake
    observed = np.clip(np.round(true + params["phq9_sem"] * rng.normal(size=shape)), 0, 27)
    total = np.where(measured, observed, np.nan)
    item9 = np.where(measured, (rng.random(shape) < 0.02 * observed / 10).astype(float), np.nan)
    agree_p = params["goals_agree_p"] + params["goals_agree_alliance"] * alliance
    goals_at = 1 + rng.geometric(np.clip(agree_p, 0.1, 0.95))

    dropped = dropout_at > 0
    last = np.where(dropped, dropout_at - 1, s)
    rows = np.arange(n)
    deteriorated = true[rows, last - 1] >= intake + RELIABLE_CHANGE
    # first session from which the true score stays >= intake + 6 up to the last session
    over = (true >= intake[:, None] + RELIABLE_CHANGE) | (k[None, :] > last[:, None])
    stays = np.flip(np.logical_and.accumulate(np.flip(over, axis=1), axis=1), axis=1)
    det_time = np.where(deteriorated, np.argmax(stays, axis=1) + 1, 0)
    event = dropped | deteriorated
    event_session = np.where(
        dropped & deteriorated,
        np.minimum(dropout_at, det_time),
        np.where(dropped, dropout_at, det_time),
    )
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
    return Cohort(
        data, true, intake, alliance, goals_at, dropout_at, deteriorated, event, event_session
    )


def base_rates(cohorts: list[Cohort]) -> dict[str, float]:
    """Realised base rates pooled over cohorts."""
    dropout = np.concatenate([c.dropout_at > 0 for c in cohorts])
    det = np.concatenate([c.deteriorated for c in cohorts])
    event = np.concatenate([c.event for c in cohorts])
    bond = np.concatenate([c.data.bond.ravel() for c in cohorts])
    # alliance–outcome r: latent alliance against improvement to the planned end, residualised
    # on intake (as if every client had completed, so dropout does not select the sample)
    rs = []
    for c in cohorts:
        gain = c.intake - c.true_score[:, -1]
        slope, icpt = np.polyfit(c.intake, gain, 1)
        rs.append(np.corrcoef(c.alliance, gain - (slope * c.intake + icpt))[0, 1])
    return {
        "dropout_rate": round(float(dropout.mean()), 3),
        "deterioration_rate": round(float(det.mean()), 3),
        "deterioration_among_completers": round(float(det[~dropout].mean()), 3),
        "event_rate": round(float(event.mean()), 3),
        "alliance_outcome_r": round(float(np.mean(rs)), 3),
        "bond_at_ceiling": round(float(np.nanmean(bond[~np.isnan(bond)] == 1.0)), 3),
    }
