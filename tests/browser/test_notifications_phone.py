"""The Notifications page on a 390 x 844 phone: nothing scrolls sideways, every target is
44 px, axe finds nothing, and push.js (no inline script) takes over the push section."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, assert_no_external_requests
from tests.browser.test_call import open_as
from tests.browser.test_mobile import PHONE, TOO_SMALL

pytestmark = pytest.mark.browser
TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "test-auth-token",
    "TWILIO_FROM_NUMBER": "+15005550006",
}
# The house's targets, and the push buttons (outside a form) and text fields besides.
TARGETS = TOO_SMALL.replace(
    "main form button,", "main form button, main button, main input:not([type=checkbox]),"
)


def test_the_notifications_page_fits_a_phone(asgi_server_factory, new_page, client_user):
    base = asgi_server_factory(extra_env=TWILIO).url
    page = open_as(lambda: new_page(viewport=PHONE), base, client_user)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/notify/settings/")
    # push.js replaced the no-JavaScript sentence with this browser's state
    status = page.locator("#push-status")
    for _ in range(50):  # CSP forbids wait_for_function's eval: poll the text instead
        if "JavaScript" not in status.inner_text():
            break
        page.wait_for_timeout(100)
    assert "JavaScript" not in status.inner_text()
    assert page.get_by_label("Mobile number").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(TARGETS) == []
    assert errors == []
    assert_accessible(page)
    assert_no_external_requests(page, base)
