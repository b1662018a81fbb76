"""Treatment plans: diagnoses checked against the shipped ICD-10-CM list, goals shared with the
goals part, the review date and its reminder, the client's agreement (signed, bound to the
text shown) or disagreement (reaching the monitor), and who may read or write a plan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from alliance.core.icd10cm import codes
from alliance.goals import services as goal_services
from alliance.privacy.models import AuditEvent
from alliance.records import plan_review, plan_signing, plans
from alliance.records.documents import sha256
from alliance.records.errors import RecordsError
from alliance.records.plan_models import PlanResponse, PlanVersion, TreatmentPlan
from tests.conftest import logged_in, make_client, make_therapist

pytestmark = pytest.mark.django_db

TODAY = dt.date.today


@pytest.fixture
def goal(partnership, client_user, their_therapist):
    proposed = goal_services.propose_goal(
        partnership=partnership, by=client_user, title="Sleep through the night"
    )
    return goal_services.agree_goal(goal=proposed, by=their_therapist)


@pytest.fixture
def unagreed_goal(partnership, client_user):
    return goal_services.propose_goal(
        partnership=partnership, by=client_user, title="Call my sister every week"
    )


def draft(goal=None, **fields) -> plans.Draft:
    today = timezone.localdate()
    values = {
        "diagnoses": ("F41.1",),
        "presenting_problems": "Worry most days; poor sleep.",
        "goals": (
            (plans.GoalEntry(goal.pk, (plans.Objective("Sleep 6 hours on 5 nights", today),)),)
            if goal is not None
            else ()
        ),
        "interventions": "CBT for insomnia.",
        "review_on": today + dt.timedelta(days=60),
    }
    values.update(fields)
    return plans.Draft(**values)


def write(partnership, therapist, goal=None, **fields) -> PlanVersion:
    return plans.write_plan(partnership=partnership, by=therapist, draft=draft(goal, **fields))


def shown_hash(version: PlanVersion) -> str:
    return sha256(plan_signing.shown_text(plans.versions_of(version.plan.partnership)[0]))


def form_data(goal=None, **fields) -> dict:
    data = {
        "diagnosis_0": "F41.1",
        "primary": "0",
        "presenting_problems": "Worry most days.",
        "interventions": "CBT.",
        "frequency": "weekly",
        "review_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
    }
    if goal is not None:
        data.update(
            {
                "goals": [str(goal.pk)],
                f"objective_{goal.pk}_0": "Sleep 6 hours on 5 nights",
                f"target_{goal.pk}_0": (timezone.localdate() + dt.timedelta(days=40)).isoformat(),
            }
        )
    data.update(fields)
    return data


# --- diagnoses ----------------------------------------------------------------------------


def test_a_billable_code_is_kept_with_the_shipped_description(partnership, their_therapist):
    version = write(partnership, their_therapist, diagnoses=("f41.1", "F32.1"), primary=1)
    rows = list(version.diagnoses.all())
    assert [str(d.code) for d in rows] == ["F41.1", "F32.1"]
    assert str(rows[0].description) == codes()["F41.1"]
    assert [d.primary for d in rows] == [False, True]


@pytest.mark.parametrize(
    ("code", "message"),
    [("F43.1", "F43.10"), ("F99.9", "not a billable"), ("Z00.00", "F, two digits")],
)
def test_a_code_not_billable_in_the_shipped_list_is_refused(
    partnership, their_therapist, code, message
):
    with pytest.raises(RecordsError, match=message):
        write(partnership, their_therapist, diagnoses=(code,))
    assert not PlanVersion.objects.exists()
    assert not TreatmentPlan.objects.exists()


def test_the_same_code_twice_is_refused(partnership, their_therapist):
    with pytest.raises(RecordsError, match="listed twice"):
        write(partnership, their_therapist, diagnoses=("F41.1", "F41.1"))


def test_diagnoses_and_text_are_encrypted_at_rest(partnership, their_therapist):
    write(partnership, their_therapist)
    with connection.cursor() as cursor:
        cursor.execute("SELECT code, description FROM records_plandiagnosis")
        code, description = cursor.fetchone()
        cursor.execute("SELECT presenting_problems FROM records_planversion")
        (problems,) = cursor.fetchone()
    assert "F41.1" not in code and "anxiety" not in description.lower()
    assert "Worry" not in problems


# --- goals --------------------------------------------------------------------------------


def test_the_plan_shows_the_goals_current_wording(partnership, their_therapist, goal):
    write(partnership, their_therapist, goal)
    goal_services.edit_goal(goal=goal, by=their_therapist, title="Sleep 7 hours most nights")
    page = logged_in(their_therapist).get(f"/records/partnerships/{partnership.pk}/plan/")
    assert page.status_code == 200
    assert "Sleep 7 hours most nights" in page.content.decode()
    assert "Sleep through the night" not in page.content.decode()
    assert PlanVersion.objects.get().goals.get() == goal  # the goal itself, not a copy


def test_a_goal_not_agreed_by_both_is_refused(partnership, their_therapist, unagreed_goal):
    with pytest.raises(RecordsError, match="both agreed"):
        write(partnership, their_therapist, unagreed_goal)
    assert not PlanVersion.objects.exists()


def test_an_archived_goal_is_refused(partnership, their_therapist, goal):
    goal_services.close_goal(goal=goal, by=their_therapist, status="archived")
    with pytest.raises(RecordsError, match="not archived"):
        write(partnership, their_therapist, goal)


def test_a_goal_of_another_partnership_is_refused(partnership, their_therapist, jurisdiction, goal):
    from alliance.care.models import Partnership

    other_client = make_client("other.client@example.org", jurisdiction, name="Robin")
    other = Partnership.objects.create(
        client=other_client, therapist=their_therapist, started_at=timezone.now()
    )
    with pytest.raises(RecordsError, match="goals of this partnership"):
        write(other, their_therapist, goal)


def test_an_objective_needs_a_target_date(partnership, their_therapist, goal):
    entry = plans.GoalEntry(goal.pk, (plans.Objective("Sleep 6 hours", None),))
    with pytest.raises(RecordsError, match="target date"):
        write(partnership, their_therapist, goals=(entry,))


def test_the_write_page_offers_only_agreed_goals_and_refuses_another(
    partnership, their_therapist, goal, unagreed_goal
):
    browser = logged_in(their_therapist)
    url = f"/records/partnerships/{partnership.pk}/plan/write/"
    page = browser.get(url).content.decode()
    assert "Sleep through the night" in page and "Call my sister" not in page
    refused = browser.post(url, form_data(unagreed_goal))
    assert refused.status_code == 400
    assert "agree the goal together first" in refused.content.decode()
    assert not PlanVersion.objects.exists()
    saved = browser.post(url, form_data(goal))
    assert saved.status_code == 302
    version = PlanVersion.objects.get()
    assert [str(o.text) for o in version.plan_goals.get().objectives.all()] == [
        "Sleep 6 hours on 5 nights"
    ]


# --- the rest of the plan -----------------------------------------------------------------


def test_the_review_date_defaults_to_90_days(partnership, their_therapist):
    version = write(partnership, their_therapist, review_on=None)
    assert version.review_on == timezone.localdate() + dt.timedelta(days=90)


def test_a_review_date_in_the_past_is_refused(partnership, their_therapist):
    with pytest.raises(RecordsError, match="in the past"):
        write(partnership, their_therapist, review_on=timezone.localdate() - dt.timedelta(days=1))
    assert not PlanVersion.objects.exists()


def test_an_empty_plan_is_refused(partnership, their_therapist):
    with pytest.raises(RecordsError, match="cannot be empty"):
        write(partnership, their_therapist, diagnoses=(), presenting_problems=" ", interventions="")


def test_oversized_text_is_refused(partnership, their_therapist):
    with pytest.raises(RecordsError, match="at most 5000"):
        write(partnership, their_therapist, interventions="x" * 5001)
    assert not PlanVersion.objects.exists()


def test_other_frequency_needs_its_words(partnership, their_therapist):
    with pytest.raises(RecordsError, match="how often"):
        write(partnership, their_therapist, frequency="other", frequency_other="")
    version = write(partnership, their_therapist, frequency="other", frequency_other="Twice a week")
    assert version.frequency_text == "Twice a week"


def test_bad_form_input_is_refused_with_its_message_never_a_500(partnership, their_therapist):
    browser = logged_in(their_therapist)
    url = f"/records/partnerships/{partnership.pk}/plan/write/"
    for fields, message in [
        ({"diagnosis_0": "F43.1"}, "F43.10"),
        ({"review_on": "2001-01-01"}, "in the past"),
        ({"goals": ["abc"]}, "goals of this partnership"),
        ({"interventions": "x" * 5001}, "at most 5000"),
    ]:
        response = browser.post(url, form_data(**fields))
        assert response.status_code == 400, fields
        assert message in response.content.decode(), fields
    assert not PlanVersion.objects.exists()


def test_a_revision_is_a_new_version_and_the_old_one_is_kept(partnership, their_therapist):
    first = write(partnership, their_therapist)
    second = write(partnership, their_therapist, interventions="ACT instead.")
    assert (first.number, second.number) == (1, 2)
    assert plans.current_version(partnership) == second
    old = logged_in(their_therapist).get(f"/records/partnerships/{partnership.pk}/plan/?version=1")
    assert "CBT for insomnia." in old.content.decode()
    assert "earlier version" in old.content.decode()


# --- who may write and read ---------------------------------------------------------------


def test_only_the_clients_own_therapist_writes_the_plan(
    partnership, their_therapist, other_therapist, client_user
):
    for someone in (other_therapist, client_user):
        with pytest.raises(RecordsError, match="own therapist"):
            write(partnership, someone)
    url = f"/records/partnerships/{partnership.pk}/plan/write/"
    assert logged_in(other_therapist).post(url, form_data()).status_code == 404
    assert logged_in(client_user).get(url).status_code == 403
    assert not PlanVersion.objects.exists()


def test_another_therapist_and_another_client_get_404(
    partnership, their_therapist, other_therapist, jurisdiction
):
    version = write(partnership, their_therapist)
    stranger = make_client("stranger@example.org", jurisdiction, name="Sam")
    url = f"/records/partnerships/{partnership.pk}/plan/"
    assert logged_in(other_therapist).get(url).status_code == 404
    assert logged_in(stranger).get(url).status_code == 404
    respond = logged_in(stranger).post(
        f"/records/plans/{version.pk}/respond/",
        {"answer": "disagree", "comment": "no", "shown": shown_hash(version)},
    )
    assert respond.status_code == 404
    assert not PlanResponse.objects.exists()


def test_an_admin_reading_a_plan_is_audited(partnership, their_therapist, admin_user):
    version = write(partnership, their_therapist)
    page = logged_in(admin_user).get(f"/records/partnerships/{partnership.pk}/plan/")
    assert page.status_code == 200 and "F41.1" in page.content.decode()
    event = AuditEvent.objects.get(actor_id=admin_user.pk, object_type="records.planversion")
    assert event.object_id == str(version.pk)
    assert event.client_id == partnership.client_id


def test_the_plan_is_linked_from_the_partnership_and_goals_pages(
    partnership, client_user, their_therapist
):
    link = f"/records/partnerships/{partnership.pk}/plan/"
    for user in (client_user, their_therapist):
        page = logged_in(user).get(f"/care/partnerships/{partnership.pk}/")
        assert link in page.content.decode()
    goals_page = logged_in(client_user).get(f"/goals/partnerships/{partnership.pk}/progress/")
    assert link in goals_page.content.decode()


# --- the client's answer ------------------------------------------------------------------


def test_the_client_reads_their_diagnosis_and_signs(partnership, their_therapist, client_user):
    version = write(partnership, their_therapist)
    browser = logged_in(client_user)
    page = browser.get(f"/records/partnerships/{partnership.pk}/plan/").content.decode()
    assert "F41.1" in page and codes()["F41.1"] in page
    response = browser.post(
        f"/records/plans/{version.pk}/respond/",
        {"answer": "agree", "typed_name": "Casey", "agreed": "on", "shown": shown_hash(version)},
    )
    assert response.status_code == 302
    answer = PlanResponse.objects.get()
    assert answer.agreed and answer.typed_name == "Casey"
    assert answer.shown_sha256 == shown_hash(version)
    assert answer.statement == plan_signing.statement()
    assert abs((timezone.now() - answer.at).total_seconds()) < 60
    assert (
        "Agreed and signed by Casey"
        in browser.get(f"/records/partnerships/{partnership.pk}/plan/").content.decode()
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"typed_name": "Someone Else"}, "your own name"),
        ({"agreed": ""}, "Tick the statement"),
        ({"shown": "0" * 64}, "changed while you were reading"),
    ],
)
def test_an_agreement_without_intent_or_on_other_text_is_refused(
    partnership, their_therapist, client_user, fields, message
):
    version = write(partnership, their_therapist)
    data = {"answer": "agree", "typed_name": "Casey", "agreed": "on", "shown": shown_hash(version)}
    data.update(fields)
    response = logged_in(client_user).post(f"/records/plans/{version.pk}/respond/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PlanResponse.objects.exists()


def test_an_out_of_date_version_cannot_be_signed(partnership, their_therapist, client_user):
    first = write(partnership, their_therapist)
    shown = shown_hash(first)
    write(partnership, their_therapist, interventions="ACT instead.")
    response = logged_in(client_user).post(
        f"/records/plans/{first.pk}/respond/",
        {"answer": "agree", "typed_name": "Casey", "agreed": "on", "shown": shown},
    )
    assert response.status_code == 400
    assert "newer version" in response.content.decode()
    assert not PlanResponse.objects.exists()


def test_a_disagreement_is_recorded_with_its_comment(partnership, their_therapist, client_user):
    version = write(partnership, their_therapist)
    browser = logged_in(client_user)
    url = f"/records/plans/{version.pk}/respond/"
    empty = browser.post(url, {"answer": "disagree", "comment": " ", "shown": shown_hash(version)})
    assert empty.status_code == 400 and "what you disagree with" in empty.content.decode()
    response = browser.post(
        url, {"answer": "disagree", "comment": "Sleep first, please.", "shown": shown_hash(version)}
    )
    assert response.status_code == 302
    answer = PlanResponse.objects.get()
    assert not answer.agreed and str(answer.comment) == "Sleep first, please."
    page = logged_in(their_therapist).get(f"/records/partnerships/{partnership.pk}/plan/")
    assert "The client disagreed" in page.content.decode()
    assert "Sleep first, please." in page.content.decode()


def test_a_disagreement_reaches_the_monitor(partnership, their_therapist, client_user):
    from alliance.checkins.history import build_histories
    from alliance.measures.alerts import card
    from alliance.measures.alerts.model import Pillar
    from alliance.measures.alerts.risk import Reason, Risk

    version = write(partnership, their_therapist)
    assert plan_review.plan_status_for_alerts([partnership.pk])[partnership.pk].disagreed is False
    plan_signing.respond(
        client=client_user,
        version=version,
        agree=False,
        shown_sha256=shown_hash(version),
        comment="Not this.",
    )
    history = build_histories([partnership.pk])[partnership.pk]
    assert history.plan is not None and history.plan.disagreed
    assert history.plan.disagreed_on == timezone.localdate()
    risk = Risk(0.4, 3, (Reason("bond", Pillar.BOND, 1.0, {"bond_deficit": 0.5}),))
    found = card.build(history, risk)
    rows = [e for e in found.evidence if e.source == "plan"]
    assert [(e.label, e.value, e.reason) for e in rows] == [
        ("treatment plan", "client disagreed", "collaboration")
    ]
    # A revision the client has not answered yet is no longer a disagreement.
    write(partnership, their_therapist, interventions="Sleep first.")
    assert build_histories([partnership.pk])[partnership.pk].plan.disagreed is False


def test_the_monitor_reads_plans_in_two_queries(
    partnership, their_therapist, django_assert_num_queries
):
    write(partnership, their_therapist)
    with django_assert_num_queries(2):
        plan_review.plan_status_for_alerts([partnership.pk, partnership.pk + 1])


# --- the review reminder ------------------------------------------------------------------


def test_the_review_reminder_goes_once_and_not_for_reviews_far_off(
    partnership, their_therapist, jurisdiction, mailoutbox
):
    from alliance.care.models import Partnership

    today = timezone.localdate()
    write(partnership, their_therapist, review_on=today + dt.timedelta(days=5))
    far_client = make_client("far@example.org", jurisdiction, name="Robin")
    far_therapist = make_therapist("far.therapist@example.org", jurisdiction, name="Dr Far")
    far = Partnership.objects.create(
        client=far_client, therapist=far_therapist, started_at=timezone.now()
    )
    write(far, far_therapist, review_on=today + dt.timedelta(days=60))
    assert plan_review.send_review_reminders() == 1
    assert plan_review.send_review_reminders() == 0
    assert [m.to for m in mailoutbox] == [[their_therapist.email]]
    assert "/records/plans/due/" in mailoutbox[0].body
    assert "F41.1" not in mailoutbox[0].body and "Casey" not in mailoutbox[0].body
    # A week later the far one is still far off; a revision of the near one is a new version,
    # reminded once again.
    write(partnership, their_therapist, review_on=today + dt.timedelta(days=3))
    assert plan_review.send_review_reminders(today=today + dt.timedelta(days=7)) == 1
    assert len(mailoutbox) == 2


def test_the_reminder_task_runs_daily_from_the_clock(partnership, their_therapist, mailoutbox):
    from alliance.core import scheduler
    from alliance.records.plan_tasks import remind_plan_reviews

    write(partnership, their_therapist, review_on=timezone.localdate())
    assert "records.remind_plan_reviews" in scheduler.daily_jobs()
    assert remind_plan_reviews.call() == 1
    assert len(mailoutbox) == 1


def test_plans_due_show_on_the_plan_page_and_the_due_list(partnership, their_therapist):
    write(partnership, their_therapist, review_on=timezone.localdate() + dt.timedelta(days=6))
    browser = logged_in(their_therapist)
    page = browser.get(f"/records/partnerships/{partnership.pk}/plan/").content.decode()
    assert "Review due within a week" in page
    due = browser.get("/records/plans/due/").content.decode()
    assert f"/records/partnerships/{partnership.pk}/plan/" in due


def test_a_review_far_off_is_not_in_the_due_list(partnership, their_therapist):
    write(partnership, their_therapist, review_on=timezone.localdate() + dt.timedelta(days=30))
    assert plan_review.due_for_review(their_therapist) == []
    due = logged_in(their_therapist).get("/records/plans/due/").content.decode()
    assert f"/records/partnerships/{partnership.pk}/plan/" not in due


# --- export and demo ----------------------------------------------------------------------


def test_the_export_has_every_version_and_answer(partnership, their_therapist, client_user, goal):
    version = write(partnership, their_therapist, goal)
    plan_signing.respond(
        client=client_user,
        version=version,
        agree=True,
        shown_sha256=shown_hash(version),
        typed_name="Casey",
        agreed_statement=True,
    )
    exported = plans.export_plans(client_user)["treatment_plans"]
    (only,) = exported
    (v1,) = only["versions"]
    assert v1["diagnoses"] == [{"code": "F41.1", "description": codes()["F41.1"], "primary": True}]
    assert v1["goals"][0]["goal"] == "Sleep through the night"
    assert v1["answers"][0]["agreed"] and v1["answers"][0]["shown_sha256"] == shown_hash(version)
    assert plans.export_plans(their_therapist) == {"treatment_plans": []}


def test_the_demo_has_a_signed_and_a_disagreed_plan():
    from django.db import transaction

    from alliance.core import demo

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        demo.seed(seed=7, scale=0.05)
        answers = list(PlanResponse.objects.values_list("agreed", flat=True))
        assert sorted(answers) == [False, True]
        assert PlanVersion.objects.count() == 3
        raise Rollback
