from __future__ import annotations

import pytest

from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # > 2**63


def test_own_entries_with_a_huge_offset_is_not_a_500(client_user):
    response = logged_in(client_user).get(f"/api/journal/entries?offset={HUGE}")
    assert response.status_code in (200, 422)


def test_shared_entries_with_a_huge_offset_is_not_a_500(partnership, client_user):
    response = logged_in(client_user).get(
        f"/api/journal/partnerships/{partnership.pk}/entries?offset={HUGE}"
    )
    assert response.status_code in (200, 422)
