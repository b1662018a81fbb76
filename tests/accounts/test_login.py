from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_client_logs_in_and_out(client_user):
    browser = Client()
    response = browser.post(
        "/account/log-in/", {"email": "client@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/home/"
    assert browser.get("/home/").status_code == 200
    browser.post("/account/log-out/")
    assert browser.get("/home/").status_code == 302


def test_wrong_password_is_refused_with_a_clear_message(client_user):
    response = Client().post(
        "/account/log-in/", {"email": "client@example.org", "password": "nope"}
    )
    assert response.status_code == 400
    assert "do not match" in response.content.decode()


def test_repeated_failures_lock_the_account_even_with_the_right_password(client_user):
    browser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        browser.post("/account/log-in/", {"email": "client@example.org", "password": "wrong"})
    response = browser.post(
        "/account/log-in/", {"email": "client@example.org", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert browser.get("/home/").status_code == 302


def test_log_out_needs_post(client_user):
    from tests.conftest import logged_in

    browser = logged_in(client_user)
    assert browser.get("/account/log-out/").status_code == 405


def test_idle_session_times_out():
    # The session cookie expires after SESSION_COOKIE_AGE without a request (automatic
    # logoff, HIPAA §164.312(a)(2)(iii)); every request renews it.
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE <= 30 * 60


def test_expired_session_logs_out(client_user):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from tests.conftest import logged_in

    browser = logged_in(client_user)
    Session.objects.update(expire_date=timezone.now())
    assert browser.get("/home/").status_code == 302


@pytest.mark.parametrize(("query", "said"), [("", True), ("?quiet=1", False)])
def test_the_quick_exits_log_out_leaves_no_message_behind(client_user, query, said):
    # Whoever opens the site next in that browser must not read "You are logged out".
    browser = Client()
    browser.post("/account/log-in/", {"email": "client@example.org", "password": PASSWORD})
    page = browser.post(f"/account/log-out/{query}", follow=True).content.decode()
    assert ("You are logged out." in page) is said
    assert browser.get("/home/").status_code == 302


def test_pages_for_a_logged_in_person_are_not_stored_and_log_out_clears_the_cache(
    client_user,
):
    browser = Client()
    public = browser.get("/account/log-in/")
    assert "no-store" not in public.get("Cache-Control", "")
    browser.post("/account/log-in/", {"email": "client@example.org", "password": PASSWORD})
    home = browser.get("/home/")
    assert home["Cache-Control"] == "no-store, private"
    assert "<title>" in (html := home.content.decode()) and " · Alliance</title>" in html
    assert browser.post("/account/log-out/")["Clear-Site-Data"] == '"cache"'
    assert browser.get("/sw.js")["Cache-Control"] == "no-cache"  # its own header stays
