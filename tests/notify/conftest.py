# The browser fixtures, for the one phone-size test of the Notifications page.
from tests.browser.conftest import chromium, new_page  # noqa: F401
