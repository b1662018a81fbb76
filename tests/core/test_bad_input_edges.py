from __future__ import annotations

import pytest

from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("tab", ["therapists", "clients"])
def test_admin_search_with_a_nul_byte(admin_user, tab):
    # PostgreSQL only: icontains with a NUL raises DataError.
    response = logged_in(admin_user).get("/home/", {"q": "a\x00b", "tab": tab})
    assert response.status_code in (200, 400)
