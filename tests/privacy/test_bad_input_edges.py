from __future__ import annotations

import pytest

from alliance.privacy.models import AuditEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_audit_log_filter_with_a_superscript_digit(admin_user):
    # "²".isdigit() is True but int("²") raises ValueError.
    response = logged_in(admin_user).get("/privacy/audit/", {"client": "²"})
    assert response.status_code in (200, 400)


def test_break_glass_with_a_superscript_digit_re_renders_the_form(admin_user, client_user):
    response = logged_in(admin_user).post(
        "/privacy/break-glass/",
        {"client": "²", "reason": "therapist unreachable, safety concern by phone"},
    )
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="break_glass").exists()
