"""One view of clinical data writes one audit row, through the real request path (the
middleware, the access check, the view): a staff read by breaking glass and each page or
API read by the client's therapist. A duplicate row would make the log unreadable and the
client's "who opened my record" page wrong."""

from __future__ import annotations

import pytest

from alliance.privacy.models import AuditEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

THERAPIST_READS = [
    "/care/partnerships/{pk}/",
    "/checkins/partnerships/{pk}/progress/",
    "/goals/partnerships/{pk}/progress/",
    "/goals/partnerships/{pk}/",
    "/journal/partnerships/{pk}/",
    "/conversations/{pk}/",
    "/schedule/partnerships/{pk}/history/",
    "/api/journal/partnerships/{pk}/entries",
    "/api/checkins/partnerships/{pk}/scores",
]


def _rows() -> list[tuple]:
    return list(
        AuditEvent.objects.values_list(
            "actor_id", "action", "object_type", "object_id", "client_id"
        )
    )


def test_a_staff_read_of_a_client_record_writes_one_row(admin_user, client_user, partnership):
    response = logged_in(admin_user).post(
        "/privacy/break-glass/",
        {
            "client": str(client_user.pk),
            "reason": "Therapist unreachable; client called about safety",
        },
    )
    assert response.status_code == 200
    assert _rows() == [
        (admin_user.pk, "break_glass", "accounts.user", str(client_user.pk), client_user.pk)
    ]


@pytest.mark.parametrize("path", THERAPIST_READS)
def test_a_therapists_read_writes_one_row(path, partnership, their_therapist, client_user):
    browser = logged_in(their_therapist)
    assert browser.get(path.format(pk=partnership.pk)).status_code == 200
    [(actor, action, object_type, object_id, client)] = _rows()
    assert (actor, action, client) == (their_therapist.pk, "open_record", client_user.pk)
    assert (object_type, object_id) == ("care.partnership", str(partnership.pk))


def test_the_client_reading_their_own_record_writes_none(partnership, client_user):
    browser = logged_in(client_user)
    for path in ("/checkins/partnerships/{pk}/progress/", "/goals/partnerships/{pk}/progress/"):
        assert browser.get(path.format(pk=partnership.pk)).status_code == 200
    assert _rows() == []
