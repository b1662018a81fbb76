"""Intake -> matches with reasons -> choose a therapist -> switch with a reason -> the new
matches leave the old therapist out; axe on every page."""

from __future__ import annotations

import re

import pytest

from alliance.care.intake import SCREEN_QUESTIONS
from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD, make_client, make_therapist

pytestmark = pytest.mark.browser


def test_intake_match_choose_and_switch(live_asgi_server, page, jurisdiction):
    for email, name in (("ana@example.org", "Dr Ana"), ("ben@example.org", "Dr Ben")):
        make_therapist(email, jurisdiction, name=name)
    make_client("robin@example.org", jurisdiction, name="Robin")
    base = live_asgi_server.url
    # given a client without a therapist on their home page
    page.goto(f"{base}/account/log-in/")
    page.get_by_label("E-mail address").fill("robin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/home/$"))
    page.get_by_role("link", name="Find a therapist").first.click()
    # when they answer the intake
    page.wait_for_url(re.compile(r"/care/intake/$"))
    assert_accessible(page)
    for _key, question in SCREEN_QUESTIONS:
        page.get_by_role("group", name=str(question)).get_by_label("No").check()
    page.get_by_label("Anxiety or worry").check()
    page.get_by_label("English").check()
    page.get_by_label("Video").check()
    page.get_by_role("button", name="Show my matches").click()
    # then they see matches with their reasons
    page.wait_for_url(re.compile(r"/care/matches/$"))
    assert_accessible(page)
    assert page.get_by_text("Works with anxiety").first.is_visible()
    first = page.locator("li.match h2").first.inner_text()
    # and choose the first one
    page.get_by_role("button", name=f"Choose {first}").click()
    page.wait_for_url(re.compile(r"/home/$"))
    assert page.get_by_text(f"You are now working with {first}.").is_visible()
    assert_accessible(page)
    # when they switch (two clicks) because they did not feel understood
    page.get_by_role("link", name="Switch therapist").click()
    page.wait_for_url(re.compile(r"/care/switch/$"))
    assert_accessible(page)
    page.get_by_label("I did not feel understood").check()
    page.get_by_role("button", name="Switch now").click()
    # then the new matches leave the old therapist out
    page.wait_for_url(re.compile(r"/care/matches/$"))
    assert_accessible(page)
    names = page.locator("li.match h2").all_inner_texts()
    assert names and first not in names
