"""Cards from stored check-ins: one open per partnership, the repair workflow and the
"repaired" rule, the caseload ordered by risk without N+1 queries, and the recompute."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.care.services import start_partnership
from alliance.checkins import attention, evaluation, services
from alliance.checkins.models import Alert, CheckinRequest
from tests.checkins.conftest import good_checkin
from tests.conftest import logged_in, make_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("known_model")]


def submit(partnership, client_user, value):
    req = services.request_checkin(partnership=partnership)
    services.submit_response(
        partnership=partnership,
        respondent=client_user,
        instrument_id="alliance_checkin",
        answers={**good_checkin(6), "bond_1": value, "bond_2": value},
        request=req,
    )
    CheckinRequest.objects.filter(pk=req.pk).update(completed_at=timezone.now())


def rate(partnership, client_user, value):
    submit(partnership, client_user, value)
    evaluation.evaluate_partnerships([partnership.pk])


def card():
    return Alert.objects.get(kind="attention", is_open=True)


def test_a_falling_bond_opens_one_card_and_new_signals_update_it(partnership, client_user):
    for v in (6, 6, 1):
        rate(partnership, client_user, v)
    found = card()
    assert found.pillar == "bond" and found.risk > 0.3 and found.repair_actions
    assert "in 10 clients" in found.explanation
    reasons = [e["reason"] for e in found.evidence]
    assert reasons[0] == "bond" and set(reasons) <= {"bond", "checkpoint"}
    rate(partnership, client_user, 0)
    assert Alert.objects.filter(kind="attention").count() == 1
    updated = card()
    assert updated.session == 4 and updated.events.filter(action="updated").exists()
    assert not Alert.objects.exclude(kind="attention").exists()  # no alert per rule


def test_db_allows_one_open_card_per_partnership(partnership, client_user):
    now = timezone.now()
    fields = dict(
        client=client_user,
        partnership=partnership,
        kind="attention",
        severity="medium",
        severity_rank=3,
        pillar="bond",
        explanation="x",
        created_at=now,
        updated_at=now,
    )
    Alert.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(**fields)


def test_a_card_opened_meanwhile_by_another_evaluation_is_kept(
    partnership, client_user, monkeypatch
):
    # A check-in's and a message's evaluation of one partnership can run at once: both see
    # no open card, and the second to commit must not fail on the one-open rule.
    for v in (6, 6):
        rate(partnership, client_user, v)
    original = attention._write

    def opened_meanwhile(a, current, selected, *args):
        if current is None and selected:
            original(a, current, selected, *args)
            Alert.objects.filter(kind="attention").update(explanation="theirs")
        return original(a, None, selected, *args)

    monkeypatch.setattr(attention, "_write", opened_meanwhile)
    summary_before = evaluation.Summary()
    submit(partnership, client_user, 1)
    summary = evaluation.evaluate_partnerships([partnership.pk])
    assert summary.failed == summary_before.failed == 0
    assert [a.explanation for a in Alert.objects.filter(kind="attention")] == ["theirs"]


def test_acknowledge_plan_and_two_good_checkins_mark_it_repaired(
    partnership, client_user, their_therapist
):
    for v in (6, 6, 1):
        rate(partnership, client_user, v)
    found = card()
    browser = logged_in(their_therapist)
    url = f"/checkins/alerts/{found.pk}/"
    assert browser.get(url).status_code == 200
    assert browser.post(url, {"action": "plan", "plan-note": ""}).status_code == 400
    browser.post(url, {"action": "acknowledge", "ack-note": "seen"})
    browser.post(url, {"action": "plan", "plan-note": "name the rupture, ask for feedback"})
    found.refresh_from_db()
    assert found.state == "repair_planned" and found.repair_session == 3
    rate(partnership, client_user, 6)
    found.refresh_from_db()
    assert found.state == "repair_planned"  # one return is not enough, even at low risk
    rate(partnership, client_user, 6)
    found.refresh_from_db()
    assert found.state == "repaired" and not found.is_open
    assert [e.action for e in found.events.all()][-1] == "repaired"


def test_a_card_closes_by_itself_when_the_risk_falls_back(partnership, client_user):
    for v in (6, 6, 1):
        rate(partnership, client_user, v)
    found = card()
    rate(partnership, client_user, 6)
    found.refresh_from_db()
    assert not found.is_open and found.state == "resolved"
    assert "closed by itself" in found.events.last().note


def test_a_resolved_card_is_not_opened_again_on_the_same_sessions(
    partnership, client_user, their_therapist
):
    for v in (6, 6, 1):
        rate(partnership, client_user, v)
    services.resolve_alert(alert=card(), actor=their_therapist, note="talked it through")
    evaluation.evaluate_partnerships([partnership.pk])
    assert Alert.objects.filter(kind="attention").count() == 1
    rate(partnership, client_user, 0)  # something newer opens a new card
    assert Alert.objects.filter(kind="attention", is_open=True).count() == 1


def test_unrelated_therapist_cannot_act_on_a_card(partnership, client_user, other_therapist):
    for v in (6, 6, 1):
        rate(partnership, client_user, v)
    found = card()
    res = logged_in(other_therapist).post(
        f"/checkins/alerts/{found.pk}/", {"action": "acknowledge"}
    )
    assert res.status_code == 404
    assert Alert.objects.get(pk=found.pk).state == "open"


def _caseload_queries(therapist) -> int:
    browser = logged_in(therapist)
    with CaptureQueriesContext(connection) as ctx:
        res = browser.get("/home/", HTTP_HX_REQUEST="true")
    assert res.status_code == 200
    return len(ctx.captured_queries)


def test_caseload_is_ordered_by_risk_without_n_plus_one(
    partnership, client_user, their_therapist, jurisdiction
):
    calm = make_client("calm@example.org", jurisdiction, name="Alex Calm")
    calm_p = start_partnership(client=calm, therapist=their_therapist)
    rate(calm_p, calm, 6)
    for v in (6, 6, 1):
        rate(partnership, client_user, v)
    page = logged_in(their_therapist).get("/home/").content.decode()
    assert page.index("Casey") < page.index("Alex Calm")  # the card puts Casey first
    assert 'hx-trigger="every 30s"' in page and "<svg" in page
    assert "Needs attention" in page and "in 10" in page
    before = _caseload_queries(their_therapist)
    for i in range(4):
        extra = make_client(f"extra{i}@example.org", jurisdiction, name=f"Extra {i}")
        p = start_partnership(client=extra, therapist=their_therapist)
        for v in (6, 6, 0):
            rate(p, extra, v)
    assert _caseload_queries(their_therapist) == before


def test_recompute_command_opens_the_cards_once(partnership, client_user):
    for v in (6, 6, 1):
        submit(partnership, client_user, v)
    assert not Alert.objects.exists()
    call_command("recompute-alerts")
    assert Alert.objects.filter(kind="attention", is_open=True).count() == 1
    call_command("recompute-alerts")
    assert Alert.objects.filter(kind="attention").count() == 1


def test_client_sees_gentle_prompt_without_labels(partnership, client_user):
    for v in (6, 6, 1):
        rate(partnership, client_user, v)
    page = logged_in(client_user).get("/checkins/").content.decode()
    assert "Would you like to talk about how therapy is going?" in page
    for label in ("rupture", "alert", "bond", "risk", "severity", "attention"):
        assert label not in page.lower().split("<main")[1].split("</main>")[0].replace(
            "alerted", ""
        ), label


def test_the_clients_export_says_what_the_monitor_estimates(partnership, client_user):
    from alliance.checkins.privacy import export_client

    for v in (6, 6, 1):
        rate(partnership, client_user, v)
    (row,) = export_client(client_user)["monitor_risk"]
    assert row["partnership"] == partnership.pk and row["probability"] == card().risk
    assert row["reasons"][0]["signal"] == "bond" and row["model"] == "test model"
