"""Waiting list offers, therapist records with a minimum of cases, and refitting weights."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from alliance.care import match_index, therapist_rows, waitlist
from alliance.care.learning import refit_weights
from alliance.care.models import MatchOffer, Partnership, WaitlistEntry, WeightSet
from alliance.checkins.safety import raise_safety_alert
from tests.care.conftest import submit_intake
from tests.conftest import logged_in, make_client, make_therapist

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_place(jurisdiction):
    therapist = make_therapist("one.place@example.org", jurisdiction, name="Dr One")
    profile = therapist.therapist_profile
    profile.capacity = 1
    profile.save(update_fields=["capacity"])
    return therapist


def test_client_joins_and_leaves_the_waiting_list(client_user):
    submit_intake(client_user)
    browser = logged_in(client_user)
    browser.post("/care/waiting-list/", {"action": "join"})
    browser.post("/care/waiting-list/", {"action": "join"})  # twice: one entry
    assert WaitlistEntry.objects.filter(client=client_user, status="waiting").count() == 1
    assert "since" in browser.get("/care/waiting-list/").content.decode()
    browser.post("/care/waiting-list/", {"action": "leave"})
    assert not WaitlistEntry.objects.filter(status="waiting").exists()


def test_join_without_intake_asks_for_one(client_user):
    response = logged_in(client_user).post("/care/waiting-list/", {"action": "join"})
    assert response.status_code == 302 and response["Location"] == "/care/intake/"
    assert not WaitlistEntry.objects.exists()


def test_assignment_offers_the_place_to_the_client_with_a_safety_alert(jurisdiction, one_place):
    # given two waiting clients for one place; the one who joined later has an open alert
    first = make_client("first@example.org", jurisdiction, name="First")
    second = make_client("second@example.org", jurisdiction, name="Second")
    for client in (first, second):
        waitlist.join_waitlist(client=client, intake=submit_intake(client))
    WaitlistEntry.objects.filter(client=first).update(
        joined_at=timezone.now() - dt.timedelta(days=3)
    )
    raise_safety_alert(client=second, source="intake_screen", evidence={})
    # when the admin runs the assignment
    response = logged_in_admin().post("/care/admin/waiting-list/")
    assert response.status_code == 200
    # then the client with the alert gets the offer, as an offer, not a partnership
    offer = MatchOffer.objects.get(source="waitlist")
    assert offer.client == second and offer.status == "shown" and offer.reasons
    assert not Partnership.objects.exists()
    # and running again does not offer the held place to anyone else
    call_command("assign-waitlist")
    assert MatchOffer.objects.filter(source="waitlist").count() == 1


def logged_in_admin():
    from alliance.accounts.models import User

    admin = User.objects.filter(role="admin").first()
    if admin is None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from tests.conftest import TOTP_HEX

        admin = User.objects.create_user(
            email="wl.admin@example.org", password="x", role="admin", display_name="Ad"
        )
        TOTPDevice.objects.create(user=admin, name="p", key=TOTP_HEX, confirmed=True)
    return logged_in(admin)


def test_client_accepts_or_declines_an_offer(client_user, one_place):
    waitlist.join_waitlist(client=client_user, intake=submit_intake(client_user))
    waitlist.run_assignment()
    offer = MatchOffer.objects.get(source="waitlist")
    browser = logged_in(client_user)
    assert "has room for you" in browser.get("/care/waiting-list/").content.decode()
    browser.post(f"/care/offers/{offer.pk}/decline/")
    offer.refresh_from_db()
    assert offer.status == "declined"
    assert WaitlistEntry.objects.get(client=client_user).status == "waiting"
    waitlist.run_assignment()
    again = MatchOffer.objects.get(source="waitlist", status="shown")
    browser.post(f"/care/offers/{again.pk}/choose/")
    assert Partnership.objects.get(client=client_user).therapist == one_place
    assert WaitlistEntry.objects.get(client=client_user).status == "matched"


def test_admin_waitlist_page_access(client_user, their_therapist, admin_user, client):
    assert logged_in(admin_user).get("/care/admin/waiting-list/").status_code == 200
    assert logged_in(client_user).post("/care/admin/waiting-list/").status_code == 403
    assert logged_in(their_therapist).post("/care/admin/waiting-list/").status_code == 403
    assert client.post("/care/admin/waiting-list/").status_code == 302


def _fake_history(monkeypatch, therapist_values: dict[int, list[float]]) -> None:
    """Partnerships with an observed session-3 alliance, as checkins would report them."""
    observed: dict[int, float] = {}
    for therapist_id, values in therapist_values.items():
        for i, value in enumerate(values):
            client = make_client(f"h{therapist_id}-{i}@example.org", None, name="H")
            p = Partnership.objects.create(
                client=client,
                therapist_id=therapist_id,
                status="ended",
                started_at=timezone.now() - dt.timedelta(days=60),
                ended_at=timezone.now(),
                end_reason="dropout" if i % 4 == 0 else "completed",
            )
            observed[p.pk] = value
    monkeypatch.setattr(
        therapist_rows,
        "observed_by_partnership",
        lambda ids: ({i: observed[i] for i in ids if i in observed}, {}),
    )


def test_records_need_the_minimum_number_of_cases(
    monkeypatch, settings, admin_user, their_therapist, other_therapist
):
    settings.MATCHING_MIN_CASES = 5
    _fake_history(monkeypatch, {their_therapist.pk: [0.8] * 6, other_therapist.pk: [0.6] * 3})
    from alliance.care import records

    monkeypatch.setattr(records, "observed_by_partnership", therapist_rows.observed_by_partnership)
    admin = logged_in(admin_user)
    shown = admin.get(f"/care/records/{their_therapist.pk}/").content.decode()
    assert " to " in shown and "practice" in shown  # an estimate with its interval
    hidden = admin.get(f"/care/records/{other_therapist.pk}/").content.decode()
    assert "not enough cases yet (3)" in hidden
    listing = admin.get("/care/records/").content.decode()
    assert "Dr Tess" in listing and "; practice" not in listing  # counts only, no estimates


def test_records_access(client_user, their_therapist, other_therapist, admin_user):
    assert logged_in(their_therapist).get("/care/records/mine/").status_code == 200
    assert logged_in(their_therapist).get(f"/care/records/{other_therapist.pk}/").status_code == 403
    assert logged_in(their_therapist).get("/care/records/").status_code == 403
    assert logged_in(client_user).get("/care/records/mine/").status_code == 403
    assert logged_in(admin_user).get("/care/records/999999/").status_code == 404


def test_refit_without_history_keeps_the_weights(capsys):
    call_command("refit-matching")
    assert "Nothing to learn from" in capsys.readouterr().out
    assert not WeightSet.objects.exists()


def test_refit_stores_a_new_version_only_when_fit_improves(monkeypatch, jurisdiction):
    # given rated partnerships whose alliance follows the specialty fit only
    therapists = [
        make_therapist(f"rt{i}@example.org", jurisdiction, name=f"Dr R{i}") for i in range(4)
    ]
    for i, t in enumerate(therapists):
        t.therapist_profile.specialties = ["anxiety"] if i % 2 else ["grief"]
        t.therapist_profile.save(update_fields=["specialties"])
    observed = {}
    for n in range(24):
        client = make_client(f"rc{n}@example.org", jurisdiction, name="R")
        answers = submit_intake(client)
        t = therapists[n % 4]
        p = Partnership.objects.create(
            client=client, therapist=t, started_at=timezone.now(), intake=answers
        )
        observed[p.pk] = (1.0 if n % 2 else 0.0) + 0.01 * (n % 3)
    monkeypatch.setattr(
        "alliance.care.learning.observed_by_partnership", lambda ids: (observed, {})
    )
    outcome = refit_weights()
    stored = WeightSet.objects.filter(active=True).first()
    if outcome.replaced:
        assert stored is not None and stored.version == outcome.version
        assert match_index.current_weights().version == outcome.version
    else:
        assert stored is None
    assert outcome.partnerships == 24


def test_records_list_is_searched_and_paged(admin_user, jurisdiction):
    for i in range(55):
        make_therapist(f"t{i:02d}@example.org", jurisdiction, name=f"Therapist {i:02d}")
    make_therapist("zoe@example.org", jurisdiction, name="Zoe Quintana")
    admin = logged_in(admin_user)
    first = admin.get("/care/records/").content.decode()
    assert "Page 1 of 2" in first and "Therapist 49" in first and "Zoe Quintana" not in first
    assert "Zoe Quintana" in admin.get("/care/records/?page=2").content.decode()
    found = admin.get("/care/records/?q=quintana").content.decode()
    assert "Zoe Quintana" in found and "Therapist 00" not in found
    assert "Zoe Quintana" in admin.get("/care/records/?q=ZOE@EXAMPLE").content.decode()
    nothing = admin.get("/care/records/?q=nobody")
    assert nothing.status_code == 200 and "No therapist matches" in nothing.content.decode()
    assert admin.get("/care/records/?page=abc").status_code == 200  # a bad page shows page 1
