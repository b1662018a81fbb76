"""Safety items are required answers wherever a form carries them; where a practice's own
form makes one optional, a blank raises its own alert for the therapist and the total is
marked prorated. A positive answer on a practice's form takes the same crisis path as the
shipped PHQ-9, and its evidence names the item as that form numbers it."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from alliance.checkins import services
from alliance.checkins.models import Alert, PracticeInstrument, Response
from tests.checkins.conftest import checkin_post, phq9_answers
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

PHQ9_LOW = [1, 1, 0, 0, 1, 0, 0, 0, 0]


def practice_phq9(*, item9_required: bool) -> PracticeInstrument:
    """A practice's PHQ-9 whose items are called q1..q9 (not the shipped phq9_*)."""
    with open(_phq9_file(), encoding="utf-8") as fh:
        definition = json.load(fh)
    definition["id"] = "practice_phq9"
    renamed = {}
    for number, item in enumerate(definition["items"], start=1):
        if item["id"].startswith("phq9_") and item["id"][5:].isdigit():
            renamed[item["id"]] = f"q{number}"
            item["id"] = f"q{number}"
    definition["items"][8]["required"] = item9_required
    for critical in definition["critical_items"]:
        critical["item"] = renamed[critical["item"]]
    return PracticeInstrument.objects.create(
        instrument_id="practice_phq9",
        version=str(definition.get("version", "1")),
        title="Practice PHQ-9",
        definition=definition,
        source="file",
    )


def _phq9_file() -> str:
    from pathlib import Path

    import alliance.measures

    return str(Path(alliance.measures.__file__).parent / "instruments" / "phq9.json")


def practice_answers(values: list[int | None]) -> dict[str, object]:
    return {f"q{i + 1}": v for i, v in enumerate(values)}


def api_submit(user, partnership, instrument_id, answers):
    body = {"partnership_id": partnership.pk, "instrument_id": instrument_id, "answers": answers}
    return logged_in(user).post(
        "/api/checkins/responses", json.dumps(body), content_type="application/json"
    )


def test_the_shipped_phq9_refuses_a_blank_item9_over_the_api(client_user, partnership):
    # when
    res = api_submit(client_user, partnership, "phq9", phq9_answers([*PHQ9_LOW[:8], None]))
    # then
    assert res.status_code == 400
    assert "phq9_9" in res.json()["detail"] and "required" in res.json()["detail"]
    assert not Response.objects.exists() and not Alert.objects.exists()


def test_the_shipped_phq9_form_refuses_a_blank_item9(client_user, partnership):
    from alliance.checkins.models import CHECKIN
    from tests.checkins.conftest import good_checkin

    request = services.request_checkin(partnership=partnership)
    request.instruments = [CHECKIN, "phq9"]
    request.save(update_fields=["instruments"])
    browser = logged_in(client_user)
    url = f"/checkins/requests/{request.pk}/"
    browser.post(url, checkin_post("alliance_checkin", good_checkin(6), key="a"))
    values = phq9_answers(PHQ9_LOW)
    del values["phq9_9"]
    page = browser.post(url, checkin_post("phq9", values, key="b"))
    assert page.status_code in (200, 400)
    assert not Response.objects.filter(instrument_id="phq9").exists()
    assert not Alert.objects.exists()


def test_the_service_refuses_a_blank_safety_item_whatever_the_caller(client_user, partnership):
    with pytest.raises(services.CheckinError, match="phq9_9"):
        services.submit_response(
            partnership=partnership,
            respondent=client_user,
            instrument_id="phq9",
            answers=phq9_answers([*PHQ9_LOW[:8], None]),
        )
    assert not Response.objects.exists()


def test_a_practice_form_with_a_required_safety_item_refuses_a_blank(client_user, partnership):
    practice_phq9(item9_required=True)
    res = api_submit(
        client_user, partnership, "practice_phq9", practice_answers([*PHQ9_LOW[:8], None])
    )
    assert res.status_code == 400 and "q9" in res.json()["detail"]
    assert not Response.objects.exists()


def test_an_optional_safety_item_left_blank_alerts_the_therapist(
    client_user, their_therapist, partnership, django_capture_on_commit_callbacks
):
    # given a practice form that lets item 9 be blank
    practice_phq9(item9_required=False)
    mail.outbox.clear()
    # when the client leaves it blank
    with django_capture_on_commit_callbacks(execute=True):
        res = api_submit(
            client_user, partnership, "practice_phq9", practice_answers([*PHQ9_LOW[:8], None])
        )
    # then it is stored, marked prorated, with the blank recorded ...
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["response"]["prorated"] is True
    assert body["crisis"] is False  # a blank is not a positive screen: no crisis panel
    stored = Response.objects.get()
    assert stored.prorated and stored.critical_missing == ["q9"]
    # ... and the therapist has an alert of its own (not a safety alert for the on-call rota)
    alert = Alert.objects.get(kind="safety_unanswered", is_open=True)
    assert alert.partnership_id == partnership.pk and not alert.is_safety
    assert alert.kind_label == "Safety question unanswered"
    assert not Alert.objects.filter(kind="safety").exists()
    assert [m.to for m in mail.outbox] == [[their_therapist.email]]
    # the e-mail carries a link, never the item or the score
    assert "q9" not in mail.outbox[0].body and "PHQ" not in mail.outbox[0].body
    assert f"/checkins/alerts/{alert.pk}/" in mail.outbox[0].body
    # the therapist sees it on the alert page and the progress page marks the total
    therapist = logged_in(their_therapist)
    page = therapist.get(f"/checkins/alerts/{alert.pk}/").content.decode()
    assert "Safety question unanswered" in page and "item 9" in page
    progress = therapist.get(f"/checkins/partnerships/{partnership.pk}/progress/")
    assert "safety question unanswered" in progress.content.decode()
    assert "prorated" in progress.content.decode()


def test_a_second_blank_adds_evidence_to_the_same_alert(client_user, partnership):
    practice_phq9(item9_required=False)
    for _ in range(2):
        res = api_submit(
            client_user, partnership, "practice_phq9", practice_answers([*PHQ9_LOW[:8], None])
        )
        assert res.status_code == 201
    alert = Alert.objects.get(kind="safety_unanswered")
    assert len(alert.evidence) == 2


def test_the_therapist_resolves_it_with_a_note(client_user, their_therapist, partnership):
    practice_phq9(item9_required=False)
    api_submit(client_user, partnership, "practice_phq9", practice_answers([*PHQ9_LOW[:8], None]))
    alert = Alert.objects.get(kind="safety_unanswered")
    with pytest.raises(services.CheckinError):
        services.resolve_alert(alert=alert, actor=their_therapist, note="")
    services.resolve_alert(alert=alert, actor=their_therapist, note="Asked; no such thoughts.")
    alert.refresh_from_db()
    assert not alert.is_open


def test_a_positive_answer_on_a_practice_form_takes_the_crisis_path(
    client_user, partnership, on_call_therapist
):
    practice_phq9(item9_required=False)
    res = api_submit(
        client_user, partnership, "practice_phq9", practice_answers([*PHQ9_LOW[:8], 2])
    )
    assert res.status_code == 201 and res.json()["crisis"] is True
    alert = Alert.objects.get(kind="safety", is_open=True)
    evidence = alert.evidence[0]
    # the evidence reads the answer from the form's own item, not the shipped phq9_9
    assert evidence["item"] == "q9" and evidence["item_number"] == 9 and evidence["item9"] == 2
    rows = alert.evidence_rows()
    assert rows[0]["value"].startswith("item 9 = 2 (total")
    assert rows[0]["value"].endswith("More than half the days")
    assert "= 0" not in rows[0]["value"]


def test_the_monitor_leaves_an_unanswered_alert_alone(client_user, partnership):
    from alliance.checkins.evaluation import evaluate_partnerships, recompute_all

    practice_phq9(item9_required=False)
    api_submit(client_user, partnership, "practice_phq9", practice_answers([*PHQ9_LOW[:8], None]))
    before = Alert.objects.get(kind="safety_unanswered")
    evaluate_partnerships([partnership.pk])
    recompute_all()
    after = Alert.objects.get(kind="safety_unanswered")
    assert after.is_open and after.evidence == before.evidence and after.state == before.state
