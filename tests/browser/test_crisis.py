"""With no task worker running: a client answers PHQ-9 item 9 = 1 at a low total; crisis
resources appear at once; the safety alert tops the therapist's caseload; the on-call
clinician sees it too."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible
from tests.browser.test_checkin import log_in
from tests.checkins.conftest import good_checkin
from tests.conftest import make_client, make_therapist

pytestmark = pytest.mark.browser

ANSWERS = ["Not at all"] * 8 + ["Several days"]  # total 1, item 9 = 1


def test_item9_shows_resources_at_once_and_alerts_therapist_and_on_call(
    live_asgi_server, new_page, jurisdiction
):
    from alliance.care.services import start_partnership
    from alliance.checkins import evaluation, services

    client = make_client("robin@example.org", jurisdiction, name="Robin")
    therapist = make_therapist("tess@example.org", jurisdiction, name="Dr Tess")
    make_therapist("onyx@example.org", jurisdiction, name="Dr Onyx", on_call=True)
    partnership = start_partnership(client=client, therapist=therapist)
    # another client of the same therapist with a (non-safety) alert already open
    other = make_client("alex@example.org", jurisdiction, name="Alex")
    other_p = start_partnership(client=other, therapist=therapist)
    for value in (6, 6, 2):
        req = services.request_checkin(partnership=other_p)
        services.submit_response(
            partnership=other_p,
            respondent=other,
            instrument_id="alliance_checkin",
            answers={**good_checkin(6), "bond_1": value, "bond_2": value},
            request=req,
        )
        req.completed_at = req.created_at
        req.save(update_fields=["completed_at"])
    evaluation.evaluate_partnerships([other_p.pk])
    checkin = services.request_checkin(partnership=partnership)
    base = live_asgi_server.url

    # when the client answers the PHQ-9 with item 9 = "Several days"
    page = new_page()
    log_in(page, base, "robin@example.org")
    page.goto(f"{base}/checkins/requests/{checkin.pk}/?instrument=phq9")
    groups = page.get_by_role("group")
    for i, answer in enumerate(ANSWERS):
        groups.nth(i).get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Send").click()
    # then crisis resources for their location appear at once, in this response
    panel = page.get_by_role("alert")
    assert panel.get_by_text("988 Suicide & Crisis Lifeline").is_visible()
    assert panel.get_by_text("Alliance is not monitored around the clock.").is_visible()
    assert panel.get_by_text(
        "We have let your therapist and our on-call clinician know"
    ).is_visible()
    assert_accessible(page)

    # the therapist's caseload shows the safety alert on top
    tpage = new_page()
    log_in(tpage, base, "tess@example.org", therapist=True)
    first_row = tpage.locator("table.caseload tbody tr").first
    assert "Robin" in first_row.inner_text()
    assert first_row.get_by_role("link", name="Safety · critical").is_visible()
    assert "Alex" in tpage.locator("table.caseload tbody tr").nth(1).inner_text()
    assert_accessible(tpage)

    # and the on-call clinician sees it too
    opage = new_page()
    log_in(opage, base, "onyx@example.org", therapist=True)
    assert opage.get_by_role("link", name="Safety alert: Robin").is_visible()
    opage.goto(f"{base}/checkins/on-call/")
    opage.get_by_role("link", name="Robin").click()
    assert opage.get_by_role("heading", name="Safety alert: Robin").is_visible()
    assert opage.get_by_text("item 9 = 1 (total 1").is_visible()
    assert_accessible(opage)
