"""Reminder tasks are idempotent; booking e-mails carry an .ics; the private feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import formats
from icalendar import Calendar

from alliance.schedule import services, tasks
from alliance.schedule.models import CalendarFeed, ProgressNote
from tests.conftest import logged_in
from tests.schedule.conftest import ny

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(partnership, client_user, open_week):
    return services.book_appointment(
        partnership=partnership, starts_at=ny(3, 10), modality="audio", by=client_user
    )


def test_booking_queues_the_email_reminders_and_the_close(booked):
    from django_tasks_db.models import DBTaskResult

    tasks.schedule_followups(booked.pk)
    names = sorted(r.task_path.rsplit(".", 1)[-1] for r in DBTaskResult.objects.all())
    assert names == ["close_appointment", "send_reminder", "send_reminder"]
    run_after = sorted(
        r.run_after for r in DBTaskResult.objects.filter(task_path__endswith="send_reminder")
    )
    assert run_after == [
        booked.starts_at - dt.timedelta(hours=24),
        booked.starts_at - dt.timedelta(hours=1),
    ]


def test_booking_email_has_an_ics_attachment_and_no_names(booked):
    assert tasks.send_appointment_email.call(booked.pk, "booked", booked.sequence) == 2
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    (filename, content, mimetype) = message.attachments[0]
    assert filename.endswith(".ics") and mimetype.startswith("text/calendar")
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Alliance session"
    assert event.decoded("DTSTART") == booked.starts_at
    text = content if isinstance(content, str) else content.decode()
    assert "Tess" not in text and "Casey" not in text
    # The e-mail shows each person's own local time (both in New York here).
    local = booked.starts_at.astimezone(ny(0, 0).tzinfo)
    assert formats.time_format(local, "TIME_FORMAT") in message.body


def test_stale_booking_email_is_skipped(booked):
    assert tasks.send_appointment_email.call(booked.pk, "booked", booked.sequence + 1) == 0
    assert mail.outbox == []


def test_reminder_is_sent_once(booked):
    start = booked.starts_at.isoformat()
    assert tasks.send_reminder.call(booked.pk, "24h", start) is True
    assert tasks.send_reminder.call(booked.pk, "24h", start) is False
    assert len(mail.outbox) == 2  # client and therapist, once


def test_reminder_for_a_moved_or_cancelled_appointment_is_not_sent(booked, client_user):
    old_start = booked.starts_at.isoformat()
    services.reschedule_appointment(appointment=booked, starts_at=ny(4, 10), by=client_user)
    assert tasks.send_reminder.call(booked.pk, "1h", old_start) is False
    booked.refresh_from_db()
    services.cancel_appointment(appointment=booked, by=client_user)
    assert tasks.send_reminder.call(booked.pk, "1h", booked.starts_at.isoformat()) is False
    assert mail.outbox == []


def test_private_feed_lists_appointments_without_clinical_content(
    client, booked, client_user, their_therapist
):
    services.save_progress_note(
        appointment=booked, author=their_therapist, template="free", text="Grief work"
    )
    logged_in(client_user).post("/schedule/calendar/", {"action": "create"})
    token = CalendarFeed.objects.get(user=client_user).token
    response = client.get(f"/schedule/feed/{token}.ics")
    assert response.status_code == 200
    body = response.content.decode()
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1 and str(events[0]["SUMMARY"]) == "Alliance session"
    assert "Grief" not in body and "Tess" not in body and "Casey" not in body
    therapist_feed = services.feed_for(user=their_therapist)
    assert (
        len(
            Calendar.from_ical(
                client.get(f"/schedule/feed/{therapist_feed.token}.ics").content
            ).walk("VEVENT")
        )
        == 1
    )


def test_revoked_feed_secret_stops_working(client, client_user, booked):
    old = services.feed_for(user=client_user).token
    logged_in(client_user).post("/schedule/calendar/", {"action": "revoke"})
    new = CalendarFeed.objects.get(user=client_user).token
    assert new != old
    assert client.get(f"/schedule/feed/{old}.ics").status_code == 404
    assert client.get(f"/schedule/feed/{new}.ics").status_code == 200
    assert client.get("/schedule/feed/guess.ics").status_code == 404


def test_progress_note_is_encrypted_private_and_shareable(
    booked, their_therapist, client_user, other_therapist
):
    from django.db import connection

    from alliance.privacy.models import AuditEvent

    url = f"/schedule/appointments/{booked.pk}/"
    therapist = logged_in(their_therapist)
    refused = therapist.post(url + "note/", {"template": "soap", "subjective": ""})
    assert refused.status_code == 400 and "A note cannot be empty." in refused.content.decode()
    assert not ProgressNote.objects.exists()  # an empty note is refused
    therapist.post(
        url + "note/",
        {"template": "soap", "subjective": "Sleeping better", "plan": "Keep the diary"},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT sections FROM schedule_progressnote")
        (stored,) = cursor.fetchone()
    assert stored.startswith("ck1:") and "Sleeping" not in stored
    assert "Sleeping better" not in logged_in(client_user).get(url).content.decode()
    assert (
        logged_in(client_user).post(url + "note/", {"template": "free", "text": "x"}).status_code
        == 403
    )
    assert (
        logged_in(other_therapist)
        .post(url + "note/", {"template": "free", "text": "x"})
        .status_code
        == 404
    )
    assert "Sleeping better" in therapist.get(url).content.decode()
    assert AuditEvent.objects.filter(
        actor_id=their_therapist.pk, object_type="schedule.progressnote"
    ).exists()
    therapist.post(url + "note/share/", {"shared": "1"})
    page = logged_in(client_user).get(url).content.decode()
    assert "Sleeping better" in page and "Keep the diary" in page
