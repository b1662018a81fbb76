"""The audit log page makes as many queries for a page of many readers as for one."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliance.privacy import audit
from tests.conftest import logged_in, make_therapist


def _count(browser) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get("/privacy/audit/").status_code == 200
    return len(ctx.captured_queries)


def test_the_audit_log_does_not_grow_with_its_rows(
    admin_user, partnership, their_therapist, jurisdiction
):
    browser = logged_in(admin_user)
    audit.record(their_therapist, audit.Action.OPEN_RECORD, partnership)
    one = _count(browser)
    for i in range(6):
        reader = make_therapist(f"reader{i}@example.org", jurisdiction, name=f"Reader {i}")
        audit.record(reader, audit.Action.OPEN_RECORD, partnership)
    page = browser.get("/privacy/audit/").content.decode()
    assert "Reader 5" in page and page.count('data-label="When"') == 7
    assert _count(browser) == one
