"""Over the abuse limit, a client's messages are held, not refused: the client's page says so
and marks them, and the therapist's open page collects them in one catch-up, marked held."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible
from tests.browser.test_call import open_as

pytestmark = pytest.mark.browser


def test_messages_over_the_limit_are_held_and_reach_the_therapist(
    asgi_server_factory, new_page, partnership, client_user, their_therapist
):
    from alliance.conversations.models import Message

    server = asgi_server_factory(extra_env={"CONVERSATION_MESSAGES_PER_MINUTE": "2"})
    base = server.url
    client = open_as(new_page, base, client_user)
    therapist = open_as(new_page, base, their_therapist)
    for page in (client, therapist):
        page.goto(f"{base}/conversations/{partnership.pk}/")
        page.wait_for_selector("#chat-status:has-text('Connected')")

    for n in range(1, 4):
        client.get_by_label("Your message").fill(f"Thought number {n}")
        client.get_by_role("button", name="Send").click()
        client.wait_for_selector(f".chat-msg.mine[data-seq]:has-text('Thought number {n}')")
    # the first two arrive live; the third is held on both sides
    therapist.wait_for_selector(".chat-msg.theirs:has-text('Thought number 2')")
    client.wait_for_selector(".chat-msg.mine:has-text('Thought number 3') .held")
    client.wait_for_selector("#chat-status:has-text('sending messages quickly')")
    assert therapist.locator(".chat-msg:has-text('Thought number 3')").count() == 0
    assert Message.objects.filter(held=True).count() == 1
    held = therapist.wait_for_selector(
        ".chat-msg.theirs:has-text('Thought number 3') .held", timeout=40_000
    )
    assert "Held" in held.inner_text()
    assert_accessible(client)
    assert_accessible(therapist)
    # the script writes a live message's time as the server does (language and zone)
    live_time = therapist.locator(".chat-msg:has-text('Thought number 2') time").inner_text()
    # after a reload the page still marks it, from the server's own rendering
    therapist.reload()
    therapist.wait_for_selector(".chat-msg.theirs:has-text('Thought number 3') .held")
    served = therapist.locator(".chat-msg:has-text('Thought number 2') time").inner_text()
    assert live_time == served and "M" in served  # "Dec 7, 3:00 PM": 12-hour in English
    assert Message.objects.count() == 3
