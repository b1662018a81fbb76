"""Every Foundation page, as each role, passes axe-core and loads nothing from another host."""

from __future__ import annotations

import pytest
from django_otp.oath import totp

from tests.browser.conftest import assert_accessible, assert_no_external_requests
from tests.conftest import PASSWORD, TOTP_HEX

pytestmark = pytest.mark.browser


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/account/log-in/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if "/two-factor/" in page.url:
        page.get_by_label("Code from your authenticator app").fill(
            f"{totp(bytes.fromhex(TOTP_HEX)):06d}"
        )
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/home/")


def visit(page, base: str, path: str) -> None:
    page.goto(base + path)
    assert_accessible(page)
    assert_no_external_requests(page, base)


def test_public_pages(live_asgi_server, page, db):
    for path in [
        "/",
        "/help/",
        "/account/log-in/",
        "/account/sign-up/",
        "/account/password/reset/",
    ]:
        visit(page, live_asgi_server.url, path)


def test_client_pages(live_asgi_server, page, partnership, client_user):
    base = live_asgi_server.url
    log_in(page, base, client_user.email)
    for path in ["/home/", f"/care/partnerships/{partnership.pk}/", "/help/"]:
        visit(page, base, path)


def test_therapist_pages(live_asgi_server, page, partnership, their_therapist):
    base = live_asgi_server.url
    log_in(page, base, their_therapist.email)
    for path in ["/home/", f"/care/partnerships/{partnership.pk}/", "/directory/licences/"]:
        visit(page, base, path)


def test_admin_pages(live_asgi_server, page, admin_user, their_therapist):
    base = live_asgi_server.url
    log_in(page, base, admin_user.email)
    for path in [
        "/home/",
        "/home/?tab=clients",
        f"/directory/therapists/{their_therapist.pk}/",
        "/directory/therapists/invite/",
    ]:
        visit(page, base, path)
