"""Every way a partnership ends × what every part must do about it (care/lifecycle.py).

The five ends: a switch, an ending (completed), the dropout rule, the therapist leaving the
practice, the client's erasure. For each: the upcoming session is cancelled through the
schedule's cancel, with a notice and a calendar CANCEL (same UID, higher SEQUENCE) to both
people; its reminder sends nothing; the thread takes no new message; the call page offers no
join button and the open call is closed; the open safety alert stays open and the on-call
clinician is told. After a switch, the new therapist is told the alert exists.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from alliance.care import ending, leaving, services, switching
from alliance.care.models import Partnership
from alliance.checkins import safety
from alliance.checkins.models import Alert, SafetyHandoff
from alliance.conversations import services as conversations
from alliance.conversations.models import CallSession
from alliance.privacy import rights
from alliance.schedule import dropout as dropout_rule
from alliance.schedule import tasks
from alliance.schedule.models import Appointment
from tests.conftest import logged_in, make_appointment

pytestmark = pytest.mark.django_db(transaction=True)

NOW = timezone.now()


def switch(partnership, admin):
    switching.switch_therapist(partnership=partnership, reason="tasks", consent_handoff=False)


def complete(partnership, admin):
    ending.end(partnership=partnership, by=partnership.therapist, reason="completed")


def dropout(partnership, admin):
    # Older than the dropout window, nothing attended: the daily job ends it.
    Partnership.objects.filter(pk=partnership.pk).update(
        started_at=timezone.now() - dt.timedelta(days=ending.DROPOUT_DAYS + 2)
    )
    assert dropout_rule.mark_dropouts() == [partnership.pk]


def therapist_leaves(partnership, admin):
    leaving.therapist_leaves(therapist=partnership.therapist, by=admin)


def erase(partnership, admin):
    rights.erase_client(user=partnership.client, actor=admin)


ENDS = {
    "switch": (switch, "switched"),
    "completed": (complete, "completed"),
    "dropout": (dropout, "dropout"),
    "therapist_left": (therapist_leaves, "therapist_left"),
    "erasure": (erase, "client_ended"),
}


@pytest.fixture
def scene(partnership, client_user, their_therapist, on_call_therapist):
    """An open safety alert, an open call, and (except for dropout, which needs nothing
    booked ahead) a session booked for next week."""
    safety.raise_safety_alert(
        client=client_user,
        partnership=partnership,
        source="message",
        evidence={"message_id": 1, "phrases": ["kill myself"]},
    )
    conversations.join_call(partnership=partnership, user=their_therapist, mode="video")
    mail.outbox.clear()
    return partnership


def run_queued_emails() -> None:
    for row in DBTaskResult.objects.filter(task_path__endswith="send_appointment_email"):
        tasks.send_appointment_email.call(*row.args_kwargs["args"])


@pytest.mark.parametrize("way", list(ENDS))
def test_every_end_is_answered_by_every_part(
    way,
    scene,
    client_user,
    their_therapist,
    on_call_therapist,
    admin_user,
    django_capture_on_commit_callbacks,
):
    end, reason = ENDS[way]
    appointment = None
    if way != "dropout":
        appointment = make_appointment(scene, timezone.now() + dt.timedelta(days=7))
    with django_capture_on_commit_callbacks(execute=True):
        end(scene, admin_user)
    scene.refresh_from_db()
    assert (scene.status, scene.end_reason) == ("ended", reason)

    # schedule: cancelled through the schedule's own cancel, both told, CANCEL in the file
    if appointment is not None:
        before = appointment.sequence
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CANCELLED
        assert not appointment.late_cancellation and appointment.sequence == before + 1
        run_queued_emails()
        cancels = [m for m in mail.outbox if m.attachments]
        # both people, except an account the end deactivated (no e-mail to an erased client
        # or to a therapist who has left)
        told = {"erasure": [their_therapist], "therapist_left": [client_user]}.get(
            way, [client_user, their_therapist]
        )
        assert sorted(m.to[0] for m in cancels) == sorted(u.email for u in told)
        for message in cancels:
            assert "partnership has ended" in message.body
            filename, content, mimetype = message.attachments[0]
            assert filename.endswith(".ics") and mimetype == "text/calendar; method=CANCEL"
            calendar = Calendar.from_ical(content)
            event = calendar.walk("VEVENT")[0]
            assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
            assert int(event["SEQUENCE"]) == appointment.sequence
            assert str(event["UID"]).startswith(f"appointment-{appointment.pk}")
        # a reminder queued before the end sends nothing
        assert not tasks.send_reminder.call(
            appointment.pk, "24h", appointment.starts_at.isoformat()
        )

    # conversations: read-only, and the open call is closed
    with pytest.raises(conversations.ConversationError) as refused:
        conversations.post_message(
            partnership=scene, sender=client_user, client_id="lifecycle-0001", body="still here?"
        )
    assert refused.value.code == "ended"
    assert not CallSession.objects.filter(partnership=scene, ended_at__isnull=True).exists()
    if way != "erasure":  # an erased client can no longer log in
        page = logged_in(client_user).get(f"/conversations/{scene.pk}/call/").content.decode()
        assert "This partnership has ended" in page and "Join the call" not in page

    # check-ins: the safety alert stays open with the on-call rota, who is told
    alert = Alert.objects.get(client=client_user, kind="safety")
    assert alert.is_open
    told = [m for m in mail.outbox if m.to == [on_call_therapist.email]]
    assert any("has no therapist" in m.subject for m in told)
    assert all("kill" not in m.body for m in mail.outbox)


def test_after_a_switch_the_new_therapist_is_told_of_the_open_safety_alert(
    scene,
    client_user,
    their_therapist,
    other_therapist,
    on_call_therapist,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        switch(scene, None)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = services.start_partnership(client=client_user, therapist=other_therapist)
    alert = Alert.objects.get(client=client_user, kind="safety")
    assert SafetyHandoff.objects.filter(alert=alert, partnership=new).exists()
    (told,) = [m for m in mail.outbox if m.to == [other_therapist.email]]
    assert "open safety alert" in told.subject and "kill" not in told.body
    page = logged_in(other_therapist).get(f"/care/partnerships/{new.pk}/").content.decode()
    assert "Open safety alert from before" in page
    # the evidence itself is not handed over: only that it exists
    assert "kill myself" not in page
    # the on-call list names the new therapist and the one before
    rota = logged_in(on_call_therapist).get("/checkins/on-call/").content.decode()
    assert f"{other_therapist.name} (new; told)" in rota
    assert f"before: {their_therapist.name}" in rota
    # once a risk assessment closes the alert the notice goes
    Alert.objects.filter(pk=alert.pk).update(is_open=False, state="resolved")
    page = logged_in(other_therapist).get(f"/care/partnerships/{new.pk}/").content.decode()
    assert "Open safety alert from before" not in page


def test_a_therapist_leaves_through_the_admin_page(
    partnership, their_therapist, client_user, admin_user, django_capture_on_commit_callbacks
):
    url = f"/care/admin/therapists/{their_therapist.pk}/leave/"
    admin = logged_in(admin_user)
    assert "1 active partnership" in admin.get(url).content.decode()
    # a wrong confirmation changes nothing
    assert admin.post(url, {"confirm": "someone@else"}).status_code == 400
    partnership.refresh_from_db()
    assert partnership.is_active
    # neither the therapist nor the client may do it
    assert logged_in(their_therapist).post(url, {"confirm": their_therapist.email}).status_code in (
        403,
        404,
    )
    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(url, {"confirm": their_therapist.email})
    assert done.status_code == 302
    partnership.refresh_from_db()
    their_therapist.refresh_from_db()
    assert partnership.end_reason == "therapist_left" and not their_therapist.is_active
    assert not their_therapist.therapist_profile.accepting_new_clients
    (told,) = [m for m in mail.outbox if m.to == [client_user.email]]
    assert "left the practice" in told.subject and "/care/matches/" in told.body
