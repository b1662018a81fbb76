"""One score per session, and alert evaluation that isolates each client.

A PHQ-9 that joined a session which already had one used to make every later evaluation of
that client raise ("two scores of one instrument share a session number"), and the whole
practice's recompute with it. Now a superseded score no longer counts, one bad history
stops nobody else's alerts, the failure is recorded and shown, and the recompute finishes
and reports."""

from __future__ import annotations

import json

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.utils import OperationalError
from django.utils import timezone

from alliance.care.services import end_partnership, start_partnership
from alliance.checkins import attention, evaluation, history, privacy, queries, services, tasks
from alliance.checkins.models import Alert, AlertEvaluationFailure, AlertEvent, Response
from alliance.measures.alerts import risk as engine_risk
from tests.checkins.conftest import good_checkin, phq9_answers
from tests.conftest import logged_in, make_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("known_model", "no_budget")]
PAGE = "/checkins/practice/alert-evaluation/"


def submit(partnership, client_user, values):
    """Client check-ins, one request (session) each, bond as given; no evaluation yet."""
    for v in values:
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


def phq9_row(partnership, respondent, *, session, total, role="client", **extra):
    """A stored PHQ-9 score, written as the table holds it (bypassing the service)."""
    return Response.objects.create(
        partnership=partnership,
        respondent=respondent,
        respondent_role=role,
        instrument_id="phq9",
        instrument_version="1",
        session_number=session,
        answers=phq9_answers([1] * 8 + [0]),
        total=total,
        subscales={},
        band="mild",
        submitted_at=timezone.now(),
        idempotency_key=f"row-{partnership.pk}-{session}-{total}-{role}",
        **extra,
    )


@pytest.fixture
def no_budget(settings):
    """Both clients share a therapist: these tests are about isolation, not the budget."""
    settings.ALERT_BUDGET_SHARE = 1.0


@pytest.fixture
def healthy(partnership, client_user):
    """Casey's bond falls from 6 to 0: a card is due at the next evaluation."""
    submit(partnership, client_user, (6, 6, 0))
    return partnership


@pytest.fixture
def poisoned(jurisdiction, their_therapist):
    """Robin's stored scores give two PHQ-9 totals for one session (the incident's data:
    a second one beside the first, both counting), so building Robin's history raises."""
    robin = make_client("robin@example.org", jurisdiction, name="Robin Poisoned")
    p = start_partnership(client=robin, therapist=their_therapist)
    submit(p, robin, (6, 6, 2))
    phq9_row(p, robin, session=3, total=9)
    phq9_row(p, their_therapist, session=3, total=14, role="therapist")
    return p


def bond_alert(partnership):
    """The partnership's open card (its bond is what raised it)."""
    return Alert.objects.filter(partnership=partnership, kind="attention", is_open=True).first()


# --- (a) a poisoned history stops nobody else -------------------------------------------------


def test_the_poison_really_breaks_a_shared_history_build(healthy, poisoned):
    with pytest.raises(ValueError, match="share a session number"):
        history.build_histories([healthy.pk, poisoned.pk])


def test_a_poisoned_history_does_not_stop_other_clients_alerts(healthy, poisoned):
    summary = evaluation.evaluate_partnerships([poisoned.pk, healthy.pk])
    assert bond_alert(healthy) is not None and bond_alert(healthy).severity == "high"
    assert bond_alert(poisoned) is None
    assert summary.raised >= 1 and summary.failed == 1 and summary.failed_ids == [poisoned.pk]


def test_the_task_records_a_failure_and_still_finishes(healthy, poisoned):
    result = tasks.evaluate_alerts.call(poisoned.pk)
    assert result["failed"] == 1 and result["raised"] == 0
    assert tasks.evaluate_alerts.call(healthy.pk)["failed"] == 0
    assert bond_alert(healthy) is not None


def test_the_whole_practice_recompute_isolates_the_poisoned_client(healthy, poisoned):
    for chunk in (5000, 1):
        Alert.objects.all().delete()
        summary = evaluation.recompute_all(chunk=chunk)
        assert bond_alert(healthy) is not None, chunk
        assert summary.partnerships == 2 and summary.failed == 1
        assert summary.failed_ids == [poisoned.pk]


def test_a_failure_while_persisting_keeps_nothing_of_that_client(healthy, poisoned, monkeypatch):
    # given Robin's data fixed and alerted, then a new low rating to write as evidence
    Response.objects.filter(partnership=poisoned, respondent_role="therapist").update(
        superseded_at=timezone.now()
    )
    evaluation.evaluate_partnerships([poisoned.pk])
    before = bond_alert(poisoned)
    submit(poisoned, poisoned.client, (1,))
    original = attention._write

    def update_then_fail(assessed, current, *args):
        original(assessed, current, *args)
        if assessed.partnership_id == poisoned.pk:
            raise RuntimeError("disk full")

    monkeypatch.setattr(attention, "_write", update_then_fail)
    # when both are evaluated
    summary = evaluation.evaluate_partnerships([poisoned.pk, healthy.pk])
    # then Casey's alert is raised and Robin's half-written update is rolled back
    assert bond_alert(healthy) is not None
    after = bond_alert(poisoned)
    assert after.evidence == before.evidence and after.session == before.session
    assert not AlertEvent.objects.filter(alert=after, action="updated").exists()
    assert summary.failed_ids == [poisoned.pk] and summary.updated == 0
    failure = AlertEvaluationFailure.objects.get(partnership=poisoned)
    assert (failure.error, failure.message) == ("RuntimeError", "disk full")


def test_an_engine_error_for_one_client_stops_nobody_else(healthy, poisoned, monkeypatch):
    Response.objects.filter(partnership=poisoned, respondent_role="therapist").update(
        superseded_at=timezone.now()
    )
    robin_history = history.build_histories([poisoned.pk])[poisoned.pk]
    original_many, original_one = engine_risk.assess_many, engine_risk.assess

    def assess_many(histories, *args):
        if robin_history in histories:
            raise ZeroDivisionError("float division by zero")
        return original_many(histories, *args)

    def assess(found_history, *args):
        if found_history == robin_history:
            raise ZeroDivisionError("float division by zero")
        return original_one(found_history, *args)

    monkeypatch.setattr(engine_risk, "assess_many", assess_many)
    monkeypatch.setattr(engine_risk, "assess", assess)
    summary = evaluation.recompute_all()
    assert bond_alert(healthy) is not None and bond_alert(poisoned) is None
    assert summary.failed_ids == [poisoned.pk]


def test_an_alert_that_cannot_be_stored_fails_its_own_client_only(healthy, poisoned, monkeypatch):
    Response.objects.filter(partnership=poisoned, respondent_role="therapist").update(
        superseded_at=timezone.now()
    )
    original = Alert.save

    def save(alert, *args, **kwargs):
        if alert.partnership_id == poisoned.pk and alert.kind == "attention":
            alert.state = Alert.State.RESOLVED  # open and resolved: the table refuses it
        return original(alert, *args, **kwargs)

    monkeypatch.setattr(Alert, "save", save)
    summary = evaluation.evaluate_partnerships([poisoned.pk, healthy.pk])
    assert bond_alert(healthy) is not None and not Alert.objects.filter(partnership=poisoned)
    assert summary.raised == Alert.objects.count() and summary.failed_ids == [poisoned.pk]
    assert AlertEvent.objects.filter(action="raised").count() == Alert.objects.count()


def test_a_practice_wide_failure_is_recorded_for_each_client_and_logged_briefly(
    healthy, poisoned, monkeypatch, caplog
):
    def broken_bands():
        raise RuntimeError("bands unreadable")

    monkeypatch.setattr(evaluation, "rule_config", broken_bands)
    monkeypatch.setattr(evaluation, "LOGGED_FAILURES", 1)
    Response.objects.filter(partnership=poisoned, respondent_role="therapist").update(
        superseded_at=timezone.now()
    )
    with caplog.at_level("ERROR", logger="alliance.checkins.evaluation"):
        summary = evaluation.evaluate_partnerships([healthy.pk, poisoned.pk])
    assert summary.failed_ids == sorted([healthy.pk, poisoned.pk]) and not Alert.objects.exists()
    assert AlertEvaluationFailure.objects.filter(message="bands unreadable").count() == 2
    assert [r.exc_info is not None for r in caplog.records] == [True, False]
    assert caplog.records[1].getMessage() == "alert evaluation of 1 more partnerships failed"


def test_a_malformed_rating_does_not_stop_the_practice_bands(healthy, poisoned, admin_user):
    # A client rating that is not a number (read by every client's bands): only that
    # client's history fails, and the practice's reliability page still opens.
    Response.objects.filter(partnership=poisoned, respondent_role="therapist").update(
        superseded_at=timezone.now()
    )
    row = Response.objects.filter(partnership=poisoned, instrument_id="alliance_checkin").first()
    Response.objects.filter(pk=row.pk).update(subscales={"goal": "n/a", "task": 6, "bond": 6})
    summary = evaluation.evaluate_partnerships([healthy.pk, poisoned.pk])
    assert bond_alert(healthy) is not None and summary.failed_ids == [poisoned.pk]
    failure = AlertEvaluationFailure.objects.get(partnership=poisoned)
    assert failure.message == "could not convert string to float: '…'"
    assert logged_in(admin_user).get("/checkins/practice/reliability/").status_code == 200


# --- (b) recorded, shown, resolved -------------------------------------------------------------


def test_failure_is_recorded_shown_and_resolved_after_a_clean_run(
    healthy, poisoned, admin_user, their_therapist, client_user
):
    # given a failing evaluation, twice
    evaluation.evaluate_partnerships([poisoned.pk, healthy.pk])
    evaluation.evaluate_partnerships([poisoned.pk])
    failure = AlertEvaluationFailure.objects.get(partnership=poisoned, resolved_at=None)
    assert failure.error == "ValueError" and "share a session number" in failure.message
    assert failure.count == 2 and failure.last_failed_at >= failure.first_failed_at
    assert not AlertEvaluationFailure.objects.filter(partnership=healthy).exists()
    # then the admin sees it, by name, with the error and no score
    admin = logged_in(admin_user)
    page = admin.get(PAGE).content.decode()
    assert "Robin Poisoned" in page and "robin@example.org" in page and "Casey" not in page
    assert "share a session number" in page and "ValueError" in page
    assert f'href="{PAGE}"' in admin.get("/home/").content.decode()
    assert logged_in(their_therapist).get(PAGE).status_code == 403
    assert logged_in(client_user).get(PAGE).status_code == 403
    # and /health/ says the evaluation is failing while the instance stays in service
    health = admin.get("/health/")
    assert health.status_code == 200
    assert health.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "alert_evaluation": {"status": "failing", "open_failures": 1},
        },
    }
    # when the data is fixed (the extra score superseded) and the client evaluated again
    Response.objects.filter(partnership=poisoned, respondent_role="therapist").update(
        superseded_at=timezone.now()
    )
    summary = evaluation.evaluate_partnerships([poisoned.pk])
    # then the failure is resolved, the alert raised, and nothing is shown any more
    assert summary.failed == 0 and bond_alert(poisoned) is not None
    failure.refresh_from_db()
    assert failure.resolved_at is not None
    assert "Robin Poisoned" not in admin.get(PAGE).content.decode()
    assert admin.get("/health/").json()["checks"]["alert_evaluation"] == {
        "status": "ok",
        "open_failures": 0,
    }
    # a new failure later opens a new row; the resolved one stays as it was
    Response.objects.filter(partnership=poisoned, respondent_role="therapist").update(
        superseded_at=None
    )
    evaluation.evaluate_partnerships([poisoned.pk])
    assert AlertEvaluationFailure.objects.filter(partnership=poisoned).count() == 2
    assert AlertEvaluationFailure.objects.get(partnership=poisoned, resolved_at=None).count == 1


def test_a_failure_recorded_meanwhile_by_another_worker_is_counted_once_more(
    healthy, poisoned, monkeypatch
):
    evaluation.evaluate_partnerships([poisoned.pk])
    # Another worker's row appeared after this one looked: both create, the second counts.
    monkeypatch.setattr(evaluation, "_with_open_failure", lambda ids: set())
    evaluation.evaluate_partnerships([poisoned.pk, healthy.pk])
    (failure,) = AlertEvaluationFailure.objects.all()
    assert failure.partnership_id == poisoned.pk and failure.count == 2
    assert bond_alert(healthy) is not None


def test_health_is_cheap(healthy, poisoned, client, django_assert_max_num_queries):
    evaluation.evaluate_partnerships([poisoned.pk])
    with django_assert_max_num_queries(2):
        body = client.get("/health/").json()
    assert body["checks"]["alert_evaluation"]["open_failures"] == 1


def test_health_reports_a_database_that_does_not_answer(client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", down)
    res = client.get("/health/")
    monkeypatch.undo()
    assert res.status_code == 503
    assert res.json() == {"status": "error", "checks": {"database": "error"}}


def test_an_ended_partnership_leaves_the_failures(healthy, poisoned, their_therapist):
    evaluation.evaluate_partnerships([poisoned.pk])
    assert queries.open_evaluation_failure_count() == 1
    end_partnership(partnership=poisoned, reason="completed")
    assert queries.open_evaluation_failure_count() == 0  # nothing left to evaluate
    summary = evaluation.recompute_all()
    assert summary.failed == 0 and summary.partnerships == 1
    assert AlertEvaluationFailure.objects.get(partnership=poisoned).resolved_at is not None


def test_the_recorded_message_holds_no_free_text():
    words = ValueError("could not convert string to float: 'I feel hopeless tonight'")
    assert evaluation.safe_message(words) == "could not convert string to float: '…'"
    named = KeyError("phq9_9")
    assert evaluation.safe_message(named) == "'phq9_9'"
    long = ValueError("session " + "9" * 1000)
    assert len(evaluation.safe_message(long)) == evaluation.MESSAGE_LENGTH


# --- (c) the recompute command finishes and reports ---------------------------------------------


def test_recompute_command_reports_failures_and_exits_non_zero(healthy, poisoned, capsys):
    with pytest.raises(CommandError, match="1 partnership"):
        call_command("recompute-alerts")
    summary = json.loads(capsys.readouterr().out)
    assert summary["failed"] == 1 and summary["failed_partnerships"] == [poisoned.pk]
    assert summary["partnerships"] == 2 and summary["raised"] >= 1
    assert bond_alert(healthy) is not None  # it ran to the end
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["alliance", "recompute-alerts"]).execute()
    assert exited.value.code == 1


def test_recompute_command_exits_zero_when_nothing_failed(healthy, capsys):
    call_command("recompute-alerts")
    summary = json.loads(capsys.readouterr().out)
    assert summary["failed"] == 0 and summary["failed_partnerships"] == []
    assert bond_alert(healthy) is not None


def test_recompute_command_refuses_a_chunk_below_one(healthy):
    with pytest.raises(CommandError, match="--chunk"):
        call_command("recompute-alerts", "--chunk", "0")
    assert not Alert.objects.exists()


# --- one current score per session ------------------------------------------------------------


def test_two_current_scores_for_one_session_cannot_be_stored(partnership, client_user):
    first = phq9_row(partnership, client_user, session=2, total=9)
    with pytest.raises(IntegrityError), transaction.atomic():
        phq9_row(partnership, client_user, session=2, total=12)
    correction = phq9_row(
        partnership, client_user, session=2, total=12, superseded_at=timezone.now()
    )
    assert correction.pk and Response.objects.filter(session_number=2).count() == 2
    assert list(Response.objects.current()) == [first]


def test_a_superseded_score_is_not_counted_but_is_exported(
    partnership, client_user, their_therapist
):
    # given a PHQ-9 of 27 at session 2, corrected to 5
    phq9_row(partnership, client_user, session=1, total=12)
    old = phq9_row(partnership, client_user, session=2, total=27, superseded_at=timezone.now())
    new = phq9_row(partnership, client_user, session=2, total=5)
    Response.objects.filter(pk=old.pk).update(superseded_by=new)
    # then the history, the chart, the caseload and the API count the correction only
    built = history.build_histories([partnership.pk])[partnership.pk]
    assert [(o.session, o.total) for o in built.outcomes] == [(1, 12.0), (2, 5.0)]
    context = queries.progress_context(partnership, viewer=their_therapist)
    (chart,) = context["outcome_charts"]
    assert [(row["session"], row["total"]) for row in chart["table"]] == [(1, 12.0), (2, 5.0)]
    (row,) = queries.caseload_by_risk(their_therapist)
    assert row["last_outcome"]["total"] == 5.0
    api = logged_in(their_therapist).get(f"/api/checkins/partnerships/{partnership.pk}/scores")
    assert [r["total"] for r in api.json()["responses"]] == [12.0, 5.0]
    # and the client's export keeps all three, saying which was corrected and by which
    exported = privacy.export_client(client_user)["responses"]
    assert [r["total"] for r in exported] == [12.0, 27.0, 5.0]
    corrected = next(r for r in exported if r["id"] == old.pk)
    assert corrected["superseded_by"] == new.pk and corrected["superseded_at"]
    assert next(r for r in exported if r["id"] == new.pk)["superseded_at"] is None
    assert len(privacy.fhir_resources(client_user, "Patient/1")) >= 3


def test_the_admin_home_counts_the_clients_whose_alerts_fail(healthy, poisoned, admin_user):
    admin = logged_in(admin_user)
    assert "whose alerts cannot be evaluated" not in admin.get("/home/").content.decode()
    evaluation.evaluate_partnerships([poisoned.pk, healthy.pk])
    home = admin.get("/home/").content.decode()
    assert "clients whose alerts cannot be evaluated" in home
