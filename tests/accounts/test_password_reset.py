from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def reset_link(mailoutbox) -> str:
    return re.search(r"(/account/password/reset/[^/\s]+/[^/\s]+/)", mailoutbox[-1].body).group(1)


def test_password_reset_by_email(client_user, mailoutbox):
    browser = Client()
    browser.post("/account/password/reset/", {"email": "client@example.org"})
    assert len(mailoutbox) == 1
    form = browser.get(reset_link(mailoutbox), follow=True)
    assert form.status_code == 200
    response = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a new and long password", "new_password2": "a new and long password"},
    )
    assert response.status_code == 302
    client_user.refresh_from_db()
    assert client_user.check_password("a new and long password")


def test_unknown_email_sends_nothing_and_says_the_same(db, mailoutbox):
    response = Client().post("/account/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mailoutbox == []


def test_expired_reset_link_changes_nothing(client_user, mailoutbox):
    browser = Client()
    browser.post("/account/password/reset/", {"email": "client@example.org"})
    link = reset_link(mailoutbox)
    with override_settings(PASSWORD_RESET_TIMEOUT=-1):
        page = browser.get(link, follow=True)
        assert "expired" in page.content.decode()
    client_user.refresh_from_db()
    assert client_user.check_password(PASSWORD)


def test_admin_invites_therapist_who_sets_a_password(
    admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    from alliance.accounts.models import User
    from tests.conftest import logged_in

    admin = logged_in(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/directory/therapists/invite/",
            {"display_name": "Dr New", "email": "dr.new@example.org"},
        )
    assert response.status_code == 302
    therapist = User.objects.get(email="dr.new@example.org")
    assert therapist.role == "therapist" and not therapist.has_usable_password()
    assert "invited you" in mailoutbox[-1].body
    browser = Client()
    form = browser.get(reset_link(mailoutbox), follow=True)
    browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a therapist password!", "new_password2": "a therapist password!"},
    )
    therapist.refresh_from_db()
    assert therapist.check_password("a therapist password!")


def test_invite_with_existing_email_is_refused(admin_user, client_user):
    from tests.conftest import logged_in

    response = logged_in(admin_user).post(
        "/directory/therapists/invite/", {"display_name": "X", "email": "client@example.org"}
    )
    assert response.status_code == 400
    assert "already has an account" in response.content.decode()
