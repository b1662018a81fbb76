from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from alliance.accounts.models import User
from tests.conftest import PASSWORD, TOTP_HEX

pytestmark = pytest.mark.django_db


def current_code() -> str:
    return f"{totp(bytes.fromhex(TOTP_HEX)):06d}"


def password_step(email: str) -> Client:
    browser = Client()
    response = browser.post("/account/log-in/", {"email": email, "password": PASSWORD})
    assert response["Location"] == "/account/two-factor/"
    return browser


def test_therapist_cannot_open_pages_before_the_second_factor(their_therapist):
    browser = password_step("their.therapist@example.org")
    assert browser.get("/home/")["Location"] == "/account/two-factor/"


def test_right_totp_code_completes_log_in(their_therapist):
    browser = password_step("their.therapist@example.org")
    response = browser.post("/account/two-factor/", {"token": current_code()})
    assert response.status_code == 302
    assert browser.get("/home/").status_code == 200


def test_wrong_totp_code_is_refused(their_therapist):
    browser = password_step("their.therapist@example.org")
    response = browser.post("/account/two-factor/", {"token": "000000"})
    assert response.status_code == 400
    assert "not right" in response.content.decode()
    assert browser.get("/home/").status_code == 302


def test_replayed_totp_code_is_refused(their_therapist):
    code = current_code()
    first = password_step("their.therapist@example.org")
    assert first.post("/account/two-factor/", {"token": code}).status_code == 302
    second = password_step("their.therapist@example.org")
    response = second.post("/account/two-factor/", {"token": code})
    assert response.status_code == 400
    assert second.get("/home/").status_code == 302


def test_new_therapist_sets_up_totp_and_gets_recovery_codes(jurisdiction):
    from django_otp.oath import TOTP

    user = User.objects.create_user(email="new.t@example.org", password=PASSWORD, role="therapist")
    browser = password_step("new.t@example.org")
    page = browser.get("/account/two-factor/")
    assert "data:image/svg+xml" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    code = f"{TOTP(device.bin_key).token():06d}"
    response = browser.post("/account/two-factor/", {"token": code})
    assert response.status_code == 200
    assert "recovery codes" in response.content.decode().lower()
    device.refresh_from_db()
    assert device.confirmed
    assert browser.get("/home/").status_code == 200


def test_recovery_code_works_once(their_therapist):
    from alliance.accounts.services import new_recovery_codes

    codes = new_recovery_codes(user=their_therapist)
    first = password_step("their.therapist@example.org")
    assert first.post("/account/two-factor/", {"token": codes[0]}).status_code == 302
    second = password_step("their.therapist@example.org")
    assert second.post("/account/two-factor/", {"token": codes[0]}).status_code == 400


def test_admin_needs_second_factor_too(admin_user):
    browser = password_step("admin@example.org")
    assert browser.get("/home/")["Location"] == "/account/two-factor/"
