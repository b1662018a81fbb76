from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client, TestCase
from django.utils import timezone

from alliance.accounts.models import ClientProfile, User

pytestmark = pytest.mark.django_db


def sign_up(client: Client, **overrides: str):
    data = {
        "display_name": "Robin",
        "email": "robin@example.org",
        "date_of_birth": "1991-03-04",
        "password": "a calm river at dawn",
    }
    data.update(overrides)
    # Sign-up sends its e-mail on commit: run those callbacks inside the test transaction.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/account/sign-up/", data)


def test_sign_up_creates_client_and_sends_verification(client, mailoutbox):
    response = sign_up(client)
    assert response.status_code == 302
    user = User.objects.get(email="robin@example.org")
    assert user.role == "client"
    assert user.email_verified_at is None
    assert ClientProfile.objects.get(user=user).date_of_birth == dt.date(1991, 3, 4)
    assert len(mailoutbox) == 1
    assert "/account/verify/" in mailoutbox[0].body


def test_verification_link_confirms_address(client, mailoutbox):
    sign_up(client)
    link = re.search(r"http://\S+/account/verify/\S+/", mailoutbox[0].body).group(0)
    path = link.split("8000", 1)[-1] if "8000" in link else "/" + link.split("/", 3)[3]
    response = client.get(path)
    assert response.status_code == 302
    assert User.objects.get(email="robin@example.org").email_verified_at is not None


def test_tampered_verification_link_is_refused(client):
    sign_up(client)
    response = client.get("/account/verify/not-a-real-token/")
    assert response.status_code == 400
    assert User.objects.get(email="robin@example.org").email_verified_at is None


def test_duplicate_email_is_refused_and_creates_nothing(client, client_user):
    before = User.objects.count()
    response = sign_up(client, email="CLIENT@example.org")
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == before


def test_weak_password_is_refused(client):
    response = sign_up(client, password="password")
    assert response.status_code == 200
    assert "too common" in response.content.decode() or "too short" in response.content.decode()
    assert not User.objects.filter(email="robin@example.org").exists()


def test_under_18_is_refused_kindly_with_resources_and_nothing_stored(client):
    born = timezone.localdate() - dt.timedelta(days=17 * 365)
    response = sign_up(client, date_of_birth=born.isoformat())
    body = response.content.decode()
    assert response.status_code == 200
    assert "adults only" in body
    assert "Emergency services" in body
    assert not User.objects.filter(email="robin@example.org").exists()


def test_future_date_of_birth_is_refused(client):
    response = sign_up(client, date_of_birth="2999-01-01")
    assert "real date of birth" in response.content.decode()
    assert not User.objects.exists()


def test_bad_email_is_refused(client):
    response = sign_up(client, email="not-an-email")
    assert response.status_code == 200
    assert not User.objects.exists()


def test_a_sign_up_racing_another_with_the_same_address_is_refused_not_a_500(client, monkeypatch):
    from alliance.accounts.forms import SignUpForm

    sign_up(Client())
    # The second request's check ran before the first one's insert committed.
    monkeypatch.setattr(SignUpForm, "clean_email", lambda self: self.cleaned_data["email"])
    response = sign_up(client)
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert User.objects.filter(email="robin@example.org").count() == 1
