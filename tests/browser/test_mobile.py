"""Every page of the client, therapist and admin journeys on a 390 x 844 phone: nothing
scrolls sideways, the header leaves the screen to the page, the menu opens and closes, and
axe finds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.conftest import assert_accessible
from tests.browser.test_call import open_as
from tests.checkins.conftest import good_checkin, phq9_answers
from tests.conftest import make_appointment, make_client, make_therapist

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# The header may take at most a fifth of the screen: the rest is the page.
MAX_HEADER = PHONE["height"] * 0.2

# Links, buttons and fields (not the radio dots themselves: their whole label is the target)
# in the top bar, in forms and on a scale, as they are shown now.
TOO_SMALL = """() => [...document.querySelectorAll(
    "header a, header button, header select, main form button, main form select, .scale-option"
  )].filter(e => e.checkVisibility() && !e.closest(".visually-hidden"))
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width < 44 || r.height < 44)
  .map(([e, r]) => `${e.tagName} "${e.textContent.trim()}" ${r.width}x${r.height}`)"""

MEASURE = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  header: document.querySelector("header.topbar").getBoundingClientRect().height,
})"""


def build(jurisdiction):
    """A client with a few check-ins that opened a card, an appointment and a message; a
    second client with an open safety alert; an admin."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from alliance.accounts.models import User
    from alliance.care.services import start_partnership
    from alliance.checkins import evaluation, services
    from alliance.checkins.models import Alert, CheckinRequest
    from alliance.conversations.messages import post_message
    from alliance.directory.models import AvailabilityWindow, Licence
    from alliance.privacy import audit
    from tests.conftest import PASSWORD, TOTP_HEX

    client = make_client("robin@example.org", jurisdiction, name="Robin")
    therapist = make_therapist("tess@example.org", jurisdiction, name="Dr Tess", on_call=True)
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            therapist=therapist.therapist_profile, weekday=d, start=dt.time(9), end=dt.time(17)
        )
        for d in range(7)
    )
    partnership = start_partnership(client=client, therapist=therapist)
    for value in (6, 6, 1):  # the bond drops from the ceiling: a card opens
        req = services.request_checkin(partnership=partnership)
        services.submit_response(
            partnership=partnership,
            respondent=client,
            instrument_id="alliance_checkin",
            answers={**good_checkin(6), "bond_1": value, "bond_2": value},
            request=req,
        )
        CheckinRequest.objects.filter(pk=req.pk).update(completed_at=timezone.now())
    evaluation.evaluate_partnerships([partnership.pk])
    card = Alert.objects.get(partnership=partnership, kind="attention")
    checkin = services.request_checkin(partnership=partnership)
    make_appointment(partnership, timezone.now() + dt.timedelta(days=2))
    post_message(
        partnership=partnership,
        sender=client,
        client_id="message-1",
        body="See you on Thursday.",
        announce=False,
    )

    other = make_client("alex@example.org", jurisdiction, name="Alexandrina Montgomery-Wolfe")
    other_partnership = start_partnership(client=other, therapist=therapist)
    services.submit_response(
        partnership=other_partnership,
        respondent=other,
        instrument_id="phq9",
        answers=phq9_answers([1, 1, 1, 1, 1, 1, 1, 1, 1]),
        request=services.request_checkin(partnership=other_partnership),
    )

    # a row for the audit log, and a licence still to verify (the admin's action column)
    audit.record(therapist, audit.Action.OPEN_RECORD, partnership)
    Licence.objects.create(
        therapist=therapist,
        jurisdiction=jurisdiction,
        licence_type="LMHC",
        number="NY-unverified-0001",
        issuing_board="New York State Education Department",
        expires_on=timezone.localdate() + dt.timedelta(days=200),
    )

    admin = User.objects.create_user(
        email="admin@example.org",
        password=PASSWORD,
        display_name="Ada Admin",
        role=User.Role.ADMIN,
        email_verified_at=timezone.now(),
    )
    TOTPDevice.objects.create(user=admin, name="phone", key=TOTP_HEX, confirmed=True)
    p = partnership.pk
    return {
        "client": (
            client,
            [
                "/home/",
                f"/checkins/requests/{checkin.pk}/",
                f"/goals/partnerships/{p}/progress/",
                "/conversations/",
                f"/conversations/{p}/",
                "/schedule/",
                f"/schedule/partnerships/{p}/book/",
                "/journal/",
                "/privacy/settings/",
                "/help/",
            ],
        ),
        "therapist": (
            therapist,
            [
                "/home/",
                f"/care/partnerships/{p}/",
                f"/checkins/alerts/{card.pk}/",
                f"/checkins/partnerships/{p}/progress/",
                "/schedule/availability/",
                "/checkins/on-call/",
            ],
        ),
        "admin": (
            admin,
            [
                "/home/",
                "/home/?tab=clients",
                "/privacy/audit/",
                f"/directory/therapists/{therapist.pk}/",
                "/care/records/",
            ],
        ),
    }


def check_menu(page) -> list[str]:
    """The menu button shows the navigation and hides it again."""
    problems = []
    button = page.get_by_role("button", name="Menu")
    if button.count() != 1:
        return ["no menu button"]
    nav = page.locator(f"#{button.get_attribute('aria-controls')}")
    if button.get_attribute("aria-expanded") != "false" or nav.is_visible():
        problems.append("the menu is not closed at first")
    button.click()
    if button.get_attribute("aria-expanded") != "true" or not nav.is_visible():
        problems.append("the menu does not open")
    # the open menu does not push the page sideways either
    if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
        problems.append("the open menu scrolls sideways")
    problems += [f"too small to touch: {e}" for e in page.evaluate(TOO_SMALL)]
    button.click()
    if button.get_attribute("aria-expanded") != "false" or nav.is_visible():
        problems.append("the menu does not close")
    return problems


@pytest.mark.parametrize("role", ["client", "therapist", "admin"])
def test_every_page_fits_a_phone(asgi_server_factory, new_page, jurisdiction, role):
    # given the role's journey, on a phone
    user, paths = build(jurisdiction)[role]
    base = asgi_server_factory().url
    page = open_as(lambda: new_page(viewport=PHONE), base, user)
    problems: dict[str, object] = {}
    for path in paths:
        # when each page opens
        page.goto(f"{base}{path}")
        assert page.url.endswith(path), f"{path} redirected to {page.url}"
        sizes = page.evaluate(MEASURE)
        print(role, path, sizes)  # the figures, for the record
        found = [f"too small to touch: {e}" for e in page.evaluate(TOO_SMALL)]
        # then it fits: no sideways scroll, a short header, a working menu, no axe violation
        if sizes["scrollWidth"] > PHONE["width"]:
            found.append(f"scrolls sideways: {sizes['scrollWidth']} px")
        if sizes["header"] > MAX_HEADER:
            found.append(f"header {sizes['header']:.0f} px")
        found += check_menu(page)
        if found:
            problems[path] = found
        assert_accessible(page)
    assert problems == {}


def test_an_agreement_scale_is_one_row_on_a_phone(asgi_server_factory, new_page, jurisdiction):
    from alliance.checkins.models import CheckinRequest

    # given the client's check-in on a phone
    client = build(jurisdiction)["client"][0]
    checkin = CheckinRequest.objects.get(partnership__client=client, completed_at__isnull=True)
    base = asgi_server_factory().url
    page = open_as(lambda: new_page(viewport=PHONE), base, client)
    page.goto(f"{base}/checkins/requests/{checkin.pk}/")
    question = "I felt heard and understood by my therapist today."
    group = page.get_by_role("group", name=question)
    # then its seven choices share one row, with the ends named under the ends
    tops = {
        round(box["y"]) for box in (o.bounding_box() for o in group.locator(".scale-option").all())
    }
    assert group.locator(".scale-option").count() == 7 and len(tops) == 1
    ends = group.locator(".scale-ends")
    assert ends.inner_text().split("\n") == ["Strongly disagree", "Strongly agree"]
    # and each choice keeps its name: choosing one spells it out
    group.get_by_label("Somewhat agree", exact=True).check()
    assert group.get_by_text("Somewhat agree", exact=True).bounding_box()["width"] > 50
    # the others' names are there for screen readers only (a one-pixel clip)
    assert group.get_by_text("Agree", exact=True).bounding_box()["width"] <= 1
    assert_accessible(page)


def test_without_scripts_the_phone_menu_stays_open(asgi_server_factory, new_page, jurisdiction):
    user = build(jurisdiction)["client"][0]
    base = asgi_server_factory().url
    page = open_as(lambda: new_page(viewport=PHONE, java_script_enabled=False), base, user)
    page.goto(f"{base}/home/")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Journal").is_visible()
    assert nav.get_by_role("button", name="Log out").is_visible()
    # a button that could do nothing is not offered
    assert not nav.get_by_role("button", name="Menu").is_visible()


def test_a_wide_screen_keeps_the_full_top_bar(asgi_server_factory, new_page, jurisdiction):
    user = build(jurisdiction)["client"][0]
    base = asgi_server_factory().url
    page = open_as(lambda: new_page(viewport={"width": 1280, "height": 800}), base, user)
    page.goto(f"{base}/home/")
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.get_by_role("button", name="Menu").is_visible()
    language = nav.get_by_role("button", name="Change language").bounding_box()
    help_link = nav.get_by_role("link", name="Get help now").bounding_box()
    # the help link last, after the language switch on its row, as before the phone menu
    assert (
        abs(language["y"] + language["height"] / 2 - help_link["y"] - help_link["height"] / 2) < 4
    )
    assert help_link["x"] > language["x"]
    assert nav.get_by_role("link", name="Journal").is_visible()
