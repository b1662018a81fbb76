"""A therapist's profile page: who may read it, what it says, the next free times in the
reader's zone, choosing from it through the matches page's own flow, and a fixed number
of queries however many licences and free times there are."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.care.models import MatchOffer, Partnership
from alliance.directory.models import AvailabilityWindow, Jurisdiction, Licence, TherapistProfile
from tests.conftest import logged_in, make_client, make_therapist

pytestmark = pytest.mark.django_db


def offer(client, therapist, status=MatchOffer.Status.SHOWN) -> MatchOffer:
    return MatchOffer.objects.create(
        client=client,
        therapist=therapist,
        rank=1,
        score=1.0,
        reasons=["Works with anxiety"],
        weights_version="test",
        index_version="test",
        status=status,
    )


@pytest.fixture
def ana(jurisdiction):
    therapist = make_therapist("ana@example.org", jurisdiction, name="Dr Ana Lopez")
    TherapistProfile.objects.filter(user=therapist).update(
        statement="I listen first.\nThen we plan small steps. <b>Bold</b>",
        approaches=["cbt", "person_centred"],
        languages=["en", "es"],
        style="directive",
    )
    return therapist


@pytest.fixture
def seeker(jurisdiction, ana):
    """A client looking at their matches, one of which is Dr Ana."""
    client = make_client("sam@example.org", jurisdiction, name="Sam")
    offer(client, ana)
    return client


def page_of(browser, therapist, **headers):
    return browser.get(f"/therapists/{therapist.pk}/", **headers)


def test_a_matched_client_reads_the_profile(seeker, ana):
    response = page_of(logged_in(seeker), ana)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dr Ana Lopez" in html
    # initials stand in for the missing photo, hidden from screen readers beside the name
    assert re.search(r'class="portrait initials" aria-hidden="true">AL<', html)
    # the licence spelled out, with where it holds (as on the match card)
    assert "Licensed Clinical Social Worker (LCSW), New York" in html
    assert "Practical exercises for thoughts and habits (CBT)" in html
    assert "Being listened to, at your own pace (person-centred)" in html
    assert "English, Spanish" in html
    # the statement is the therapist's plain text: escaped, its line breaks kept
    assert "I listen first.<br>Then we plan small steps. &lt;b&gt;Bold&lt;/b&gt;" in html
    assert "<b>Bold</b>" not in html


def test_languages_are_named_in_the_readers_language(seeker, ana):
    html = page_of(logged_in(seeker), ana, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "inglés, español" in html.lower()


def test_the_therapist_themself_and_an_admin_read_it(ana, admin_user):
    assert page_of(logged_in(ana), ana).status_code == 200
    assert page_of(logged_in(admin_user), ana).status_code == 200


def test_their_own_client_reads_it(partnership, client_user, their_therapist):
    assert page_of(logged_in(client_user), their_therapist).status_code == 200


def test_nobody_else_reads_it_or_the_photo(ana, jurisdiction, other_therapist):
    from django.test import Client

    stranger = make_client("stranger@example.org", jurisdiction, name="Stranger")
    # a client never offered this therapist, another therapist: as if there were no such page
    for browser in (logged_in(stranger), logged_in(other_therapist)):
        assert page_of(browser, ana).status_code == 404
        assert browser.get(f"/therapists/{ana.pk}/photo/").status_code == 404
    # anonymous: to the log-in page
    response = page_of(Client(), ana)
    assert response.status_code == 302 and "/account/log-in/" in response["Location"]
    # and a client is not given a client's profile by its id
    assert page_of(logged_in(stranger), stranger).status_code == 404


def test_next_free_times_are_in_the_readers_zone(seeker, ana):
    # given a New York therapist free at 09:00 every day, and a reader in Tokyo
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            therapist=ana.therapist_profile, weekday=d, start=dt.time(9), end=dt.time(10)
        )
        for d in range(7)
    )
    seeker.timezone = "Asia/Tokyo"
    seeker.save(update_fields=["timezone"])
    # when they read the profile
    html = page_of(logged_in(seeker), ana).content.decode()
    # then the first five 09:00s in New York still ahead (an hour's notice) are listed, each
    # at its Tokyo time (23:00, or 22:00 while New York keeps summer time)
    new_york, tokyo = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
    soon = timezone.now() + dt.timedelta(hours=1)
    today = soon.astimezone(new_york).date()
    starts = [
        dt.datetime.combine(today + dt.timedelta(days=i), dt.time(9), tzinfo=new_york)
        for i in range(7)
    ]
    expected = [s for s in starts if s >= soon][:5]
    shown = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', html)
    assert [dt.datetime.fromisoformat(iso) for iso, _ in shown] == expected
    for (_, text), start in zip(shown, expected, strict=True):
        local = start.astimezone(tokyo)
        assert local.strftime("%-I:%M %p") in text and local.strftime("%B %-d") in text
    assert "Asia/Tokyo" in html


def test_no_free_times_says_so(seeker, ana):
    html = page_of(logged_in(seeker), ana).content.decode()
    assert "No free times in the next three weeks." in html


def test_choosing_from_the_profile_goes_through_the_matches_flow(seeker, ana):
    browser = logged_in(seeker)
    shown = MatchOffer.objects.get(client=seeker, therapist=ana)
    html = page_of(browser, ana).content.decode()
    # the button posts to the very view the matches page's Choose button posts to
    assert f'action="/care/offers/{shown.pk}/choose/"' in html
    assert "Choose this therapist" in html
    response = browser.post(f"/care/offers/{shown.pk}/choose/")
    assert response.status_code == 302 and response["Location"] == "/home/"
    assert Partnership.objects.filter(client=seeker, therapist=ana, status="active").exists()
    # once chosen, the client still reads the profile, with nothing left to choose
    html = page_of(browser, ana).content.decode()
    assert page_of(browser, ana).status_code == 200 and "Choose this therapist" not in html


def test_no_choose_button_for_the_therapist_or_without_an_open_offer(ana, jurisdiction):
    assert "Choose this therapist" not in page_of(logged_in(ana), ana).content.decode()
    declined = make_client("dee@example.org", jurisdiction, name="Dee")
    offer(declined, ana, status=MatchOffer.Status.DECLINED)
    html = page_of(logged_in(declined), ana).content.decode()
    assert "Dr Ana Lopez" in html and "Choose this therapist" not in html


def test_the_matches_page_links_each_match_to_its_profile(client_user, ana):
    from tests.care.conftest import submit_intake

    submit_intake(client_user)
    html = logged_in(client_user).get("/care/matches/").content.decode()
    assert f'href="/therapists/{ana.pk}/"' in html and "See profile" in html


def test_queries_do_not_grow_with_licences_or_free_times(seeker, ana):
    def count() -> int:
        browser = logged_in(seeker)
        with CaptureQueriesContext(connection) as ctx:
            assert page_of(browser, ana).status_code == 200
        return len(ctx.captured_queries)

    AvailabilityWindow.objects.create(
        therapist=ana.therapist_profile, weekday=0, start=dt.time(9), end=dt.time(10)
    )
    few = count()
    # given many more licences and free times
    for i in range(6):
        place = Jurisdiction.objects.create(code=f"US-X{i}", name=f"Place {i}", country="US")
        Licence.objects.create(
            therapist=ana,
            jurisdiction=place,
            licence_type="LPC",
            number=f"X-{i}",
            issuing_board="Board",
            expires_on=timezone.localdate() + dt.timedelta(days=300),
            verified_at=timezone.now(),
        )
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            therapist=ana.therapist_profile, weekday=d, start=dt.time(8), end=dt.time(18)
        )
        for d in range(1, 7)
    )
    html = page_of(logged_in(seeker), ana).content.decode()
    assert html.count("Licensed Professional Counselor (LPC)") == 6
    assert html.count("<time ") == 5
    # then the page asks the database no more often
    assert count() == few


def test_the_profile_shows_the_fee_the_client_would_pay(seeker, ana):
    from alliance.billing import fees
    from alliance.billing.models import ServiceType

    fees.ensure_standard_services()
    ServiceType.objects.filter(code="90834").update(default_fee_minor=15000)
    assert "$150.00" in page_of(logged_in(seeker), ana).content.decode()
    # the therapist's own fee is the one shown, as on the match card
    fees.set_therapist_fee(
        therapist_id=ana.pk, service=ServiceType.objects.get(code="90834"), fee_minor=12000
    )
    html = page_of(logged_in(seeker), ana).content.decode()
    assert "$120.00" in html and "$150.00" not in html
