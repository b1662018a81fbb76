"""Plain chat messages stored from the event loop (alliance/conversations/fastpath.py): the
same row as the thread path, and everything unusual handed back to the thread path, which
decides as before. The loop path exists on PostgreSQL only; the multi-worker tests
(`-m live`) run it end to end."""

from __future__ import annotations

import asyncio

import pytest
from django.db import connection
from django.utils import timezone

from alliance.care.models import Partnership
from alliance.conversations import fastpath, services
from alliance.conversations.models import Message
from tests.conversations.conftest import new_id

ON_POSTGRESQL = connection.vendor == "postgresql"
# On SQLite these run in a PostgreSQL subprocess (tests/conftest.py), never skipped.
postgresql_only = pytest.mark.postgresql


@pytest.mark.django_db
def test_the_loop_path_is_on_only_with_postgresql(settings):
    assert fastpath.enabled() is ON_POSTGRESQL
    settings.CONVERSATION_STORE_ON_LOOP = False
    assert fastpath.enabled() is False


def post_on_loop(author, client_id, body):
    async def main():
        try:
            return await fastpath.post(author=author, client_id=client_id, body=body)
        finally:
            await fastpath.close()

    return asyncio.run(main())


def on_thread(author, client_id, body):
    """The thread path after the loop path handed a message over (the consumer's order)."""
    return services.post_message(
        partnership=author.partnership,
        sender=author.sender,
        client_id=client_id,
        body=body,
        author=author,
    )


@pytest.fixture
def on_loop(settings, transactional_db):
    # Committed rows: the loop path writes on connections of its own.
    assert fastpath.enabled() or not ON_POSTGRESQL


def warmed_author(partnership, sender):
    """An author whose conversation has its follow-ups pending, as after its first message."""
    services.post_message(partnership=partnership, sender=sender, client_id=new_id(), body="hi")
    return services.author_for(partnership=partnership, sender=sender)


@postgresql_only
def test_a_plain_message_is_stored_as_the_thread_path_stores_it(on_loop, partnership, client_user):
    author = warmed_author(partnership, client_user)
    client_id = new_id()
    posted = post_on_loop(author, client_id, "  see you thursday  ")
    assert posted is not None and posted.created
    row = Message.objects.get(pk=posted.message.pk)
    assert (row.client_id, row.sender_id, row.body) == (
        client_id,
        client_user.pk,
        "see you thursday",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM conversations_message WHERE id = %s", [row.pk])
        assert "see you thursday" not in cursor.fetchone()[0]  # ciphertext at rest
    assert posted.message.created_at == row.created_at


@postgresql_only
def test_a_resend_is_handed_back_and_acknowledged_once(on_loop, partnership, client_user):
    author = warmed_author(partnership, client_user)
    client_id = new_id()
    first = post_on_loop(author, client_id, "hello")
    assert post_on_loop(author, client_id, "hello") is None
    resent = on_thread(author, client_id, "hello")
    assert not resent.created and resent.message.pk == first.message.pk
    assert Message.objects.filter(client_id=client_id).count() == 1


@postgresql_only
def test_crisis_language_takes_the_thread_path(on_loop, partnership, client_user):
    author = warmed_author(partnership, client_user)
    assert post_on_loop(author, new_id(), "I want to kill myself") is None
    assert Message.objects.count() == 1  # only the warm-up message


def task_rows():
    from django_tasks_db.models import DBTaskResult

    return sorted((r.task_path, r.args_kwargs["args"]) for r in DBTaskResult.objects.all())


@postgresql_only
def test_the_first_message_of_a_window_commits_with_its_follow_up_tasks(
    on_loop, partnership, client_user
):
    author = services.author_for(partnership=partnership, sender=client_user)
    assert services.follow_ups_due(author) == (services.NOTIFY, services.EVALUATE)
    posted = post_on_loop(author, new_id(), "hello")
    assert posted is not None and posted.created
    assert task_rows() == [
        ("alliance.checkins.tasks.evaluate_alerts", [partnership.pk]),
        ("alliance.conversations.tasks.notify_new_message", [posted.message.pk]),
    ]
    assert services.follow_ups_due(author) == ()  # the committed tasks cover what follows
    assert post_on_loop(author, new_id(), "and again") is not None
    assert len(task_rows()) == 2


@postgresql_only
def test_a_resend_due_follow_ups_writes_nothing_and_hands_back(on_loop, partnership, client_user):
    author = services.author_for(partnership=partnership, sender=client_user)
    client_id = new_id()
    first = post_on_loop(author, client_id, "hello")
    services.forget_pending()  # as on another worker: the follow-ups are due again there
    assert post_on_loop(author, client_id, "hello") is None
    assert len(task_rows()) == 2 and Message.objects.count() == 1  # rolled back
    assert services.follow_ups_due(author) == (services.NOTIFY, services.EVALUATE)
    resent = on_thread(author, client_id, "hello")
    assert not resent.created and resent.message.pk == first.message.pk


@postgresql_only
def test_over_the_limit_the_loop_stores_nothing_and_the_thread_path_holds_it(
    on_loop, settings, partnership, client_user
):
    settings.CONVERSATION_MESSAGES_PER_MINUTE = 2
    author = warmed_author(partnership, client_user)
    assert post_on_loop(author, new_id(), "two") is not None
    client_id = new_id()
    assert post_on_loop(author, client_id, "three") is None
    assert Message.objects.count() == 2
    held = on_thread(author, client_id, "three")
    assert held.created and held.held
    assert Message.objects.get(client_id=client_id).held


@postgresql_only
def test_an_ended_partnership_takes_nothing_on_the_loop(on_loop, partnership, client_user):
    author = warmed_author(partnership, client_user)
    Partnership.objects.filter(pk=partnership.pk).update(
        status=Partnership.Status.ENDED, ended_at=timezone.now(), end_reason="client_ended"
    )
    client_id = new_id()
    assert post_on_loop(author, client_id, "still there?") is None
    with pytest.raises(services.ConversationError) as refused:
        on_thread(author, client_id, "still there?")
    assert refused.value.code == "ended"


@postgresql_only
def test_bad_input_is_refused_as_on_the_thread_path(on_loop, partnership, client_user):
    author = warmed_author(partnership, client_user)
    for client_id, body, code in (("x", "hi", "bad_id"), (new_id(), "   ", "empty")):
        with pytest.raises(services.ConversationError) as refused:
            post_on_loop(author, client_id, body)
        assert refused.value.code == code
