"""Safety alerts: escalation after SAFETY_ACK_MINUTES, closing only with a risk assessment
and a safety plan, and surviving a switch of therapist."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from alliance.care.services import end_partnership, start_partnership
from alliance.checkins import safety, services
from alliance.checkins.models import Alert
from alliance.core import scheduler
from tests.conftest import logged_in, make_therapist

pytestmark = pytest.mark.django_db

PLAN = {
    "warning_signs": "stops sleeping, withdraws",
    "coping_strategies": "walk, music",
    "social_distractions": "cafe with sister",
    "people_to_ask": "sister",
    "professionals": "988, Dr Tess",
    "environment_safety": "medication locked away",
    "reasons_for_living": "my dog",
}


def _raise(client_user, partnership):
    return safety.raise_safety_alert(
        client=client_user,
        partnership=partnership,
        source="phq9_item9",
        evidence={"item9": 1, "total": 4, "session": 2},
    )


def test_unacknowledged_safety_alert_escalates_to_every_on_call_clinician(
    client_user,
    partnership,
    on_call_therapist,
    jurisdiction,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SAFETY_ACK_MINUTES = 60
    second = make_therapist("oncall2@example.org", jurisdiction, name="Dr Two", on_call=True)
    alert = _raise(client_user, partnership)
    mail.outbox.clear()
    # not yet due
    with django_capture_on_commit_callbacks(execute=True):
        assert safety.escalate_unacknowledged(now=timezone.now() + dt.timedelta(minutes=59)) == []
    assert mail.outbox == []
    # due: every on-call clinician is e-mailed, once
    later = timezone.now() + dt.timedelta(minutes=61)
    with django_capture_on_commit_callbacks(execute=True):
        assert safety.escalate_unacknowledged(now=later) == [alert.pk]
    assert sorted(a for m in mail.outbox for a in m.to) == sorted(
        [on_call_therapist.email, second.email]
    )
    assert "Escalated" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert safety.escalate_unacknowledged(now=later) == []
    assert Alert.objects.get(pk=alert.pk).events.filter(action="escalated").count() == 1


def test_acknowledged_alert_does_not_escalate(
    client_user, partnership, their_therapist, on_call_therapist
):
    alert = _raise(client_user, partnership)
    services.acknowledge_alert(alert=alert, actor=their_therapist)
    assert safety.escalate_unacknowledged(now=timezone.now() + dt.timedelta(hours=3)) == []


def test_the_worker_clock_runs_escalation_every_minute(
    client_user, partnership, on_call_therapist, settings
):
    settings.SAFETY_ACK_MINUTES = 0
    alert = _raise(client_user, partnership)
    scheduler.enqueue_due()
    assert Alert.objects.get(pk=alert.pk).escalated_at is not None


def test_safety_alert_cannot_be_closed_without_assessment_and_plan(
    client_user, partnership, their_therapist
):
    alert = _raise(client_user, partnership)
    with pytest.raises(services.CheckinError):
        services.resolve_alert(alert=alert, actor=their_therapist, note="fine now")
    for missing in ["risk_assessment", *PLAN]:
        plan = {k: v for k, v in PLAN.items() if k != missing}
        with pytest.raises(services.CheckinError, match="missing"):
            services.close_safety_alert(
                alert=alert,
                actor=their_therapist,
                risk_level="low",
                risk_assessment="" if missing == "risk_assessment" else "asked directly",
                plan=plan,
            )
    assert Alert.objects.get(pk=alert.pk).is_open
    services.close_safety_alert(
        alert=alert, actor=their_therapist, risk_level="low", risk_assessment="asked", plan=PLAN
    )
    closed = Alert.objects.get(pk=alert.pk)
    assert not closed.is_open and closed.assessment.reasons_for_living == "my dog"


def test_closing_through_the_page_needs_every_field(client_user, partnership, their_therapist):
    alert = _raise(client_user, partnership)
    browser = logged_in(their_therapist)
    url = f"/checkins/alerts/{alert.pk}/"
    res = browser.post(url, {"action": "resolve", "resolve-note": "ok"})
    assert res.status_code == 400 and Alert.objects.get(pk=alert.pk).is_open
    data = {"action": "close_safety", "safety-risk_level": "low", "safety-risk_assessment": "x"}
    res = browser.post(url, data)
    assert res.status_code == 400 and Alert.objects.get(pk=alert.pk).is_open
    data.update({f"safety-{k}": v for k, v in PLAN.items()})
    assert browser.post(url, data).status_code == 302
    assert not Alert.objects.get(pk=alert.pk).is_open


def test_open_safety_alert_survives_a_switch_and_stays_with_on_call(
    client_user, partnership, their_therapist, on_call_therapist, jurisdiction
):
    alert = _raise(client_user, partnership)
    end_partnership(partnership=partnership, reason="switched")
    assert Alert.objects.get(pk=alert.pk).is_open
    # the old therapist loses access; the on-call clinician keeps it
    assert logged_in(their_therapist).get(f"/checkins/alerts/{alert.pk}/").status_code == 404
    on_call = logged_in(on_call_therapist)
    assert on_call.get(f"/checkins/alerts/{alert.pk}/").status_code == 200
    assert alert.client.name.encode() in on_call.get("/checkins/on-call/").content
    # the new therapist sees it on their caseload
    new = make_therapist("new@example.org", jurisdiction, name="Dr New")
    start_partnership(client=client_user, therapist=new)
    page = logged_in(new).get("/home/")
    assert b"badge-critical" in page.content
    # once closed, the on-call clinician no longer sees the client's safety data
    services.close_safety_alert(
        alert=alert, actor=on_call_therapist, risk_level="low", risk_assessment="ok", plan=PLAN
    )
    assert on_call.get(f"/checkins/alerts/{alert.pk}/").status_code == 404


def test_non_on_call_therapist_cannot_open_another_clients_safety_alert(
    client_user, partnership, other_therapist
):
    alert = _raise(client_user, partnership)
    assert logged_in(other_therapist).get(f"/checkins/alerts/{alert.pk}/").status_code == 404
    assert (
        alert.client.name.encode()
        not in logged_in(other_therapist).get("/checkins/on-call/").content
    )


def test_on_call_and_alert_times_say_their_zone(client_user, partnership, on_call_therapist):
    alert = _raise(client_user, partnership)
    type(on_call_therapist).objects.filter(pk=on_call_therapist.pk).update(
        timezone="America/Los_Angeles"
    )
    on_call_therapist.refresh_from_db()
    browser = logged_in(on_call_therapist)
    listing = browser.get("/checkins/on-call/").content.decode()
    detail = browser.get(f"/checkins/alerts/{alert.pk}/").content.decode()
    for page in (listing, detail):  # the reader's zone, named, after each time
        assert "PST" in page or "PDT" in page
