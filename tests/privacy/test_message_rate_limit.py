from __future__ import annotations

import pytest

from alliance.conversations.models import Message
from alliance.conversations.services import ConversationError, post_message

pytestmark = pytest.mark.django_db


def test_messages_beyond_the_rate_limit_are_held_and_crisis_gets_through(
    settings, partnership, client_user
):
    settings.CONVERSATION_MESSAGES_PER_MINUTE = 3
    settings.CONVERSATION_HELD_PER_MINUTE = 1
    for n in range(3):
        post_message(
            partnership=partnership, sender=client_user, client_id=f"rate-msg-{n:04d}", body="hi"
        )
    # Past the limit: kept for the therapist, not dropped.
    held = post_message(
        partnership=partnership, sender=client_user, client_id="rate-msg-9998", body="hi"
    )
    assert held.held and Message.objects.filter(held=True).count() == 1
    # Past the ceiling on held messages: refused with a message, nothing stored.
    with pytest.raises(ConversationError) as refused:
        post_message(
            partnership=partnership, sender=client_user, client_id="rate-msg-9999", body="hi"
        )
    assert refused.value.code == "rate"
    assert Message.objects.count() == 4
    # crisis language is never held back
    posted = post_message(
        partnership=partnership,
        sender=client_user,
        client_id="rate-msg-crisis",
        body="I want to kill myself",
    )
    assert posted.alerted and not posted.held and Message.objects.count() == 5
