"""The functions other parts call: raise_safety_alert, crisis_phrases, request_checkin,
request_alert_evaluation, progress_context and the per-partnership figures."""

from __future__ import annotations

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import override_settings

from alliance.checkins import queries, safety, services
from alliance.checkins.models import Alert, AlertEvent, CheckinRequest
from tests.checkins.conftest import good_checkin, phq9_answers

pytestmark = pytest.mark.django_db(transaction=False)


def test_raise_safety_alert_creates_one_open_alert_and_appends_evidence(
    partnership, client_user, on_call_therapist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = safety.raise_safety_alert(
            client=client_user,
            partnership=partnership,
            source="message",
            evidence={"message_id": 7},
        )
    with django_capture_on_commit_callbacks(execute=True):
        second = safety.raise_safety_alert(
            client=client_user,
            partnership=partnership,
            source="phq9_item9",
            evidence={"item9": 2, "session": 3},
        )
    assert first.pk == second.pk
    alert = Alert.objects.get(pk=first.pk)
    assert [e["source"] for e in alert.evidence] == ["message", "phq9_item9"]
    assert alert.severity == "critical" and alert.is_open
    assert alert.sources == ["message", "phq9_item9"]
    # both signals notified the therapist and the on-call clinician, with no clinical content:
    # the first at once, the second (within the coalescing window) in the digest
    assert alert.digest_due_at is not None
    safety.digest_due(alert.pk, now=alert.digest_due_at)
    to = sorted(a for m in mail.outbox for a in m.to)
    assert to.count("their.therapist@example.org") == 2
    assert to.count("oncall@example.org") == 2
    assert all("item" not in m.body.lower() for m in mail.outbox)
    assert AlertEvent.objects.filter(alert=alert, action="raised").count() == 1


def test_raise_safety_alert_without_partnership_for_intake(client_user, on_call_therapist):
    alert = safety.raise_safety_alert(
        client=client_user, source="intake_screen", evidence={"screen": "asq"}
    )
    assert alert.partnership is None and alert.kind == "safety"


def test_raise_safety_alert_refuses_unknown_source(client_user):
    with pytest.raises(safety.SafetyError):
        safety.raise_safety_alert(client=client_user, source="private_journal", evidence={})
    assert not Alert.objects.exists()


def test_crisis_phrases_wraps_the_detector():
    assert safety.crisis_phrases("some days I want to die") == ("want to die",)
    assert safety.crisis_phrases("a calm week") == ()
    assert safety.crisis_phrases("") == ()


@override_settings(OUTCOME_EVERY_N_SESSIONS=2)  # the default is every session
def test_request_checkin_is_idempotent_per_appointment_and_mails_without_content(
    partnership, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        a = services.request_checkin(partnership=partnership, appointment_id=41)
        b = services.request_checkin(partnership=partnership, appointment_id=41)
    assert a.pk == b.pk
    assert CheckinRequest.objects.count() == 1
    assert a.instruments == ["alliance_checkin", "phq9", "gad7"]  # intake: outcomes due
    assert len(mail.outbox) == 1
    assert "/checkins/requests/" in mail.outbox[0].body
    c = services.request_checkin(partnership=partnership, appointment_id=42)
    assert c.session_number == 2 and c.instruments == ["alliance_checkin"]
    d = services.request_checkin(partnership=partnership, appointment_id=43)
    assert d.instruments == ["alliance_checkin", "phq9", "gad7"]  # every second session


def test_on_demand_request_is_reused_until_completed(partnership):
    a = services.request_checkin(partnership=partnership)
    assert services.request_checkin(partnership=partnership).pk == a.pk


def test_request_alert_evaluation_enqueues_once_on_commit(
    partnership, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.request_alert_evaluation(partnership_id=partnership.pk)
        services.request_alert_evaluation(partnership_id=partnership.pk)
        assert DBTaskResult.objects.count() == 0  # nothing before commit
    assert len(callbacks) == 1
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("evaluate_alerts") and task.args_kwargs["args"] == [
        partnership.pk
    ]


def _answer_session(partnership, client_user, therapist, session_values, phq=None):
    req = services.request_checkin(partnership=partnership)
    services.submit_response(
        partnership=partnership,
        respondent=client_user,
        instrument_id="alliance_checkin",
        answers=good_checkin(session_values),
        request=req,
    )
    if phq is not None and "phq9" in req.instruments:
        services.submit_response(
            partnership=partnership,
            respondent=client_user,
            instrument_id="phq9",
            answers=phq9_answers(phq),
            request=req,
        )
    services.submit_response(
        partnership=partnership,
        respondent=therapist,
        instrument_id="alliance_checkin_therapist",
        answers=good_checkin(5),
        request=req,
    )
    CheckinRequest.objects.filter(pk=req.pk).update(completed_at=req.created_at)
    return req


def test_progress_context_renders_both_views_and_outcomes(
    partnership, client_user, their_therapist
):
    for v, phq in ((5, [2] * 8 + [0]), (4, None), (6, [1] * 8 + [0])):
        _answer_session(partnership, client_user, their_therapist, v, phq)
    ctx = queries.progress_context(partnership, viewer=their_therapist)
    html = render_to_string("checkins/_progress_charts.html", ctx)
    assert html.count("<svg") == 3  # client view, therapist view, PHQ-9
    assert "Reliable improvement" in html  # 16 -> 8 is a reliable drop on the PHQ-9
    assert "Show as a table" in html and "style=" not in html
    client_html = render_to_string(
        "checkins/_progress_charts.html", queries.progress_context(partnership, viewer=client_user)
    )
    assert "Reliable" not in client_html and "moderate" not in client_html.lower()


def test_early_alliance_and_outcome_change(partnership, client_user, their_therapist):
    for v, phq in ((6, [2] * 8 + [0]), (6, None), (3, [1] * 8 + [0])):
        _answer_session(partnership, client_user, their_therapist, v, phq)
    early = queries.early_alliance_by_partnership([partnership.pk])
    assert early == {partnership.pk: pytest.approx(0.5)}
    change = queries.outcome_change_by_partnership([partnership.pk])
    assert change[partnership.pk] > 0  # 16 -> 8 by session 3 is better than the prior
    assert queries.early_alliance_by_partnership([]) == {}
