from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import logged_in, make_client, make_therapist

pytestmark = pytest.mark.django_db


def test_client_home_shows_their_therapist(partnership, client_user):
    page = logged_in(client_user).get("/home/").content.decode()
    assert "Dr Tess" in page
    assert "988" in page  # crisis resources for their location


def test_therapist_home_lists_only_their_clients(
    partnership, their_therapist, other_therapist, jurisdiction
):
    from alliance.care.services import start_partnership

    stranger = make_client("stranger@example.org", jurisdiction, name="Stranger Sue")
    start_partnership(client=stranger, therapist=other_therapist)
    page = logged_in(their_therapist).get("/home/").content.decode()
    assert "Casey" in page
    assert "Stranger Sue" not in page


def test_admin_home_lists_therapists_with_licence_status(
    admin_user, their_therapist, other_therapist
):
    page = logged_in(admin_user).get("/home/").content.decode()
    assert "Dr Tess" in page and "Dr Otto" in page
    assert "US-NY · valid" in page


def test_admin_searches_therapists_and_clients(
    admin_user, their_therapist, other_therapist, client_user
):
    browser = logged_in(admin_user)
    page = browser.get("/home/?q=Otto").content.decode()
    assert "Dr Otto" in page and "Dr Tess" not in page
    fragment = browser.get("/home/?tab=clients&q=casey", HTTP_HX_REQUEST="true").content.decode()
    assert "Casey" in fragment and "<html" not in fragment


def test_admin_therapist_list_has_no_n_plus_one(admin_user, jurisdiction):
    browser = logged_in(admin_user)
    for i in range(3):
        make_therapist(f"t{i}@example.org", jurisdiction, name=f"T{i}")
    with CaptureQueriesContext(connection) as few:
        browser.get("/home/")
    for i in range(3, 15):
        make_therapist(f"t{i}@example.org", jurisdiction, name=f"T{i}")
    with CaptureQueriesContext(connection) as many:
        browser.get("/home/")
    assert len(many) == len(few)


def test_caseload_has_no_n_plus_one(their_therapist, jurisdiction):
    from alliance.care.services import start_partnership

    browser = logged_in(their_therapist)
    start_partnership(client=make_client("a@example.org", jurisdiction), therapist=their_therapist)
    with CaptureQueriesContext(connection) as few:
        browser.get("/home/")
    for i in range(8):
        start_partnership(
            client=make_client(f"c{i}@example.org", jurisdiction), therapist=their_therapist
        )
    with CaptureQueriesContext(connection) as many:
        browser.get("/home/")
    assert len(many) == len(few)


def test_public_pages_render(client, db):
    for url in ["/", "/help/", "/account/log-in/", "/account/sign-up/", "/account/password/reset/"]:
        assert client.get(url).status_code == 200


def test_search_query_is_bounded(admin_user):
    response = logged_in(admin_user).get("/home/?q=" + "x" * 5000)
    assert response.status_code == 200


def test_unknown_page_is_404(client, db):
    assert client.get("/no-such-page/").status_code == 404


def test_the_practice_counts_read_as_words_and_lead_to_their_therapists(
    admin_user, their_therapist, other_therapist
):
    from alliance.directory.models import Licence

    Licence.objects.filter(therapist=other_therapist).update(verified_at=None)
    browser = logged_in(admin_user)
    home = browser.get("/home/").content.decode()
    assert "1 licence to verify" not in home  # the number is its own element
    assert ">licence to verify</a>" in home and "licences=unverified" in home
    listed = browser.get("/home/?tab=therapists&licences=unverified").content.decode()
    assert other_therapist.name in listed and their_therapist.name not in listed
    assert browser.get("/home/?licences=nonsense").status_code == 200
