"""Alerts from stored check-ins: one open per kind, the repair workflow and the "repaired"
rule, the caseload ordered by risk without N+1 queries, and the batch recompute."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.care.services import start_partnership
from alliance.checkins import evaluation, services
from alliance.checkins.models import Alert
from tests.checkins.conftest import good_checkin
from tests.conftest import logged_in, make_client

pytestmark = pytest.mark.django_db


def rate(partnership, client_user, value):
    req = services.request_checkin(partnership=partnership)
    services.submit_response(
        partnership=partnership,
        respondent=client_user,
        instrument_id="alliance_checkin",
        answers={**good_checkin(6), "bond_1": value, "bond_2": value},
        request=req,
    )
    services.pending_instruments(req, "client")
    from alliance.checkins.models import CheckinRequest

    CheckinRequest.objects.filter(pk=req.pk).update(completed_at=timezone.now())
    evaluation.evaluate_partnerships([partnership.pk])


def test_bond_drop_raises_one_alert_and_new_signals_update_it(partnership, client_user):
    for v in (6, 6, 3):
        rate(partnership, client_user, v)
    alert = Alert.objects.get(kind="bond")
    assert alert.is_open and alert.severity == "high" and alert.pillar == "bond"
    assert "baseline" in alert.explanation and alert.repair_actions
    rate(partnership, client_user, 2)
    assert Alert.objects.filter(kind="bond").count() == 1
    updated = Alert.objects.get(kind="bond")
    assert updated.session == 4 and updated.events.filter(action="updated").exists()


def test_db_allows_one_open_alert_per_kind(partnership, client_user):
    now = timezone.now()
    fields = dict(
        client=client_user,
        partnership=partnership,
        kind="bond",
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


def test_an_alert_raised_meanwhile_by_another_evaluation_is_kept(
    partnership, client_user, monkeypatch
):
    # A check-in's and a message's evaluation of one partnership can run at once: both see
    # no open bond alert, and the second to commit must not fail on the one-open rule.
    for v in (6, 6):
        rate(partnership, client_user, v)
    original = evaluation._new

    def raised_meanwhile(pid, client_id, found, now):
        theirs = original(pid, client_id, found, now)
        theirs.explanation = "raised by the other evaluation"
        theirs.save(force_insert=True)
        return original(pid, client_id, found, now)

    monkeypatch.setattr(evaluation, "_new", raised_meanwhile)
    rate(partnership, client_user, 3)
    open_bond = Alert.objects.filter(kind="bond", is_open=True)
    assert [a.explanation for a in open_bond] == ["raised by the other evaluation"]


def test_acknowledge_plan_and_two_good_checkins_mark_it_repaired(
    partnership, client_user, their_therapist
):
    for v in (6, 6, 3):
        rate(partnership, client_user, v)
    alert = Alert.objects.get(kind="bond")
    browser = logged_in(their_therapist)
    url = f"/checkins/alerts/{alert.pk}/"
    assert browser.get(url).status_code == 200
    assert browser.post(url, {"action": "plan", "plan-note": ""}).status_code == 400
    browser.post(url, {"action": "acknowledge", "ack-note": "seen"})
    browser.post(url, {"action": "plan", "plan-note": "name the rupture, ask for feedback"})
    alert.refresh_from_db()
    assert alert.state == "repair_planned" and alert.repair_session == 3
    rate(partnership, client_user, 6)
    alert.refresh_from_db()
    assert alert.state == "repair_planned"  # one return is not enough
    rate(partnership, client_user, 6)
    alert.refresh_from_db()
    assert alert.state == "repaired" and not alert.is_open
    assert [e.action for e in alert.events.all()][-1] == "repaired"


def test_resolved_alert_is_not_raised_again_for_the_same_signal(
    partnership, client_user, their_therapist
):
    for v in (6, 6, 3):
        rate(partnership, client_user, v)
    alert = Alert.objects.get(kind="bond")
    services.resolve_alert(alert=alert, actor=their_therapist, note="talked it through")
    evaluation.evaluate_partnerships([partnership.pk])
    assert Alert.objects.filter(kind="bond").count() == 1


def test_unrelated_therapist_cannot_act_on_alert(partnership, client_user, other_therapist):
    for v in (6, 6, 3):
        rate(partnership, client_user, v)
    alert = Alert.objects.get(kind="bond")
    res = logged_in(other_therapist).post(
        f"/checkins/alerts/{alert.pk}/", {"action": "acknowledge"}
    )
    assert res.status_code == 404
    assert Alert.objects.get(pk=alert.pk).state == "open"


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
    for v in (6, 6, 3):
        rate(partnership, client_user, v)
    page = logged_in(their_therapist).get("/home/").content.decode()
    assert page.index("Casey") < page.index("Alex Calm")  # the alert puts Casey first
    assert 'hx-trigger="every 30s"' in page and "<svg" in page
    before = _caseload_queries(their_therapist)
    for i in range(4):
        extra = make_client(f"extra{i}@example.org", jurisdiction, name=f"Extra {i}")
        p = start_partnership(client=extra, therapist=their_therapist)
        for v in (6, 6, 2):
            rate(p, extra, v)
    assert _caseload_queries(their_therapist) == before


def test_recompute_command_uses_the_batch(partnership, client_user):
    for v in (6, 6, 3):
        req = services.request_checkin(partnership=partnership)
        services.submit_response(
            partnership=partnership,
            respondent=client_user,
            instrument_id="alliance_checkin",
            answers={**good_checkin(6), "bond_1": v, "bond_2": v},
            request=req,
        )
        req.completed_at = timezone.now()
        req.save(update_fields=["completed_at"])
    assert not Alert.objects.exists()
    call_command("recompute-alerts")
    assert Alert.objects.filter(kind="bond", is_open=True).count() == 1
    call_command("recompute-alerts")
    assert Alert.objects.filter(kind="bond").count() == 1


def test_client_sees_gentle_prompt_without_labels(partnership, client_user):
    for v in (6, 6, 3):
        rate(partnership, client_user, v)
    page = logged_in(client_user).get("/checkins/").content.decode()
    assert "Would you like to talk about how therapy is going?" in page
    for label in ("rupture", "alert", "bond", "risk", "severity"):
        assert label not in page.lower().split("<main")[1].split("</main>")[0].replace(
            "alerted", ""
        ), label
