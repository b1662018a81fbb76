"""A client signs up, verifies, consents, logs out and in; a therapist logs in with TOTP."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp

from tests.browser.conftest import assert_accessible, assert_no_external_requests
from tests.conftest import PASSWORD, TOTP_HEX, make_therapist

pytestmark = pytest.mark.browser


def test_client_signs_up_verifies_consents_and_returns(live_asgi_server, page, jurisdiction):
    base = live_asgi_server.url
    # given a visitor on the sign-up page
    page.goto(f"{base}/account/sign-up/")
    assert_accessible(page)
    assert_no_external_requests(page, base)
    page.get_by_label("Your first name").fill("Robin")
    page.get_by_label("E-mail address").fill("robin@example.org")
    page.get_by_label("Date of birth").fill("1990-04-02")
    page.get_by_label("Password").fill("a calm river at dawn")
    page.get_by_role("button", name="Create account").click()
    # when they open the link in the verification e-mail
    page.wait_for_url(re.compile(r"/account/welcome/"))
    assert_accessible(page)
    mail = "\n".join(live_asgi_server.mails())
    link = re.search(r"http://127\.0\.0\.1:\d+/account/verify/\S+/", mail).group(0)
    page.goto(link)
    page.wait_for_url(re.compile(r"/account/welcome/"))
    assert page.get_by_text("Thank you, your e-mail address is confirmed.").is_visible()
    # and give their location, emergency contact and consent
    page.get_by_label("Where you usually live").select_option(label="New York")
    page.get_by_label("Your time zone").select_option("America/New_York")
    page.get_by_label("Emergency contact: name").fill("Sam")
    page.get_by_label("Emergency contact: phone").fill("+1 555 123 4567")
    page.get_by_role("button", name="Save details").click()
    page.get_by_label("I have read and agree to this consent.").check()
    page.get_by_role("button", name="Give consent").click()
    # then they reach the client home, and again after logging out and in
    page.wait_for_url(re.compile(r"/home/$"))
    assert page.get_by_role("heading", name="Hello, Robin").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/account/log-in/"))
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("robin@example.org")
    page.get_by_label("Password").fill("a calm river at dawn")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/home/$"))
    assert page.get_by_role("heading", name="Hello, Robin").is_visible()


def test_therapist_logs_in_with_totp(live_asgi_server, page, jurisdiction):
    make_therapist("tess@example.org", jurisdiction, name="Dr Tess")
    base = live_asgi_server.url
    page.goto(f"{base}/account/log-in/")
    page.get_by_label("E-mail address").fill("tess@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/account/two-factor/"))
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app").fill(
        f"{totp(bytes.fromhex(TOTP_HEX)):06d}"
    )
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"/home/$"))
    assert page.get_by_role("heading", name="Your caseload").is_visible()
    assert_accessible(page)
