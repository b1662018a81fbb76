from __future__ import annotations

import pytest

from alliance.conversations.models import Message
from alliance.conversations.services import ConversationError, post_message

pytestmark = pytest.mark.django_db


def test_messages_beyond_the_rate_limit_are_refused_but_crisis_gets_through(
    settings, partnership, client_user
):
    settings.CONVERSATION_MESSAGES_PER_MINUTE = 3
    for n in range(3):
        post_message(
            partnership=partnership, sender=client_user, client_id=f"rate-msg-{n:04d}", body="hi"
        )
    with pytest.raises(ConversationError) as refused:
        post_message(
            partnership=partnership, sender=client_user, client_id="rate-msg-9999", body="hi"
        )
    assert refused.value.code == "rate"
    assert Message.objects.count() == 3
    # crisis language is never held back
    posted = post_message(
        partnership=partnership,
        sender=client_user,
        client_id="rate-msg-crisis",
        body="I want to kill myself",
    )
    assert posted.alerted and Message.objects.count() == 4
