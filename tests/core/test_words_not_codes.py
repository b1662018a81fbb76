"""Pages show people words in their language, not the codes stored behind them: alert
severities, licence states, roles, record types, consents, form ids, chart scales."""

from __future__ import annotations

import pytest

from alliance.checkins.models import Alert
from alliance.privacy import audit
from tests.checkins.test_alert_workflow import rate
from tests.conftest import logged_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("known_model")]


def in_spanish(user):
    """A logged-in browser whose language switcher is set to Spanish."""
    from django.conf import settings

    browser = logged_in(user)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return browser


def test_alert_severities_are_words_in_the_readers_language(
    partnership, client_user, their_therapist
):
    for v in (6, 6, 0):
        rate(partnership, client_user, v)
    assert Alert.objects.get(kind="attention").severity == "high"
    english = logged_in(their_therapist).get("/home/").content.decode()
    assert "Needs attention · high" in english
    spanish = in_spanish(their_therapist).get("/home/").content.decode()
    assert "· alta" in spanish and "· high" not in spanish


def test_licence_states_are_words_in_the_readers_language(admin_user, their_therapist):
    assert "US-NY · valid" in logged_in(admin_user).get("/home/").content.decode()
    spanish = in_spanish(admin_user).get("/home/").content.decode()
    assert "US-NY · válida" in spanish


def test_privacy_pages_name_roles_records_and_consents(
    partnership, client_user, their_therapist, admin_user
):
    audit.record(their_therapist, audit.Action.OPEN_RECORD, partnership)
    settings_page = logged_in(client_user).get("/privacy/settings/").content.decode()
    assert (
        "Consent to online therapy" in settings_page and "<td>telehealth</td>" not in settings_page
    )
    mine = in_spanish(client_user).get("/privacy/who-opened-my-record/")
    assert "(terapeuta)" in mine.content.decode()
    log = logged_in(admin_user).get("/privacy/audit/").content.decode()
    assert f"partnership {partnership.pk}" in log and "care.partnership" not in log


def test_the_message_forms_hidden_id_has_no_visible_label(partnership, client_user):
    html = logged_in(client_user).get(f"/conversations/{partnership.pk}/").content.decode()
    assert 'name="client_id"' in html and "Client id" not in html


def test_a_client_sees_one_prompt_about_how_therapy_is_going(partnership, client_user):
    for v in (6, 6, 1):
        rate(partnership, client_user, v)
    assert [a.kind for a in Alert.objects.filter(is_open=True)] == ["attention"]
    page = logged_in(client_user).get("/checkins/").content.decode()
    assert page.count("Would you like to talk about how therapy is going?") == 1


def test_goal_rating_choices_are_in_the_readers_language(partnership, client_user):
    from alliance.goals import services

    goal = services.propose_goal(partnership=partnership, by=client_user, title="Sleep earlier")
    logged_in(client_user).get(f"/goals/{goal.pk}/")  # the form built once in English first
    spanish = in_spanish(client_user).get(f"/goals/{goal.pk}/").content.decode()
    assert "Much more than hoped" not in spanish


def test_chart_scales_have_whole_middle_ticks_for_whole_scales():
    from alliance.checkins.charts import _default_ticks

    assert _default_ticks(0, 21) == [0, 10.0, 21]
    assert _default_ticks(0, 27) == [0, 14.0, 27]
    assert _default_ticks(0.0, 1.0) == [0.0, 0.5, 1.0]


def test_alert_evidence_is_in_words(partnership, client_user, their_therapist):
    for v in (6, 6, 1):
        rate(partnership, client_user, v)
    alert = Alert.objects.get(kind="attention")
    html = logged_in(their_therapist).get(f"/checkins/alerts/{alert.pk}/").content.decode()
    assert "<td>checkin</td>" not in html and "bond_drop" not in html
    rows = alert.evidence_rows()
    assert all(not isinstance(r["value"], float) for r in rows)
    assert any(r["label"] == "Bond" and "of 100" in r["value"] for r in rows), rows


def test_prompts_and_repair_suggestions_are_in_the_readers_language(
    partnership, client_user, their_therapist
):
    for v in (6, 6, 1):
        rate(partnership, client_user, v)
    alert = Alert.objects.get(kind="attention")
    client_page = in_spanish(client_user).get("/checkins/").content.decode()
    assert "¿Te gustaría hablar de cómo va la terapia?" in client_page
    assert "Would you like to talk" not in client_page
    detail = in_spanish(their_therapist).get(f"/checkins/alerts/{alert.pk}/").content.decode()
    assert "Anota la reparación que planeas" in detail


def test_alert_explanations_name_instruments():
    alert = Alert(explanation="Progress is behind: gad7 9 at session 35; phq9 went up.")
    assert alert.explanation_text == "Progress is behind: GAD-7 9 at session 35; PHQ-9 went up."
