"""The therapist acknowledges an alert and plans a repair; the client's next two good
check-ins mark it repaired. Tasks run inline here (the immediate backend) so that the
incremental evaluation follows each check-in without a separate worker."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.conftest import assert_accessible
from tests.browser.test_checkin import ITEMS, log_in
from tests.checkins.conftest import good_checkin
from tests.conftest import make_appointment, make_client, make_therapist

pytestmark = pytest.mark.browser


def test_repair_workflow_ends_in_repaired(asgi_server_factory, new_page, jurisdiction):
    from alliance.care.services import start_partnership
    from alliance.checkins import evaluation, services
    from alliance.checkins.models import Alert

    server = asgi_server_factory(
        extra_env={"TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    )
    base = server.url
    client = make_client("robin@example.org", jurisdiction, name="Robin")
    therapist = make_therapist("tess@example.org", jurisdiction, name="Dr Tess")
    partnership = start_partnership(client=client, therapist=therapist)
    services.set_outcome_schedule(
        partnership=partnership, instruments=[], every_n_sessions=2, actor=therapist
    )
    for value in (6, 6, 1):  # bond drops from the ceiling
        req = services.request_checkin(partnership=partnership)
        services.submit_response(
            partnership=partnership,
            respondent=client,
            instrument_id="alliance_checkin",
            answers={**good_checkin(6), "bond_1": value, "bond_2": value},
            request=req,
        )
    evaluation.evaluate_partnerships([partnership.pk])
    alert = Alert.objects.get(kind="attention")

    # the therapist opens the card from the caseload, acknowledges and plans a repair
    tpage = new_page()
    log_in(tpage, base, "tess@example.org", therapist=True)
    tpage.locator("table.caseload").get_by_role("link", name=re.compile("^Needs attention")).click()
    assert tpage.get_by_role("heading", name="Needs attention: Robin").is_visible()
    assert_accessible(tpage)
    tpage.get_by_role("button", name="Acknowledge").click()
    tpage.get_by_label("The repair you plan").fill("Name the rupture and ask what felt off.")
    tpage.get_by_role("button", name="Plan repair").click()
    assert tpage.get_by_text("Repair planned", exact=False).first.is_visible()

    # the client's next two good check-ins, each after a session it rates (sessions 1-3 were
    # rated above; a session is rated only once it has happened)
    now = timezone.now()
    for weeks_ago in (3, 2, 1):
        make_appointment(partnership, now - dt.timedelta(weeks=weeks_ago), status="attended")
    cpage = new_page()
    log_in(cpage, base, "robin@example.org")
    for hours_ago in (3, 1):
        make_appointment(partnership, now - dt.timedelta(hours=hours_ago), status="attended")
        cpage.goto(f"{base}/checkins/")
        cpage.get_by_role(
            "button", name=re.compile("^Rate (today's session|your session of)")
        ).click()
        for question in ITEMS:
            cpage.get_by_role("group", name=question).get_by_label(
                "Strongly agree", exact=True
            ).check()
        cpage.get_by_role("button", name="Send").click()
        cpage.wait_for_url(re.compile(r"/done/$"))

    # mark it repaired, and the caseload no longer shows it open
    alert.refresh_from_db()
    assert alert.state == "repaired"
    tpage.goto(f"{base}/checkins/alerts/{alert.pk}/")
    assert tpage.locator(".alert-history").get_by_text("Repaired").is_visible()
    tpage.goto(f"{base}/home/")
    caseload = tpage.locator("table.caseload")
    assert caseload.get_by_role("link", name=re.compile("^Needs attention")).count() == 0


def test_the_card_says_what_it_means_and_shows_what_moved_it(
    asgi_server_factory, new_page, jurisdiction
):
    from alliance.care.services import start_partnership
    from alliance.checkins import evaluation, services
    from alliance.checkins.models import CheckinRequest

    server = asgi_server_factory()
    base = server.url
    client = make_client("noor@example.org", jurisdiction, name="Noor")
    therapist = make_therapist("tess@example.org", jurisdiction, name="Dr Tess")
    partnership = start_partnership(client=client, therapist=therapist)
    for value, comment in ((6, ""), (6, ""), (1, "I did not feel listened to today.")):
        req = services.request_checkin(partnership=partnership)
        services.submit_response(
            partnership=partnership,
            respondent=client,
            instrument_id="alliance_checkin",
            answers={
                **good_checkin(6),
                "bond_1": value,
                "bond_2": value,
                "better_today": comment,
            },
            request=req,
        )
        CheckinRequest.objects.filter(pk=req.pk).update(completed_at=timezone.now())
    evaluation.evaluate_partnerships([partnership.pk])

    page = new_page()
    log_in(page, base, "tess@example.org", therapist=True)
    caseload = page.locator("table.caseload")
    badge = caseload.get_by_role("link", name=re.compile("^Needs attention"))
    assert re.search(r"about \d+ in (10|100)", badge.inner_text())
    badge.click()
    # in frequencies, not a bare score
    assert page.get_by_text(
        re.compile(r"About \d+ in (10|100) clients flagged like this dropped out or got worse")
    ).is_visible()
    # the strongest reason first, each value on its own scale
    first = page.locator("table.evidence").first
    assert first.locator("caption").inner_text().startswith("1. Bond")
    assert first.get_by_text(re.compile(r"^\d+ of 100$")).first.is_visible()
    # the answers and the comment that moved it
    answers = page.get_by_role("region", name="The check-ins behind it")
    assert answers.get_by_text(
        "I felt heard and understood by my therapist today."
    ).first.is_visible()
    assert answers.get_by_text("Disagree", exact=True).first.is_visible()
    assert answers.get_by_text("I did not feel listened to today.").is_visible()
    assert_accessible(page)
