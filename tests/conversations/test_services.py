"""Services and queries other parts rely on: notifications, attendance, alert hooks, and
the message counts per week for the fading-messages signal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from alliance.conversations import queries, services
from alliance.conversations.models import CallParticipant, CallSession, Message
from alliance.conversations.tasks import notify_new_message
from tests.conversations.conftest import new_id

pytestmark = pytest.mark.django_db


def send(partnership, sender, body="hello"):
    return services.post_message(
        partnership=partnership, sender=sender, client_id=new_id(), body=body
    ).message


def test_notification_never_contains_the_message(partnership, client_user, their_therapist):
    message = send(partnership, client_user, "my very private worry")
    assert notify_new_message.call(message.pk) == "sent"
    (sent,) = mail.outbox
    assert sent.to == [their_therapist.email]
    assert "my very private worry" not in sent.body + sent.subject
    assert f"/conversations/{partnership.pk}/" in sent.body


def test_notifications_are_throttled_per_conversation(partnership, client_user):
    first, second = send(partnership, client_user), send(partnership, client_user)
    assert notify_new_message.call(first.pk) == "sent"
    assert notify_new_message.call(second.pk) == "throttled"
    assert notify_new_message.call(first.pk) == "throttled"  # a repeated task sends nothing
    assert len(mail.outbox) == 1


@override_settings(CONVERSATION_NOTIFY_THROTTLE_MINUTES=15)
def test_throttle_window_passes(partnership, client_user, their_therapist):
    from alliance.conversations.models import ReadState

    notify_new_message.call(send(partnership, client_user).pk)
    ReadState.objects.filter(user=their_therapist).update(
        last_notified_at=timezone.now() - dt.timedelta(minutes=16)
    )
    assert notify_new_message.call(send(partnership, client_user).pk) == "sent"
    assert len(mail.outbox) == 2


def test_no_mail_when_already_read(partnership, client_user, their_therapist):
    message = send(partnership, client_user)
    services.mark_read(partnership=partnership, user=their_therapist, seq=message.pk)
    assert notify_new_message.call(message.pk) == "read"
    assert mail.outbox == []


def test_posting_enqueues_the_notification_and_the_alert_evaluation_once_per_window(
    partnership, client_user, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        message = send(partnership, client_user)
    rows = {r.task_path: r.args_kwargs["args"] for r in DBTaskResult.objects.all()}
    assert rows == {
        "alliance.conversations.tasks.notify_new_message": [message.pk],
        "alliance.checkins.tasks.evaluate_alerts": [partnership.pk],
    }
    with django_capture_on_commit_callbacks(execute=True):
        send(partnership, client_user)  # covered by the pending tasks
    assert DBTaskResult.objects.count() == 2


def test_enqueued_notification_is_delayed(
    partnership, client_user, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        send(partnership, client_user)
    row = DBTaskResult.objects.get(task_path="alliance.conversations.tasks.notify_new_message")
    assert row.run_after is not None and row.run_after > timezone.now()


def test_message_weeks_for_alerts_counts_client_messages_oldest_first(
    partnership, client_user, their_therapist
):
    now = timezone.now()
    rows = []
    for i, (who, days_ago) in enumerate(
        [
            (client_user, 1),
            (client_user, 2),
            (their_therapist, 1),
            (client_user, 9),
            (client_user, 40),
        ]
    ):
        rows.append(
            Message(
                partnership=partnership,
                sender=who,
                client_id=f"m{i:08d}",
                body="x",
                created_at=now - dt.timedelta(days=days_ago),
            )
        )
    Message.objects.bulk_create(rows)
    weeks = queries.message_weeks_for_alerts([partnership.pk, 999_999], weeks=4, now=now)
    assert weeks == {partnership.pk: (0, 0, 1, 2), 999_999: (0, 0, 0, 0)}


def test_call_tied_to_an_appointment_records_both_joins(partnership, client_user, their_therapist):
    from alliance.schedule.models import Appointment

    now = timezone.now()
    appointment = Appointment.objects.create(
        partnership=partnership,
        therapist=their_therapist,
        client=client_user,
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(minutes=45),
        modality="video",
    )
    t = services.join_call(partnership=partnership, user=their_therapist, mode="video")
    c = services.join_call(
        partnership=partnership, user=client_user, mode="video", location="US-NY"
    )
    assert t.call_id == c.call_id == CallSession.objects.get().pk
    assert CallSession.objects.get().appointment_id == appointment.pk
    appointment.refresh_from_db()
    assert appointment.therapist_joined_at is not None and appointment.client_joined_at is not None
    assert appointment.status == "attended" and appointment.late_minutes == 5
    services.leave_call(participant_id=c.pk)
    services.leave_call(participant_id=t.pk)
    appointment.refresh_from_db()
    assert appointment.client_left_at is not None and appointment.therapist_left_at is not None
    assert CallSession.objects.get().ended_at is not None


def test_call_on_demand_works_without_an_appointment(partnership, client_user, their_therapist):
    services.join_call(partnership=partnership, user=client_user, mode="audio", location="US-NY")
    services.join_call(partnership=partnership, user=their_therapist, mode="audio")
    call = CallSession.objects.get()
    assert call.appointment_id is None and call.mode == "audio"
    assert CallParticipant.objects.filter(call=call).count() == 2


def test_rejoining_closes_the_earlier_join(partnership, client_user):
    first = services.join_call(
        partnership=partnership, user=client_user, mode="video", location="US-NY"
    )
    services.join_call(partnership=partnership, user=client_user, mode="video", location="US-NY")
    first.refresh_from_db()
    assert first.left_at is not None
    assert CallParticipant.objects.filter(left_at__isnull=True).count() == 1


def test_usual_response_time_needs_a_few_replies(partnership, their_therapist):
    assert queries.usual_response_time(their_therapist.pk) is None


def _task_rows(path: str) -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=path).count()


NOTIFY = "alliance.conversations.tasks.notify_new_message"
EVALUATE = "alliance.checkins.tasks.evaluate_alerts"


def test_a_live_chat_message_is_one_statement_once_its_tasks_are_pending(
    partnership, client_user, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    author = services.author_for(partnership=partnership, sender=client_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(
            partnership=partnership,
            sender=client_user,
            client_id=new_id(),
            body="first",
            author=author,
        )
    with CaptureQueriesContext(connection) as queries_run:
        posted = services.post_message(
            partnership=partnership,
            sender=client_user,
            client_id=new_id(),
            body="second",
            author=author,
        )
    assert posted.created and Message.objects.get(pk=posted.message.pk).body == "second"
    assert len(queries_run) == 1
    assert queries_run[0]["sql"].startswith("INSERT")


def test_one_pending_notification_and_evaluation_cover_a_burst(
    partnership, client_user, their_therapist, django_capture_on_commit_callbacks
):
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):  # each message commits
            send(partnership, client_user)
    assert _task_rows(NOTIFY) == 1
    assert _task_rows(EVALUATE) == 1
    # the other direction has its own notification, the conversation its one evaluation
    with django_capture_on_commit_callbacks(execute=True):
        send(partnership, their_therapist)
    assert _task_rows(NOTIFY) == 2
    assert _task_rows(EVALUATE) == 1


def test_the_evaluation_runs_after_the_burst_in_the_message_transaction(
    partnership, client_user, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send(partnership, client_user)
    row = DBTaskResult.objects.get(task_path=EVALUATE)
    assert row.args_kwargs["args"] == [partnership.pk]
    delay = (row.run_after - timezone.now()).total_seconds()
    assert (
        services.ALERT_EVALUATION_EVERY_SECONDS - 5
        < delay
        <= (services.ALERT_EVALUATION_EVERY_SECONDS)
    )
    # written in the transaction, not by an on-commit hook of its own
    assert not any("evaluate" in repr(c) for c in callbacks)


def test_a_pending_notification_covers_later_messages(partnership, client_user, their_therapist):
    first, second = send(partnership, client_user), send(partnership, client_user)
    # the partner read the first message but not the second: the first message's task,
    # the only one enqueued, still e-mails
    services.mark_read(partnership=partnership, user=their_therapist, seq=first.pk)
    assert notify_new_message.call(first.pk) == "sent"
    assert second.pk > first.pk


def test_a_socket_that_outlives_its_partnership_cannot_add_to_it(partnership, client_user):
    from alliance.care.services import end_partnership

    author = services.author_for(partnership=partnership, sender=client_user)
    end_partnership(partnership=partnership, reason="completed")
    with pytest.raises(services.ConversationError) as refused:
        services.post_message(
            partnership=partnership,
            sender=client_user,
            client_id=new_id(),
            body="late",
            author=author,
        )
    assert refused.value.code == "ended"
    assert not Message.objects.exists()


def test_a_key_destroyed_while_the_socket_is_open_is_not_used(partnership, client_user):
    from alliance.privacy import keys

    author = services.author_for(partnership=partnership, sender=client_user)
    keys.destroy_key(client_user.pk)
    with pytest.raises(services.ConversationError) as refused:
        services.post_message(
            partnership=partnership,
            sender=client_user,
            client_id=new_id(),
            body="after erasure",
            author=author,
        )
    assert refused.value.code == "ended"
    assert not Message.objects.exists()


def test_a_retry_after_the_end_is_acknowledged_not_refused(partnership, client_user):
    from alliance.care.services import end_partnership

    mid = new_id()
    first = services.post_message(
        partnership=partnership, sender=client_user, client_id=mid, body="sent before the end"
    )
    end_partnership(partnership=partnership, reason="completed")
    again = services.post_message(
        partnership=partnership, sender=client_user, client_id=mid, body="sent before the end"
    )
    assert not again.created and again.message.pk == first.message.pk


def test_read_marks_only_move_forward(partnership, client_user, their_therapist):
    first, second = send(partnership, client_user), send(partnership, client_user)
    ahead = services.record_read(partnership=partnership, user=their_therapist, seq=second.pk)
    assert ahead.moved and ahead.seq == second.pk
    # a late receipt from another tab neither moves the mark back nor announces anything
    stale = services.record_read(partnership=partnership, user=their_therapist, seq=first.pk)
    assert not stale.moved and stale.seq == second.pk
    assert queries.read_marks(partnership)[their_therapist.pk] == second.pk
    assert services.mark_read(partnership=partnership, user=their_therapist, seq=0) == second.pk


def test_over_the_limit_a_message_is_held_not_refused(
    settings, partnership, client_user, their_therapist
):
    settings.CONVERSATION_MESSAGES_PER_MINUTE = 2
    settings.CONVERSATION_HELD_PER_MINUTE = 2
    sent = [send(partnership, client_user) for _ in range(2)]
    mine = send(partnership, their_therapist)  # each sender has a limit of their own
    assert not any(m.held for m in [*sent, mine])
    over = services.post_message(
        partnership=partnership, sender=client_user, client_id=new_id(), body="third"
    )
    # Stored, and held: nothing lost, nothing pushed live.
    assert over.created and over.held and over.message.held
    stored = Message.objects.get(pk=over.message.pk)
    assert stored.held and stored.body == "third"
    # a resend of a held message is acknowledged again as held, and stored once
    again = services.post_message(
        partnership=partnership,
        sender=client_user,
        client_id=over.message.client_id,
        body="third",
    )
    assert not again.created and again.held and again.message.pk == over.message.pk
    # the partner's catch-up returns it, marked
    after = queries.messages_after(partnership, mine.pk)
    assert [(m.body, m.held) for m in after] == [("third", True)]
    # the ceiling on held messages: one more held, then refused with a clear message
    assert send(partnership, client_user).held
    with pytest.raises(services.ConversationError) as refused:
        send(partnership, client_user)
    assert refused.value.code == "rate" and "quickly" in str(refused.value)
    assert Message.objects.count() == 5


def test_the_limit_counts_the_senders_stored_messages_of_the_last_minute(
    settings, partnership, client_user
):
    settings.CONVERSATION_MESSAGES_PER_MINUTE = 2
    sent = [send(partnership, client_user) for _ in range(2)]
    assert send(partnership, client_user).held
    # a sliding window: once the first two are a minute old, there is room again
    Message.objects.filter(pk__in=[m.pk for m in sent]).update(
        created_at=timezone.now() - dt.timedelta(seconds=services.RATE_WINDOW_SECONDS + 1)
    )
    assert not send(partnership, client_user).held


def test_crisis_language_is_never_held(settings, partnership, client_user):
    settings.CONVERSATION_MESSAGES_PER_MINUTE = 1
    settings.CONVERSATION_HELD_PER_MINUTE = 0
    send(partnership, client_user)
    crisis = services.post_message(
        partnership=partnership,
        sender=client_user,
        client_id=new_id(),
        body="I want to kill myself",
    )
    assert crisis.created and not crisis.held and crisis.crisis_phrases


def test_a_held_message_is_announced_by_number_only(
    settings, partnership, client_user, django_capture_on_commit_callbacks, monkeypatch
):
    from alliance.conversations import realtime

    settings.CONVERSATION_MESSAGES_PER_MINUTE = 1
    events = []
    monkeypatch.setattr(realtime, "broadcast", lambda pid, event: events.append(event))
    with django_capture_on_commit_callbacks(execute=True):
        send(partnership, client_user, "first")
        held = send(partnership, client_user, "second, my private words")
    assert events[0]["type"] == "chat.message"
    assert events[1] == {"type": "chat.held", "seq": held.pk, "user": client_user.pk}


def test_a_client_id_ending_in_a_newline_is_refused():
    from alliance.conversations import services as conversation_services

    with pytest.raises(conversation_services.ConversationError) as refused:
        conversation_services.clean_message(client_id="abcdefgh\n", body="hi")
    assert refused.value.code == "bad_id"
