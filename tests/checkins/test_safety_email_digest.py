"""A burst of crisis signals is one e-mail, then a digest: every signal is still stored and
appended to the open safety alert in its own request; only the e-mails are coalesced."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alliance.checkins import safety
from alliance.checkins.models import Alert

pytestmark = pytest.mark.django_db


def signal(client_user, partnership, n: int):
    return safety.raise_safety_alert(
        client=client_user,
        partnership=partnership,
        source="message",
        evidence={"message_id": n, "phrases": ["want to die"]},
    )


def test_a_burst_of_signals_sends_one_email_then_one_digest(
    client_user,
    partnership,
    their_therapist,
    on_call_therapist,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SAFETY_DIGEST_MINUTES = 15
    mail.outbox.clear()
    # when 30 crisis messages arrive in a burst
    with django_capture_on_commit_callbacks(execute=True):
        alert = signal(client_user, partnership, 0)
    for n in range(1, 30):
        with django_capture_on_commit_callbacks(execute=True):
            signal(client_user, partnership, n)
    # then every signal is on the alert ...
    alert.refresh_from_db()
    assert len(alert.evidence) == 30 and alert.is_open
    # ... the clinicians got one e-mail each, at once ...
    assert sorted(a for m in mail.outbox for a in m.to) == sorted(
        [their_therapist.email, on_call_therapist.email]
    )
    # ... and one digest is due at the end of the window, queued once
    assert alert.digest_due_at is not None
    assert DBTaskResult.objects.filter(task_path__endswith="send_digest").count() == 1
    mail.outbox.clear()
    assert safety.digest_due(alert.pk, now=timezone.now()) == []  # not due yet: nothing
    later = alert.digest_due_at + dt.timedelta(seconds=1)
    sent = safety.digest_due(alert.pk, now=later)
    assert sorted(sent) == sorted([their_therapist.email, on_call_therapist.email])
    assert "29 new signals" in mail.outbox[0].subject
    assert "want to die" not in mail.outbox[0].body  # a link only, never the words
    # the digest is sent once
    assert safety.digest_due(alert.pk, now=later) == []
    assert Alert.objects.get(pk=alert.pk).digest_due_at is None


def test_a_signal_after_a_quiet_window_emails_at_once(
    client_user, partnership, their_therapist, settings, django_capture_on_commit_callbacks
):
    settings.SAFETY_DIGEST_MINUTES = 15
    with django_capture_on_commit_callbacks(execute=True):
        alert = signal(client_user, partnership, 0)
    alert.events.filter(action="notified").update(
        created_at=timezone.now() - dt.timedelta(minutes=20)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        signal(client_user, partnership, 1)
    assert [m.to for m in mail.outbox] == [[their_therapist.email]]
    assert Alert.objects.get(pk=alert.pk).digest_due_at is None


def test_no_digest_for_a_closed_alert(
    client_user, partnership, their_therapist, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alert = signal(client_user, partnership, 0)
    with django_capture_on_commit_callbacks(execute=True):
        signal(client_user, partnership, 1)
    alert.refresh_from_db()
    Alert.objects.filter(pk=alert.pk).update(is_open=False, state="resolved")
    mail.outbox.clear()
    assert safety.digest_due(alert.pk, now=alert.digest_due_at + dt.timedelta(seconds=1)) == []
    assert mail.outbox == []
