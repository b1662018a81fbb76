""" "Leave quickly": a client (or anyone not logged in) replaces the page with a neutral site,
by the button or Escape twice, without Back returning to it, and a client is logged out.

The neutral site is a tiny HTTP server on another port (another origin, as the real one is),
so the tests need no internet."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.conftest import assert_accessible, assert_no_external_requests
from tests.conftest import logged_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class NeutralSite:
    url: str
    referers: dict[str, str | None] = field(default_factory=dict)

    @property
    def before(self) -> str:
        return f"{self.url}/before/"

    @property
    def exit(self) -> str:
        return f"{self.url}/neutral/"


@pytest.fixture
def neutral_site() -> Iterator[NeutralSite]:
    site = NeutralSite("")

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.referers[self.path] = self.headers.get("Referer")
            body = b"<!doctype html><title>Weather</title><h1>Weather</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def server(asgi_server_factory, neutral_site):
    return asgi_server_factory(extra_env={"QUICK_EXIT_URL": neutral_site.exit})


def open_as(new_page, base: str, user, viewport: dict[str, int]):
    session = logged_in(user).cookies["sessionid"].value
    page = new_page(viewport=viewport)
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
    return page


def home_answer(page, base: str) -> tuple[int, str]:
    """/home/ as this browser now asks for it: its status and where it redirects."""
    response = page.context.request.get(f"{base}/home/", max_redirects=0)
    return response.status, response.headers.get("location", "")


def assert_logged_out(page, base: str) -> None:
    # The log-out is sent with keepalive and not awaited, so it may land a moment after the
    # neutral page has loaded: wait for it rather than race it.
    deadline = time.monotonic() + 10
    while True:
        status, location = home_answer(page, base)
        if status == 302 and "/account/log-in/" in location:
            return
        assert time.monotonic() < deadline, f"/home/ still answers {status} {location}"
        page.wait_for_timeout(100)


def assert_control_fits(page, viewport: dict[str, int]) -> None:
    control = page.get_by_role("button", name="Leave quickly")
    assert control.is_visible()
    assert control.get_attribute("title")  # the one-line hint, also its description
    assert "Esc twice" in page.locator("#quick-exit-hint").inner_text()
    box = control.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    # inside the screen, and above the header rather than over it
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    header = page.locator("header.topbar").bounding_box()
    assert box["y"] + box["height"] <= header["y"]
    # first in tab order after the skip link
    page.locator("body").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit"
    # still one tap away after scrolling down a long page
    page.mouse.wheel(0, 2000)
    page.wait_for_timeout(100)
    assert control.bounding_box()["y"] >= 0
    assert control.bounding_box()["y"] + box["height"] <= viewport["height"]
    page.evaluate("window.scrollTo(0, 0)")


def assert_left(page, base: str, neutral_site: NeutralSite) -> None:
    page.wait_for_url(neutral_site.exit)
    # no Referer tells the neutral site where the person came from
    assert neutral_site.referers["/neutral/"] is None
    # Back skips the replaced Alliance page and reaches the page before it
    page.go_back()
    assert page.url == neutral_site.before
    assert not page.url.startswith(base)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_client_leaves_quickly_and_is_logged_out(
    server, new_page, neutral_site, client_user, viewport
):
    base = server.url
    # given a client on their home page, opened after another site in the same tab
    page = open_as(new_page, base, client_user, viewport)
    page.goto(neutral_site.before)
    page.goto(f"{base}/home/")
    assert home_answer(page, base)[0] == 200
    assert_control_fits(page, viewport)
    assert_accessible(page)
    assert_no_external_requests(page, base)
    # when they press "Leave quickly"
    page.get_by_role("button", name="Leave quickly").click()
    # then the neutral site replaces the page, Back does not return, and they are logged out
    assert_left(page, base, neutral_site)
    assert_logged_out(page, base)


def test_client_leaves_by_pressing_escape_twice(server, new_page, neutral_site, client_user):
    base = server.url
    page = open_as(new_page, base, client_user, DESKTOP)
    page.goto(neutral_site.before)
    page.goto(f"{base}/home/")
    page.locator("body").focus()

    # a single Escape does nothing, nor does a second one more than a second later
    page.keyboard.press("Escape")
    page.wait_for_timeout(1300)
    page.keyboard.press("Escape")
    page.wait_for_timeout(400)
    assert page.url == f"{base}/home/"
    assert home_answer(page, base)[0] == 200

    # two presses within a second leave and log out
    page.wait_for_timeout(1300)
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    assert_left(page, base, neutral_site)
    assert_logged_out(page, base)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_anyone_not_logged_in_can_leave_quickly(server, new_page, neutral_site, viewport):
    base = server.url
    page = new_page(viewport=viewport)
    # every public page someone at risk may be reading has the control
    for path in ["/help/", "/account/log-in/", "/account/sign-up/"]:
        page.goto(base + path)
        assert page.get_by_role("button", name="Leave quickly").is_visible(), path
    # given the landing page, opened after another site in the same tab
    page.goto(neutral_site.before)
    page.goto(f"{base}/")
    assert_control_fits(page, viewport)
    assert_accessible(page)
    assert_no_external_requests(page, base)
    # when they press the button, then the neutral site replaces the page
    page.get_by_role("button", name="Leave quickly").click()
    assert_left(page, base, neutral_site)


def test_escape_twice_leaves_a_public_page(server, new_page, neutral_site):
    page = new_page(viewport=PHONE)
    page.goto(neutral_site.before)
    page.goto(f"{server.url}/account/log-in/")
    page.get_by_label("E-mail address").focus()  # also from inside a form field
    page.keyboard.press("Escape")
    page.wait_for_timeout(1300)
    assert page.url == f"{server.url}/account/log-in/"
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    assert_left(page, server.url, neutral_site)


def test_therapists_and_admins_see_no_control(server, new_page, their_therapist, admin_user):
    for user in (their_therapist, admin_user):
        page = open_as(new_page, server.url, user, DESKTOP)
        page.goto(f"{server.url}/home/")
        assert page.locator("header.topbar").is_visible()
        assert page.locator("#quick-exit").count() == 0
        assert page.locator("script[src*='quick_exit']").count() == 0
        # and Escape twice is only Escape
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
        page.wait_for_timeout(300)
        assert page.url == f"{server.url}/home/"
