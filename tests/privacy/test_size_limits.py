from __future__ import annotations

import pytest

from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_oversized_request_bodies_are_refused(client_user, partnership):
    response = logged_in(client_user).post(
        f"/conversations/{partnership.pk}/",
        {"body": "x" * (2 * 1024 * 1024), "client_id": "big-message-01"},
    )
    assert response.status_code == 400
    from alliance.conversations.models import Message

    assert not Message.objects.exists()


def test_oversized_note_is_refused_with_a_message(their_therapist, partnership):
    from alliance.care.models import CaseNote

    response = logged_in(their_therapist).post(
        f"/care/partnerships/{partnership.pk}/", {"text": "y" * 20_001}
    )
    assert response.status_code == 400
    assert not CaseNote.objects.exists()
