"""A new client's time zone starts as the browser's, not UTC or the first of the list; an
old alias the browser reports is mapped to the current name; a zone already chosen is kept."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def sign_up(page, base, email):
    page.goto(f"{base}/account/sign-up/")
    page.get_by_label("Your first name").fill("Robin")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Date of birth").fill("1990-04-02")
    page.get_by_label("Password").fill("a calm river at dawn")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/account/welcome/"))


@pytest.mark.parametrize(
    ("browser_zone", "proposed"),
    [("America/Los_Angeles", "America/Los_Angeles"), ("Asia/Calcutta", "Asia/Kolkata")],
)
def test_the_browsers_zone_is_proposed_to_a_new_client(
    live_asgi_server, new_page, browser_zone, proposed
):
    page = new_page(timezone_id=browser_zone)
    sign_up(page, live_asgi_server.url, f"robin-{proposed.replace('/', '-')}@example.org")
    assert page.get_by_label("Your time zone").input_value() == proposed
    assert_accessible(page)


def test_a_zone_already_chosen_is_not_replaced(live_asgi_server, new_page):
    from alliance.accounts.models import User

    page = new_page(timezone_id="America/Los_Angeles")
    sign_up(page, live_asgi_server.url, "sam@example.org")
    User.objects.filter(email="sam@example.org").update(timezone="Europe/Madrid")
    page.reload()
    assert page.get_by_label("Your time zone").input_value() == "Europe/Madrid"
