"""Matches with reasons, choosing under a capacity check, and switching with a reason."""

from __future__ import annotations

import json

import pytest

from alliance.care import match_index
from alliance.care.models import MatchOffer, Partnership
from alliance.checkins.models import Alert
from alliance.checkins.safety import raise_safety_alert
from tests.care.conftest import submit_intake
from tests.conftest import logged_in, make_therapist

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_more(jurisdiction):
    return [
        make_therapist("ana@example.org", jurisdiction, name="Dr Ana"),
        make_therapist("ben@example.org", jurisdiction, name="Dr Ben"),
    ]


def test_matches_show_reasons_and_are_stored_with_the_weights_version(client_user, two_more):
    submit_intake(client_user, concerns=["anxiety", "sleep"])
    page = logged_in(client_user).get("/care/matches/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Dr Ana" in html and "Dr Ben" in html
    assert "Works with anxiety" in html  # a reason in plain words
    offers = list(MatchOffer.objects.order_by("rank"))
    assert [o.rank for o in offers] == [1, 2]
    assert all(o.weights_version == "2025.1-literature" for o in offers)
    assert all(o.reasons and o.index_version for o in offers)


def test_unmet_nice_to_have_is_shown(client_user, two_more):
    submit_intake(client_user, faith_informed="on")
    html = logged_in(client_user).get("/care/matches/").content.decode()
    assert "Does not meet:" in html and "faith-informed" in html


def test_when_nobody_passes_the_excluding_constraint_is_named(client_user, two_more):
    submit_intake(client_user, languages=["de"])
    html = logged_in(client_user).get("/care/matches/").content.decode()
    assert "The requirement that left nobody: speaks de" in html
    assert "Join the waiting list" in html
    assert not MatchOffer.objects.exists()


def test_matches_without_intake_go_to_intake(client_user):
    response = logged_in(client_user).get("/care/matches/")
    assert response.status_code == 302 and response["Location"] == "/care/intake/"


def test_choose_starts_the_partnership(client_user, two_more):
    answers = submit_intake(client_user)
    browser = logged_in(client_user)
    browser.get("/care/matches/")
    offer = MatchOffer.objects.get(therapist=two_more[0])
    response = browser.post(f"/care/offers/{offer.pk}/choose/")
    assert response.status_code == 302 and response["Location"] == "/home/"
    partnership = Partnership.objects.get(client=client_user, status="active")
    assert partnership.therapist == two_more[0] and partnership.intake == answers
    offer.refresh_from_db()
    assert offer.status == "chosen" and offer.partnership == partnership
    # a second choice is refused: the client already has a therapist
    other = MatchOffer.objects.get(therapist=two_more[1])
    browser.post(f"/care/offers/{other.pk}/choose/")
    assert Partnership.objects.filter(client=client_user).count() == 1


def test_choose_a_full_therapist_is_refused_with_a_message(client_user, two_more, jurisdiction):
    submit_intake(client_user)
    browser = logged_in(client_user)
    browser.get("/care/matches/")
    offer = MatchOffer.objects.get(therapist=two_more[0])
    profile = two_more[0].therapist_profile
    profile.capacity = 0
    profile.save(update_fields=["capacity"])
    response = browser.post(f"/care/offers/{offer.pk}/choose/", follow=True)
    assert "no longer has a free place" in response.content.decode()
    assert not Partnership.objects.exists()


def test_choose_someone_elses_offer_is_not_found(client_user, two_more, jurisdiction):
    from tests.conftest import make_client

    submit_intake(client_user)
    logged_in(client_user).get("/care/matches/")
    offer = MatchOffer.objects.first()
    stranger = make_client("stranger@example.org", jurisdiction, name="Sam")
    assert logged_in(stranger).post(f"/care/offers/{offer.pk}/choose/").status_code == 404
    assert logged_in(stranger).post("/care/offers/999999/choose/").status_code == 404
    assert logged_in(two_more[0]).post(f"/care/offers/{offer.pk}/choose/").status_code == 403
    assert not Partnership.objects.exists()


def test_switch_ends_with_reason_and_rematch_excludes_the_old_therapist(
    client_user, their_therapist, partnership, two_more
):
    submit_intake(client_user)
    browser = logged_in(client_user)
    # given the switch entry on the client's home
    assert "/care/switch/" in browser.get("/home/").content.decode()
    # when they switch because they did not feel understood, sharing their history
    response = browser.post("/care/switch/", {"reason": "bond", "consent_handoff": "on"})
    assert response.status_code == 302 and response["Location"] == "/care/matches/"
    partnership.refresh_from_db()
    assert (partnership.status, partnership.end_reason) == ("ended", "switched")
    assert partnership.switch_reason == "bond" and partnership.switch_handoff
    # then the old therapist loses access (only their own notes stay readable) and is not
    # offered again
    old_view = logged_in(their_therapist).get(f"/care/partnerships/{partnership.pk}/")
    assert "Your notes from an ended partnership" in old_view.content.decode()
    assert "Emergency contact" not in old_view.content.decode()
    html = browser.get("/care/matches/").content.decode()
    assert "Dr Tess" not in html and "Dr Ana" in html
    assert "strong record on what was missing" in html
    offers = MatchOffer.objects.all()
    assert their_therapist.pk not in {o.therapist_id for o in offers}
    assert all(o.switch_reason == "bond" for o in offers)
    # and the handoff consent passes to the new partnership
    browser.post(f"/care/offers/{offers[0].pk}/choose/")
    new = Partnership.objects.get(client=client_user, status="active")
    from alliance.care.queries import handoff_allowed, handoff_sources

    assert handoff_allowed(new) and list(handoff_sources(new)) == [partnership]


def test_switch_without_consent_hands_nothing_over(client_user, partnership, two_more):
    submit_intake(client_user)
    browser = logged_in(client_user)
    browser.post("/care/switch/", {"reason": ""})
    browser.get("/care/matches/")
    browser.post(f"/care/offers/{MatchOffer.objects.first().pk}/choose/")
    from alliance.care.queries import handoff_allowed

    new = Partnership.objects.get(client=client_user, status="active")
    assert not handoff_allowed(new)


def test_switch_keeps_open_safety_alerts_open(client_user, partnership, two_more):
    raise_safety_alert(
        client=client_user, partnership=partnership, source="intake_screen", evidence={"test": True}
    )
    logged_in(client_user).post("/care/switch/", {"reason": "practical"})
    assert Alert.objects.get(client=client_user, kind="safety").is_open


def test_switch_with_a_bad_reason_changes_nothing(client_user, partnership):
    response = logged_in(client_user).post("/care/switch/", {"reason": "astrology"})
    assert response.status_code == 400
    partnership.refresh_from_db()
    assert partnership.is_active


def test_switch_access(client, client_user, partnership, their_therapist, admin_user):
    assert logged_in(client_user).get("/care/switch/").status_code == 200
    assert logged_in(their_therapist).post("/care/switch/").status_code == 403
    assert logged_in(admin_user).post("/care/switch/").status_code == 403
    response = client.post("/care/switch/")
    assert response.status_code == 302 and "/account/log-in/" in response["Location"]
    partnership.refresh_from_db()
    assert partnership.is_active


def test_api_match_choose_and_switch(client_user, two_more):
    submit_intake(client_user)
    browser = logged_in(client_user)
    body = browser.get("/api/care/matches").json()
    assert body["matches"][0]["reasons"] and not body["waiting_list_offered"]
    chosen = browser.post(f"/api/care/offers/{body['matches'][0]['offer_id']}/choose")
    assert chosen.status_code == 201
    first = chosen.json()["therapist_id"]
    again = browser.post(f"/api/care/offers/{body['matches'][1]['offer_id']}/choose")
    assert again.status_code == 409
    switched = browser.post(
        "/api/care/switch",
        json.dumps({"reason": "tasks", "consent_handoff": False}),
        content_type="application/json",
    )
    assert switched.status_code == 200 and switched.json()["end_reason"] == "switched"
    bad = browser.post(
        "/api/care/switch", json.dumps({"reason": "tasks"}), content_type="application/json"
    )
    assert bad.status_code == 409  # nothing active to switch from
    after = browser.get("/api/care/matches").json()
    assert first not in [m["therapist_id"] for m in after["matches"]]


def test_index_version_is_checked_per_request(client_user, two_more):
    submit_intake(client_user)
    browser = logged_in(client_user)
    browser.get("/care/matches/")
    version = MatchOffer.objects.first().index_version
    match_index.bump_index_version()
    browser.get("/care/matches/")
    assert MatchOffer.objects.order_by("-id").first().index_version != version


def test_each_match_shows_the_facts_to_choose_on(client_user, two_more):
    from alliance.directory.models import TherapistProfile

    TherapistProfile.objects.filter(user=two_more[0]).update(
        languages=["en", "es"], approaches=["CBT", "ACT"]
    )
    submit_intake(client_user, concerns=["anxiety"])
    html = logged_in(client_user).get("/care/matches/").content.decode()
    assert "(LCSW), " in html  # the valid licence, type spelled out, and where
    assert "English, Spanish" in html and "CBT, ACT" in html
