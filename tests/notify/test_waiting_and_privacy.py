"""A client waiting in a call tells the therapist once per appointment; export and erasure
take in the notification data."""

from __future__ import annotations

import pytest
from django.db import connection

from alliance.conversations import services
from alliance.conversations.models import CallSession
from alliance.conversations.tasks import notify_client_waiting
from alliance.notify import choices
from alliance.notify.models import Delivery, Phone, Preferences, PushSubscription
from alliance.privacy import rights
from tests.notify.fakes import new_browser, push_service, run_deliveries

pytestmark = pytest.mark.django_db


def test_a_waiting_client_tells_the_therapist_once(
    partnership, client_user, their_therapist, django_capture_on_commit_callbacks
):
    Preferences.objects.create(user=their_therapist, quiet_start=None, quiet_end=None)
    with push_service() as fake:
        browser = new_browser()
        choices.subscribe(
            user=their_therapist, endpoint=f"{fake.url}/t", p256dh=browser.p256dh, auth=browser.auth
        )
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.join_call(
                partnership=partnership, user=client_user, mode="video", location="US-NY"
            )
        assert callbacks  # the task was enqueued on commit
        call = CallSession.objects.get(partnership=partnership)
        with django_capture_on_commit_callbacks(execute=True):
            assert notify_client_waiting.call(call.pk) == "sent"
            assert notify_client_waiting.call(call.pk) == "not sent"  # a rejoin: not again
        assert run_deliveries() == ["sent"]
        assert len(fake.requests) == 1


def test_no_word_once_the_therapist_is_in_the_call(partnership, client_user, their_therapist):
    services.join_call(partnership=partnership, user=their_therapist, mode="video")
    services.join_call(partnership=partnership, user=client_user, mode="video", location="US-NY")
    call = CallSession.objects.get(partnership=partnership)
    assert notify_client_waiting.call(call.pk) == "joined"


def test_export_and_erasure(client_user, their_therapist, partnership):
    browser = new_browser()
    choices.subscribe(
        user=client_user,
        endpoint="https://push.example.org/abc",
        p256dh=browser.p256dh,
        auth=browser.auth,
    )
    phone = Phone(user=client_user, number="+15551230000", digest="d" * 64)
    phone.save()
    Preferences.objects.create(user=client_user, show_detail=True)
    exported = rights.export_json(user=client_user)["parts"]["notify"]
    assert exported["phone"]["number"] == "+15551230000"
    assert exported["preferences"]["show_detail"] is True
    assert exported["push_devices"][0]["endpoint_host"] == "push.example.org"
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM notify_phone")
        (stored,) = cursor.fetchone()
    assert "5551230000" not in stored  # encrypted at rest
    rights.erase_client(user=client_user, actor=client_user)
    assert not PushSubscription.objects.filter(user=client_user).exists()
    assert not Phone.objects.filter(user=client_user).exists()
    assert not Delivery.objects.filter(user=client_user).exists()
