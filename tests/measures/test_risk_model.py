"""The risk model and the alert budget: invariants that hold for any fitted weights.

The shipped prior is refitted from time to time, so nothing here depends on its weight
values: a test uses the prior only through its properties, or builds its own ``RiskModel``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from alliance.measures.alerts import budget as budget_mod
from alliance.measures.alerts import risk
from alliance.measures.alerts.batch import to_batch
from alliance.measures.alerts.budget import Budget, attention
from alliance.measures.alerts.model import (
    Attendance,
    AttendanceEvent,
    CheckIn,
    ClientHistory,
    CrisisFlag,
    CrisisSource,
    GoalsStatus,
    OutcomePoint,
    Pillar,
)
from alliance.measures.alerts.risk import FEATURE_NAMES, MIN_EVENTS, PRIOR, RiskModel

K = len(FEATURE_NAMES)


def model_of(intercept: float, time: float, weights: list[float], **kw: object) -> RiskModel:
    return RiskModel(intercept, time, dict(zip(FEATURE_NAMES, weights, strict=True)), **kw)  # type: ignore[arg-type]


def theta(m: RiskModel) -> np.ndarray:
    return np.r_[m.intercept, m.time, m.vector]


weights_st = st.lists(st.floats(0, 3, allow_subnormal=False), min_size=K, max_size=K)
models = st.builds(
    model_of,
    st.floats(-6, 1, allow_subnormal=False),
    st.floats(-1, 1, allow_subnormal=False),
    weights_st,
)
unit = st.integers(0, 20).map(lambda k: k / 20)


# -- histories --------------------------------------------------------------------------------


@st.composite
def histories(draw: st.DrawFn, therapist_not_below: bool = True) -> ClientHistory:
    """Histories of up to nine sessions with every source. Therapist ratings, when
    ``therapist_not_below``, are at least the client's (see the perspective-gap test)."""
    n = draw(st.integers(1, 9))
    attendance: list[AttendanceEvent] = []
    for s in range(1, n + 1):
        status = draw(
            st.sampled_from([None, "attended", "attended", "late_cancellation", "no_show"])
        )
        if status is not None:
            late = draw(st.sampled_from([0, 0, 5, 12, 30])) if status == "attended" else 0
            attendance.append(AttendanceEvent(s, Attendance(status), late))
    missed = {a.session for a in attendance if a.status != Attendance.ATTENDED}
    checkins: list[CheckIn] = []
    for s in range(1, n + 1):
        if s in missed or not draw(st.booleans()):
            continue
        client = [draw(st.none() | unit) for _ in range(3)]
        therapist: list[float | None] = []
        for c in client:
            if not draw(st.booleans()):
                therapist.append(None)
            elif therapist_not_below and c is not None:
                therapist.append(c + draw(st.integers(0, round((1 - c) * 20))) / 20)
            else:
                therapist.append(draw(unit))
        if all(v is None for v in client + therapist):
            continue
        checkins.append(CheckIn(s, None, *client, *therapist))
    rated = {c.session for c in checkins}
    free = [s for s in range(1, n + 1) if s not in rated and s not in missed]
    skipped = draw(st.lists(st.sampled_from(free), unique=True)) if free else []
    outcomes: list[OutcomePoint] = []
    for instrument, top in (("phq9", 27), ("gad7", 21)):
        for s in draw(st.lists(st.integers(1, n), unique=True, max_size=4)):
            outcomes.append(
                OutcomePoint(
                    instrument,
                    s,
                    draw(st.integers(0, top)),
                    item9=0 if instrument == "phq9" else None,
                    on_track=draw(st.none() | st.booleans()),
                )
            )
    return ClientHistory(
        checkins=tuple(checkins),
        outcomes=tuple(outcomes),
        attendance=tuple(attendance),
        messages_per_week=tuple(draw(st.lists(st.integers(0, 8), max_size=10))),
        skipped_checkins=tuple(skipped),
        goals=draw(st.none() | st.builds(GoalsStatus, st.booleans(), st.integers(0, 8))),
    )


def feature_row(history: ClientHistory) -> np.ndarray:
    """The features ``assess`` reads, for the same history in a batch of its own."""
    sessions = max(
        [1]
        + [c.session for c in history.checkins]
        + [o.session for o in history.outcomes]
        + [a.session for a in history.attendance]
        + list(history.skipped_checkins)
    )
    data = to_batch([history], sessions=sessions, weeks=max(1, len(history.messages_per_week)))
    return np.asarray(risk.features(data)[0])


def assert_not_lower(before: ClientHistory, after: ClientHistory, model: RiskModel) -> None:
    x0, x1 = feature_row(before), feature_row(after)
    worse = {n: (a, b) for n, a, b in zip(FEATURE_NAMES, x0, x1, strict=True) if b < a - 1e-12}
    assert not worse, worse
    for m in (PRIOR, model):
        assert risk.assess(after, model=m).probability >= risk.assess(before, model=m).probability
    assert risk.assess(after).session == risk.assess(before).session


def lower_rating(history: ClientHistory, pillar: str, delta: float) -> ClientHistory:
    rated = [c for c in history.sorted_checkins() if getattr(c, pillar) is not None]
    assume(rated and getattr(rated[-1], pillar) > 0)
    latest = rated[-1]
    lowered = dataclasses.replace(latest, **{pillar: max(0.0, getattr(latest, pillar) - delta)})
    return dataclasses.replace(
        history, checkins=tuple(lowered if c is latest else c for c in history.checkins)
    )


def no_show(history: ClientHistory) -> ClientHistory:
    assume(history.attendance)
    latest = max(history.attendance, key=lambda a: a.session)
    assume(latest.status == Attendance.ATTENDED)
    missed = AttendanceEvent(latest.session, Attendance.NO_SHOW)
    return dataclasses.replace(
        history, attendance=tuple(missed if a is latest else a for a in history.attendance)
    )


def latest_phq9(history: ClientHistory) -> OutcomePoint:
    points = [o for o in history.outcomes if o.instrument == "phq9"]
    assume(points)
    return max(points, key=lambda o: o.session)


def replace_outcome(history: ClientHistory, old: OutcomePoint, new: OutcomePoint) -> ClientHistory:
    return dataclasses.replace(
        history, outcomes=tuple(new if o is old else o for o in history.outcomes)
    )


# -- (a) monotone at the feature level -------------------------------------------------------


@given(
    models,
    st.lists(st.floats(0, 4, allow_subnormal=False), min_size=K, max_size=K),
    st.integers(0, K - 1),
    st.floats(0, 4, allow_subnormal=False),
    st.integers(1, 30),
)
def test_a_worse_feature_never_lowers_the_risk(model, row, i, delta, session):
    x = np.array([row])
    worse = x.copy()
    worse[0, i] += delta
    s = np.array([session])
    assert model.predict(worse, s)[0] >= model.predict(x, s)[0]


@given(models, st.lists(st.floats(0, 4, allow_subnormal=False), min_size=K, max_size=K))
def test_reasons_are_ranked_and_add_up_to_the_signals_log_odds(model, row):
    found = risk.reasons(row, model)
    contributions = [r.contribution for r in found]
    assert contributions == sorted(contributions, reverse=True)
    assert all(c >= 0 for c in contributions)
    total = float(np.dot(row, model.vector))
    assert sum(contributions) == pytest.approx(total, abs=1e-4 * (len(found) + 1))
    named = {name for r in found for name in r.values}
    assert named <= {n for n, v in zip(FEATURE_NAMES, row, strict=True) if v}


def test_no_reason_is_shown_as_adding_nothing():
    model = model_of(-3.0, 0.0, [0.0] * (K - 1) + [1e-7])
    row = [0.0] * (K - 1) + [1.0]
    assert all(r.contribution > 0 for r in risk.reasons(row, model))


def test_every_feature_has_a_signal_and_none_is_a_safety_signal():
    assert len(set(FEATURE_NAMES)) == K
    assert all(f.pillar != Pillar.SAFETY for f in risk.FEATURES)
    assert set(risk.SIGNALS) == {f.signal for f in risk.FEATURES}


# -- (b) monotone at the history level -------------------------------------------------------


@given(histories(), st.sampled_from(["goal", "task", "bond"]), st.integers(1, 10), models)
def test_a_lower_latest_rating_never_lowers_the_risk(history, pillar, steps, model):
    assert_not_lower(history, lower_rating(history, pillar, steps / 20), model)


@given(histories(), models)
def test_a_no_show_instead_of_attending_never_lowers_the_risk(history, model):
    latest = max(history.attendance, key=lambda a: a.session) if history.attendance else None
    assume(latest is not None)
    assert_not_lower(history, no_show(history), model)


@given(histories(), st.integers(1, 12), models)
def test_a_higher_latest_phq9_never_lowers_the_risk(history, points, model):
    latest = latest_phq9(history)
    assume(latest.total < 27)
    higher = dataclasses.replace(latest, total=min(27, latest.total + points))
    assert_not_lower(history, replace_outcome(history, latest, higher), model)


@given(histories(), st.sampled_from(["phq9", "gad7"]), models)
def test_an_off_track_latest_verdict_never_lowers_the_risk(history, instrument, model):
    judged = [o for o in history.outcomes if o.instrument == instrument and o.on_track is not None]
    assume(judged)
    latest = max(judged, key=lambda o: o.session)
    assume(latest.on_track)
    off = dataclasses.replace(latest, on_track=False)
    assert_not_lower(history, replace_outcome(history, latest, off), model)


@given(histories(), st.data(), models)
def test_a_skipped_check_in_never_lowers_the_risk(history, data, model):
    current = risk.assess(history).session
    rated = {c.session for c in history.checkins}
    missed = {a.session for a in history.attendance if a.status != Attendance.ATTENDED}
    free = [
        s
        for s in range(1, current + 1)
        if s not in rated and s not in missed and s not in history.skipped_checkins
    ]
    assume(free)
    s = data.draw(st.sampled_from(free))
    more = dataclasses.replace(history, skipped_checkins=(*history.skipped_checkins, s))
    assert_not_lower(history, more, model)


@given(histories(), st.integers(1, 2), st.integers(1, 8), models)
def test_fewer_messages_in_the_latest_weeks_never_lower_the_risk(history, back, fewer, model):
    weeks = list(history.messages_per_week)
    assume(len(weeks) >= back and weeks[-back] > 0)
    weeks[-back] = max(0, weeks[-back] - fewer)
    assert_not_lower(history, dataclasses.replace(history, messages_per_week=tuple(weeks)), model)


def test_a_lower_goal_above_the_therapists_never_lowers_the_risk():
    before = ClientHistory(checkins=(CheckIn(1, goal=1.0, task=1.0, therapist_goal=0.5),))
    after = ClientHistory(checkins=(CheckIn(1, goal=0.5, task=1.0, therapist_goal=0.5),))
    x0, x1 = feature_row(before), feature_row(after)
    assert (x1 >= x0).all(), dict(zip(FEATURE_NAMES, x1 - x0, strict=True))


def test_a_no_show_instead_of_arriving_late_never_lowers_the_risk():
    late = ClientHistory(attendance=(AttendanceEvent(1, Attendance.ATTENDED, 20),))
    gone = ClientHistory(attendance=(AttendanceEvent(1, Attendance.NO_SHOW),))
    x0, x1 = feature_row(late), feature_row(gone)
    assert (x1 >= x0).all(), dict(zip(FEATURE_NAMES, x1 - x0, strict=True))


@given(st.lists(histories(therapist_not_below=False), min_size=1, max_size=6))
def test_one_history_and_a_batch_give_the_same_risk(many):
    sessions = 1 + max(
        [1]
        + [c.session for h in many for c in h.checkins]
        + [o.session for h in many for o in h.outcomes]
        + [a.session for h in many for a in h.attendance]
        + [s for h in many for s in h.skipped_checkins]
    )
    weeks = max([1] + [len(h.messages_per_week) for h in many])
    batch = risk.assess_batch(to_batch(many, sessions=sessions, weeks=weeks))
    for h, p in zip(many, batch, strict=True):
        assert round(float(p), 4) == risk.assess(h).probability


# -- safety is not an input -------------------------------------------------------------------


@given(
    histories(therapist_not_below=False),
    st.integers(1, 3),
    st.integers(0, 3),
    st.booleans(),
    models,
)
def test_safety_signals_leave_the_risk_unchanged(history, item9, flags, intake, model):
    unsafe = dataclasses.replace(
        history,
        outcomes=tuple(
            dataclasses.replace(o, item9=item9) if o.instrument == "phq9" else o
            for o in history.outcomes
        ),
        crisis_flags=tuple(CrisisFlag(CrisisSource.MESSAGE, ("x",), 1) for _ in range(flags)),
        intake_screen_positive=intake or None,
    )
    for m in (PRIOR, model):
        assert risk.assess(unsafe, model=m) == risk.assess(history, model=m)


# -- fitting ----------------------------------------------------------------------------------

TRUTH = model_of(-2.6, 0.25, [0.8, 1.5, 0.6, 1.0, 0.4, 0.7, 0.5, 0.5, 0.3, 0.9, 0.6, 0.2, 0.4, 0.7])


def synthetic(
    seed: int, n: int, truth: RiskModel = TRUTH
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features shaped like the real ones (shares, binary flags, counts of 0–4), sessions
    1–12, and outcomes drawn from ``truth``."""
    rng = np.random.default_rng(seed)
    kinds = {
        "goals_not_agreed": "flag",
        "no_reliable_change": "flag",
        "off_track": "pair",
        "missed": "count",
        "late_arrivals": "count",
        "skipped": "count",
    }
    columns = []
    for name in FEATURE_NAMES:
        kind = kinds.get(name, "share")
        if kind == "flag":
            columns.append((rng.random(n) < 0.25).astype(float))
        elif kind == "pair":
            columns.append(rng.binomial(2, 0.25, n).astype(float))
        elif kind == "count":
            columns.append(rng.binomial(4, 0.2, n).astype(float))
        else:
            columns.append(rng.beta(1.2, 3.0, n) * (2 if name == "worsening" else 1))
    x = np.column_stack(columns)
    session = rng.integers(1, 13, n)
    y = rng.random(n) < truth.predict(x, session)
    return x, session, y


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-width probability bins."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(float(y[inside].mean() - p[inside].mean()))
    return total


def test_a_fit_recovers_a_known_monotone_model_and_is_calibrated_out_of_sample():
    # given a sample and a held-out sample from a known model
    x, s, y = synthetic(1, 40_000)
    x_new, s_new, y_new = synthetic(2, 40_000)
    # when
    fitted = risk.fit(x, s, y, source="synthetic")
    # then
    p = fitted.predict(x_new, s_new)
    assert ece(p, y_new) < 0.02
    assert np.abs(theta(fitted) - theta(TRUTH)).max() < 0.3
    assert fitted.events == int(y.sum()) and fitted.observations == len(y)
    assert fitted.source == "synthetic"


def test_the_ece_of_a_miscalibrated_model_is_not_small():
    x, s, y = synthetic(2, 40_000)
    shifted = dataclasses.replace(TRUTH, intercept=TRUTH.intercept + 1.0)
    assert ece(shifted.predict(x, s), y) > 0.05
    assert ece(TRUTH.predict(x, s), y) < 0.02


def test_a_fit_keeps_every_weight_at_zero_or_above_even_for_a_protective_signal():
    # given data in which more "missed" lowers the risk
    x, s, _ = synthetic(3, 30_000)
    logit = TRUTH.logit(x, s) - 1.5 * x[:, FEATURE_NAMES.index("missed")]
    y = np.random.default_rng(4).random(len(x)) < 1 / (1 + np.exp(-logit))
    # when
    fitted = risk.fit(x, s, y)
    # then the weight stops at zero instead of turning negative
    assert fitted.weights["missed"] == 0.0
    assert all(w >= 0 for w in fitted.weights.values())


def test_fit_refuses_features_of_the_wrong_shape():
    with pytest.raises(ValueError, match="features and N outcomes"):
        risk.fit(np.zeros((5, K - 1)), np.ones(5), np.zeros(5))
    with pytest.raises(ValueError, match="features and N outcomes"):
        risk.fit(np.zeros((5, K)), np.ones(5), np.zeros(4))


# -- refitting --------------------------------------------------------------------------------

OWN_PRIOR = model_of(-2.0, 0.0, [1.0] * K, source="own prior")
LOCAL = model_of(-3.2, 0.4, [0.2, 2.5, 0.1, 2.0, 0.1, 1.5, 0.1, 1.2, 0.1, 1.8, 0.1, 1.0, 0.1, 1.4])


def with_events(seed: int, n: int, events: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, s, _ = synthetic(seed, n)
    y = np.zeros(n, dtype=bool)
    y[np.random.default_rng(seed).choice(n, events, replace=False)] = True
    return x, s, y


def test_refit_keeps_the_prior_below_min_events():
    x, s, y = with_events(5, 4000, MIN_EVENTS - 1)
    assert risk.refit(x, s, y, prior=OWN_PRIOR) is OWN_PRIOR
    assert risk.refit(x, s, y) is PRIOR


def test_refit_fits_from_min_events():
    x, s, y = with_events(5, 4000, MIN_EVENTS)
    refitted = risk.refit(x, s, y, prior=OWN_PRIOR)
    assert refitted is not OWN_PRIOR
    assert refitted.source == "practice"
    assert refitted.events == MIN_EVENTS and refitted.observations == 4000
    assert not np.allclose(theta(refitted), theta(OWN_PRIOR))


def test_refit_is_shrunk_toward_the_prior_and_more_so_with_fewer_data():
    shrink = []
    for seed, n in ((6, 2_000), (7, 40_000)):
        # given a practice whose own history follows another model than the prior
        x, s, y = synthetic(seed, n, LOCAL)
        assert y.sum() >= MIN_EVENTS
        # when
        refitted = risk.refit(x, s, y, prior=OWN_PRIOR)
        free = risk.fit(x, s, y, prior=OWN_PRIOR, strength=1e-8)  # the unpenalised fit
        # then the refit lies between the prior and the unpenalised fit
        r, f, p = theta(refitted), theta(free), theta(OWN_PRIOR)
        assert np.linalg.norm(r - p) < np.linalg.norm(f - p)
        assert np.linalg.norm(r - f) < np.linalg.norm(p - f)
        moved = np.abs(f[2:] - p[2:]) > 0.2
        low, high = np.minimum(f[2:], p[2:]), np.maximum(f[2:], p[2:])
        inside = (r[2:] >= low - 0.05) & (r[2:] <= high + 0.05)
        assert inside[moved].all()
        shrink.append(np.linalg.norm(r - f) / np.linalg.norm(p - f))
    # and it stays closer to the prior with fewer data
    assert shrink[0] > shrink[1]


# -- the model's document ---------------------------------------------------------------------


def test_the_shipped_prior_is_a_valid_monotone_model():
    assert set(PRIOR.weights) == set(FEATURE_NAMES)
    assert all(math.isfinite(w) and w >= 0 for w in PRIOR.weights.values())
    assert PRIOR.horizon == risk.HORIZON
    assert RiskModel.from_json(PRIOR.to_json()) == PRIOR
    Budget()  # the shipped thresholds make a valid budget


def _document(weights: dict[str, object] | None = None, **top: object) -> dict[str, object]:
    """The own prior's document with some weights changed (None removes one)."""
    document = OWN_PRIOR.to_json()
    changed: dict[str, object] = dict(OWN_PRIOR.weights)
    for name, value in (weights or {}).items():
        if value is None:
            changed.pop(name)
        else:
            changed[name] = value
    document["weights"] = changed
    document.update(top)
    return document


def test_from_json_round_trips():
    assert RiskModel.from_json(OWN_PRIOR.to_json()) == OWN_PRIOR


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_document({"bond_drop": -0.1}), "weight bond_drop=-0.1 must be a finite number >= 0"),
        (_document({"missed": math.inf}), "weight missed=inf must be a finite number >= 0"),
        (_document({"missed": math.nan}), "weight missed=nan must be a finite number >= 0"),
        (_document({"skipped": None}), "lacks weights for: skipped"),
        (_document({"unheard_of": 1.0}), "unknown feature: unheard_of"),
        (_document() | {"weights": [1.0] * K}, "'weights' must be an object"),
        (_document(intercept=math.inf), "intercept and time must be finite"),
    ],
)
def test_from_json_refuses_a_bad_model_with_a_clear_message(document, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        RiskModel.from_json(document)


def _without_intercept() -> dict[str, object]:
    document = OWN_PRIOR.to_json()
    del document["intercept"]
    return document


@pytest.mark.parametrize(
    "document",
    [_without_intercept(), _document() | {"weights": {**OWN_PRIOR.weights, "missed": None}}],
)
def test_from_json_refuses_a_missing_intercept_or_a_null_weight_with_a_value_error(document):
    with pytest.raises(ValueError, match=r"intercept|missed"):
        RiskModel.from_json(document)


# -- the budget -------------------------------------------------------------------------------


@st.composite
def budgets(draw: st.DrawFn) -> Budget:
    share = draw(st.integers(1, 100)) / 100
    close_below = draw(st.integers(1, 98)) / 100
    open_at = draw(st.integers(round(close_below * 100), 99)) / 100
    return Budget(share, open_at, close_below)


@st.composite
def caseloads(draw: st.DrawFn) -> tuple[list[float], list[bool], list[bool]]:
    n = draw(st.integers(0, 30))
    risks = draw(st.lists(st.integers(0, 100).map(lambda k: k / 100), min_size=n, max_size=n))
    open_now = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    must = draw(st.lists(st.integers(0, 9).map(lambda k: k == 0), min_size=n, max_size=n))
    return risks, open_now, must


@given(caseloads(), budgets())
def test_attention_opens_no_more_new_cards_than_the_cap(caseload, b):
    risks, open_now, must = caseload
    flags = attention(risks, open_now, b, must)
    n = len(risks)
    assert len(flags) == n
    high = [risks[i] >= b.high_at for i in range(n)]  # high risks open on top
    kept = [must[i] or high[i] or (open_now[i] and risks[i] >= b.close_below) for i in range(n)]
    new = [i for i in range(n) if flags[i] and not kept[i]]
    assert len(new) <= b.cap(n)
    # high cards come on top of the budget: every other kept card uses its room
    held = sum(kept[i] and not high[i] for i in range(n))
    assert len(new) <= max(0, b.cap(n) - held)
    for i in range(n):
        if must[i]:
            assert flags[i]  # must_open always has a card
        if open_now[i] and risks[i] >= b.close_below:
            assert flags[i]  # an open card is kept while the risk holds
        if flags[i] and not kept[i]:
            assert risks[i] >= b.open_at  # a new card needs the opening risk
        if not must[i] and risks[i] < b.close_below:
            assert not flags[i]
    waiting = [i for i in range(n) if not flags[i] and risks[i] >= b.open_at]
    if waiting:  # someone eligible went without: the budget is full, highest risks first
        assert len(new) == max(0, b.cap(n) - held)
        assert all(risks[i] >= max(risks[j] for j in waiting) for i in new)


@given(
    budgets(),
    st.booleans(),
    st.lists(st.integers(0, 1000), min_size=1, max_size=30),
)
def test_a_risk_between_the_thresholds_never_flickers(b, start_open, steps):
    # given a risk that moves only between close_below and open_at
    lo, hi = b.close_below, b.open_at
    assume(hi > lo)
    series = [lo + (hi - lo) * k / 1001 for k in steps]
    # when the budget is applied week after week
    state = start_open
    seen = []
    for r in series:
        state = attention([r], [state], b)[0]
        seen.append(state)
    # then the card stays as it was
    assert seen == [start_open] * len(series)


@given(budgets(), st.lists(st.integers(0, 100).map(lambda k: k / 100), min_size=1, max_size=40))
def test_a_card_opens_only_at_open_at_and_closes_only_below_close_below(b, series):
    state = False
    for r in series:
        new = attention([r], [state], b)[0]
        if new and not state:
            assert r >= b.open_at
        if state and not new:
            assert r < b.close_below
        state = new


@given(st.integers(1, 100), st.integers(0, 500))
def test_the_cap_is_the_share_of_the_caseload_and_at_least_one(percent, n):
    b = Budget(share=percent / 100)
    expected = 0 if n == 0 else max(1, math.floor(Fraction(percent, 100) * n))
    assert b.cap(n) == expected


def test_must_open_cards_open_beyond_a_full_budget():
    b = Budget(share=0.1, open_at=0.5, close_below=0.4)
    flags = attention([0.9, 0.1, 0.1], [True, False, False], b, [False, True, True])
    assert flags == [True, True, True]


def test_attention_needs_one_entry_per_client():
    with pytest.raises(ValueError, match="one entry per client"):
        attention([0.5, 0.5], [False], Budget())
    with pytest.raises(ValueError, match="one entry per client"):
        attention([0.5], [False], Budget(), [False, True])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"share": 0},
        {"share": -0.1},
        {"share": 1.5},
        {"share": math.nan},
        {"open_at": 0.3, "close_below": 0},
        {"open_at": 0.3, "close_below": 0.4},
        {"open_at": 1.0, "close_below": 0.4},
        {"open_at": math.nan, "close_below": 0.2},
    ],
)
def test_budget_refuses_bad_thresholds(kwargs):
    with pytest.raises(ValueError, match="budget"):
        Budget(**kwargs)


def test_budget_accepts_the_edges():
    Budget(share=1.0, open_at=0.5, close_below=0.5)
    assert Budget().share == budget_mod.DEFAULT_SHARE


# -- frequency --------------------------------------------------------------------------------


@given(st.integers(100, 1000).map(lambda k: k / 1000))
def test_frequency_in_tenths_from_ten_percent(p):
    n, d = risk.frequency(p)
    assert d == 10
    assert n == max(1, round(p * 10))
    assert 1 <= n <= 10


@given(st.integers(0, 94).map(lambda k: k / 1000))
def test_frequency_in_hundredths_below_ten_percent(p):
    n, d = risk.frequency(p)
    assert d == 100
    assert n == max(1, round(p * 100))
    assert 1 <= n <= 10


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0.31, (3, 10)), (0.1, (1, 10)), (0.66, (7, 10)), (0.05, (5, 100)), (0.012, (1, 100))],
)
def test_frequency_examples(p, expected):
    assert risk.frequency(p) == expected


def test_helpers_are_what_the_tests_assume():
    # The feature row the tests compare is the one assess reads.
    history = ClientHistory(
        checkins=(CheckIn(1, bond=0.9), CheckIn(2, bond=0.9), CheckIn(3, bond=0.5)),
        attendance=(AttendanceEvent(4, Attendance.NO_SHOW),),
    )
    row = feature_row(history)
    expected = RiskModel.predict(PRIOR, row[None, :], np.array([risk.assess(history).session]))
    assert risk.assess(history).probability == round(float(expected[0]), 4)
    assert row[FEATURE_NAMES.index("bond_drop")] == pytest.approx(0.4)
    assert row[FEATURE_NAMES.index("missed")] == 1
