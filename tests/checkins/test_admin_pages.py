"""Admin pages: Check-in reliability and practice percentile bands; FHIR Questionnaire import."""

from __future__ import annotations

from pathlib import Path

import pytest

from alliance.checkins import instruments as lookup
from alliance.checkins import services
from alliance.checkins.models import PracticeInstrument
from tests.checkins.conftest import good_checkin
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db
FIXTURE = Path(__file__).resolve().parent.parent / "measures" / "fhir_phq9_answer_options.json"


def test_reliability_page_shows_alpha_and_bands(
    admin_user, partnership, client_user, their_therapist
):
    for i, v in enumerate((6, 5, 3, 4, 2)):
        services.submit_response(
            partnership=partnership,
            respondent=client_user,
            instrument_id="alliance_checkin",
            answers={**good_checkin(v), "goal_1": max(0, v - i % 2)},
        )
    page = logged_in(admin_user).get("/checkins/practice/reliability/")
    assert page.status_code == 200
    assert b"not yet validated" in page.content and b"Cronbach" in page.content
    assert b"prior" in page.content or b"blended" in page.content
    assert logged_in(their_therapist).get("/checkins/practice/reliability/").status_code == 403
    assert logged_in(client_user).get("/checkins/practice/reliability/").status_code == 403


def test_admin_imports_a_fhir_questionnaire_as_an_instrument(admin_user, partnership, client_user):
    browser = logged_in(admin_user)
    url = "/checkins/practice/instruments/"
    res = browser.post(
        url,
        {"instrument_id": "phq9_practice", "questionnaire": FIXTURE.read_text(), "base": "phq9"},
    )
    assert res.status_code == 302, res.content[:2000]
    stored = PracticeInstrument.objects.get(instrument_id="phq9_practice")
    assert stored.definition["id"] == "phq9_practice"
    # the imported instrument scores like the shipped one, and item 9 stays critical
    submitted = services.submit_response(
        partnership=partnership,
        respondent=client_user,
        instrument_id="phq9_practice",
        answers={item.id: 1 for item in lookup.instrument("phq9_practice").scored_items},
    )
    assert submitted.response.flags == ["phq9_item9"]


def test_bad_questionnaire_is_refused_and_nothing_stored(admin_user):
    browser = logged_in(admin_user)
    url = "/checkins/practice/instruments/"
    res = browser.post(url, {"instrument_id": "bad", "questionnaire": "{not json"})
    assert res.status_code == 400
    res = browser.post(
        url, {"instrument_id": "bad", "questionnaire": '{"resourceType": "Patient"}'}
    )
    assert res.status_code == 400
    res = browser.post(url, {"instrument_id": "phq9", "questionnaire": FIXTURE.read_text()})
    assert res.status_code == 400 and b"shipped" in res.content
    assert not PracticeInstrument.objects.exists()
