"""The therapist proposes a goal, the client agrees, writes and shares a journal entry, and
the therapist sees both on "progress together". Every page passes axe."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_accessible, assert_no_external_requests
from tests.conftest import logged_in

pytestmark = pytest.mark.browser


def _log_in(page, base: str, user) -> None:
    """Reuse a logged-in session (second factor done) instead of typing it each time; the
    log-in pages have their own journey in test_accounts.py."""
    from django.conf import settings

    session = logged_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}]
    )
    page.goto(f"{base}/home/")


def test_goal_agreed_and_shared_entry_seen_on_progress_together(
    live_asgi_server, new_page, client_user, their_therapist, partnership
):
    base = live_asgi_server.url
    therapist = new_page()
    client = new_page()
    _log_in(therapist, base, their_therapist)
    _log_in(client, base, client_user)

    # given the therapist proposes a goal
    therapist.goto(f"{base}/goals/partnerships/{partnership.pk}/")
    assert_accessible(therapist)
    assert_no_external_requests(therapist, base)
    therapist.get_by_label("Goal:", exact=True).fill("Take the train to work again")
    therapist.get_by_role("button", name="Propose goal").click()
    therapist.get_by_text("Waiting for the client to agree").wait_for()
    assert_accessible(therapist)

    # when the client agrees to it from "progress together"
    client.get_by_role("link", name="Progress together").first.click()
    client.wait_for_url(re.compile(rf"/goals/partnerships/{partnership.pk}/progress/"))
    assert_accessible(client)
    client.get_by_role("link", name="Take the train to work again").click()
    assert_accessible(client)
    client.get_by_role("button", name="I agree to this goal").click()
    client.get_by_text("Agreed by both").wait_for()
    assert_accessible(client)

    # and writes a journal entry and shares it
    client.get_by_role("link", name="Journal", exact=True).click()
    client.wait_for_url(re.compile(r"/journal/$"))
    assert_accessible(client)
    client.get_by_label("A prompt to start from (optional)").select_option(
        label="A step, however small, towards my goal: Take the train to work again"
    )
    client.get_by_label("Your entry").fill("Rode two stops today and stayed on.")
    client.get_by_label("Mood today (0 very low, 10 very good; optional)").select_option("6")
    client.get_by_label("Share this entry with my therapist").check()
    client.get_by_role("button", name="Save entry").click()
    client.get_by_text("Entry shared with your therapist.").wait_for()
    assert_accessible(client)

    # then the therapist sees the goal, agreed, and the shared entry on "progress together"
    therapist.goto(f"{base}/goals/partnerships/{partnership.pk}/progress/")
    assert therapist.get_by_role("link", name="Take the train to work again").is_visible()
    assert therapist.get_by_text("Agreed by both").is_visible()
    assert therapist.get_by_text("Rode two stops today and stayed on.").is_visible()
    assert therapist.get_by_text("mood 6/10").is_visible()
    assert_accessible(therapist)
    assert_no_external_requests(therapist, base)

    # the other pages of the part pass axe too
    for path in (
        f"/goals/partnerships/{partnership.pk}/tasks/",
        f"/goals/partnerships/{partnership.pk}/agreement/",
        f"/journal/partnerships/{partnership.pk}/",
        "/goals/",
        "/journal/notebooks/",
    ):
        therapist.goto(f"{base}{path}")
        assert_accessible(therapist)
    therapist.get_by_role("link", name="A week of noticing").click()
    assert_accessible(therapist)
    therapist.get_by_label("Client:").select_option(label=client_user.name)
    therapist.get_by_role("button", name="Give notebook").click()
    therapist.get_by_text(f"Notebook given to {client_user.name}.").wait_for()
    client.goto(f"{base}/journal/")
    client.get_by_role("link", name="A week of noticing").click()
    assert_accessible(client)
    client.goto(f"{base}/journal/")
    client.get_by_role("link", name=re.compile("^Open entry")).first.click()
    assert_accessible(client)
