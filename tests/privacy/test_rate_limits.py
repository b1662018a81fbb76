from __future__ import annotations

import pytest

from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_anonymous_api_calls_are_rate_limited(client, settings):
    codes = [client.get("/api/health").status_code for _ in range(70)]
    assert codes[:60] == [200] * 60
    assert codes[-1] == 429


def test_logged_in_api_calls_have_their_own_budget(client_user):
    browser = logged_in(client_user)
    codes = {browser.get("/api/me").status_code for _ in range(100)}
    assert codes == {200}
