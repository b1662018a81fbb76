"""The alert budget on real caseloads: at most a share of a therapist's active clients carry
a "needs attention" card, cards do not flicker (hysteresis), one card per client whatever
the number of signals, the session-3 checkpoint stops counting once passed, three missed
sessions open a card whatever the budget — and safety alerts are untouched by all of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alliance.care.services import start_partnership
from alliance.checkins import evaluation, safety, services
from alliance.checkins.models import Alert, CheckinRequest, ClientRisk, RiskModelFit
from tests.checkins.conftest import CLOSE_BELOW, KNOWN_MODEL, OPEN_AT, good_checkin
from tests.conftest import make_appointment, make_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("known_model")]


def rate(partnership, value, *, evaluate=True, **other):
    req = services.request_checkin(partnership=partnership)
    answers = {**good_checkin(6), "bond_1": value, "bond_2": value}
    answers.update(other)
    services.submit_response(
        partnership=partnership,
        respondent=partnership.client,
        instrument_id="alliance_checkin",
        answers=answers,
        request=req,
    )
    CheckinRequest.objects.filter(pk=req.pk).update(completed_at=timezone.now())
    if evaluate:
        evaluation.evaluate_partnerships([partnership.pk])


def cards(**filters):
    return Alert.objects.filter(kind="attention", is_open=True, **filters)


def caseload(therapist, jurisdiction, n):
    return [
        start_partnership(
            client=make_client(f"c{i}@example.org", jurisdiction, name=f"Client {i}"),
            therapist=therapist,
        )
        for i in range(n)
    ]


def test_at_most_the_budget_share_of_a_caseload_is_flagged(their_therapist, jurisdiction, settings):
    settings.ALERT_BUDGET_SHARE = 0.2
    people = caseload(their_therapist, jurisdiction, 10)
    for i, p in enumerate(people):
        for v in (6, 6, 1 if i < 6 else 6):  # six falling bonds, four steady clients
            rate(p, v)
    risky = ClientRisk.objects.filter(probability__gte=OPEN_AT).count()
    assert risky == 6
    assert cards().count() == 2  # floor(0.2 * 10)
    evaluation.recompute_all()
    assert cards().count() == 2  # the whole-practice recompute keeps to it too


def test_a_small_caseload_still_gets_one_card(their_therapist, jurisdiction, settings):
    settings.ALERT_BUDGET_SHARE = 0.2
    (only,) = caseload(their_therapist, jurisdiction, 1)
    for v in (6, 6, 1):
        rate(only, v)
    assert cards().count() == 1


def test_cards_already_open_are_not_displaced_by_higher_risks(
    their_therapist, jurisdiction, settings
):
    settings.ALERT_BUDGET_SHARE = 0.2
    first, second, *_rest = caseload(their_therapist, jurisdiction, 5)
    for v in (6, 6, 2):
        rate(first, v)
    for v in (6, 6, 1):  # a higher risk, once the one card of five is taken
        rate(second, v)
    risks = dict(ClientRisk.objects.values_list("partnership_id", "probability"))
    assert risks[first.pk] < risks[second.pk] < 2 * OPEN_AT  # higher, but not "high"
    assert list(cards().values_list("partnership_id", flat=True)) == [first.pk]


def test_a_high_risk_opens_a_card_on_top_of_a_full_budget(their_therapist, jurisdiction, settings):
    settings.ALERT_BUDGET_SHARE = 0.2
    first, second, *_rest = caseload(their_therapist, jurisdiction, 5)
    for v in (6, 6, 2):
        rate(first, v)  # takes the one card of five
    for v in (6, 6, 0):
        rate(second, v)
    assert ClientRisk.objects.get(partnership=second).probability >= 2 * OPEN_AT
    assert cards().count() == 2 and cards().get(partnership=second).severity == "high"


def test_hysteresis_a_card_stays_open_between_the_thresholds(partnership):
    for v in (6, 6, 1):
        rate(partnership, v)
    assert cards().count() == 1
    rate(partnership, 3)  # better, but not back below the closing threshold
    risk = ClientRisk.objects.get(partnership=partnership).probability
    assert CLOSE_BELOW <= risk < OPEN_AT
    assert cards().count() == 1


def test_hysteresis_the_same_risk_does_not_open_a_card(their_therapist, jurisdiction):
    (p,) = caseload(their_therapist, jurisdiction, 1)
    for v in (6, 6, 3):
        rate(p, v)
    risk = ClientRisk.objects.get(partnership=p).probability
    assert CLOSE_BELOW <= risk < OPEN_AT
    assert not cards().exists()


def test_one_card_per_client_whatever_the_signals(partnership):
    start = timezone.now() - dt.timedelta(weeks=6)
    for week in range(3):
        make_appointment(partnership, start + dt.timedelta(weeks=week), status="attended")
    for v in (6, 6, 1):
        rate(partnership, v, goal_1=1, task_1=1)
    make_appointment(partnership, start + dt.timedelta(weeks=3), status="no_show")
    evaluation.evaluate_partnerships([partnership.pk])
    alerts = Alert.objects.filter(partnership=partnership, is_open=True)
    assert [a.kind for a in alerts] == ["attention"]
    reasons = [e["reason"] for e in alerts[0].evidence]
    assert {"bond", "collaboration", "avoidance"} <= set(reasons)


def test_the_checkpoint_stops_counting_once_passed(partnership):
    weights = dict.fromkeys(KNOWN_MODEL["weights"], 0.0)
    RiskModelFit.objects.create(
        coefficients={**KNOWN_MODEL, "weights": {**weights, "checkpoint": 3.0}},
        events=500,
        observations=5000,
        partnerships=100,
        fitted_at=timezone.now() + dt.timedelta(seconds=1),
    )
    low = {f"{p}_{i}": 1 for p in ("goal", "task") for i in (1, 2)}
    for _ in range(3):
        rate(partnership, 1, **low)
    card = cards().get()
    assert {e["reason"] for e in card.evidence} == {"checkpoint"}
    for _ in range(3):  # sessions 4-6: still within the checkpoint's window
        rate(partnership, 1, **low)
    assert cards().count() == 1
    rate(partnership, 1, **low)  # session 7: the same ratings, the checkpoint has passed
    card.refresh_from_db()
    assert not card.is_open and "closed by itself" in card.events.last().note


def _three_missed(partnership):
    start = timezone.now() - dt.timedelta(weeks=6)
    make_appointment(partnership, start, status="attended")
    make_appointment(partnership, start + dt.timedelta(weeks=1), status="no_show")
    make_appointment(
        partnership,
        start + dt.timedelta(weeks=2),
        status="cancelled",
        late_cancellation=True,
        cancelled_at=start + dt.timedelta(weeks=2, hours=-2),
    )
    make_appointment(partnership, start + dt.timedelta(weeks=3), status="no_show")


def test_three_missed_sessions_open_a_medium_card_whatever_the_budget(
    their_therapist, jurisdiction, settings
):
    settings.ALERT_BUDGET_SHARE = 0.2
    first, second, *_rest = caseload(their_therapist, jurisdiction, 4)
    for v in (6, 6, 0):
        rate(first, v)  # takes the one card of four
    _three_missed(second)
    evaluation.evaluate_partnerships([second.pk])
    card = cards(partnership=second).get()
    assert card.severity == "medium" and "missed or cancelled late" in card.explanation
    assert cards().count() == 2


def test_three_missed_sessions_are_high_after_an_earlier_safety_alert(partnership):
    alert = safety.raise_safety_alert(
        client=partnership.client,
        partnership=partnership,
        source="phq9_item9",
        evidence={"item9": 1, "total": 4, "session": 1},
    )
    Alert.objects.filter(pk=alert.pk).update(is_open=False, state="resolved")
    _three_missed(partnership)
    evaluation.evaluate_partnerships([partnership.pk])
    assert cards(partnership=partnership).get().severity == "high"


def test_safety_alerts_are_never_budgeted_merged_or_closed(their_therapist, jurisdiction, settings):
    settings.ALERT_BUDGET_SHARE = 0.2
    people = caseload(their_therapist, jurisdiction, 3)
    for p in people:
        for v in (6, 6, 1):
            rate(p, v)
    assert cards().count() == 1  # the budget is full
    raised = [
        safety.raise_safety_alert(
            client=p.client,
            partnership=p,
            source="phq9_item9",
            evidence={"item9": 2, "total": 12, "session": 3},
        )
        for p in people
    ]
    assert all(a is not None for a in raised)
    evaluation.recompute_all()
    for p in people:
        rate(p, 6)
        rate(p, 6)  # the risk falls and cards close ...
    open_safety = Alert.objects.filter(kind="safety", is_open=True)
    assert open_safety.count() == 3  # ... the safety alerts stay, each on its own
    assert {a.severity for a in open_safety} == {"critical"}
    assert not any("attention" in (a.explanation or "") for a in open_safety)
