"""The installable app in Chromium: the worker registers, Chromium finds nothing missing to
install it, an offline navigation shows the offline page, and after a client's clinical pages
the only cached requests are the offline page and static files."""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, assert_accessible
from tests.browser.test_call import open_as

pytestmark = pytest.mark.browser

# `ready` never settles if the install fails (a precached file missing): give up after 15 s.
READY = """async () => {
  const late = new Promise((_, reject) => setTimeout(() => reject(new Error("no worker")), 15000));
  const registration = await Promise.race([navigator.serviceWorker.ready, late]);
  return {scope: registration.scope, script: registration.active.scriptURL};
}"""

CACHED = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) found.push([name, request.url]);
  }
  return found;
}"""

CACHED_OFFLINE_PAGE = """async () => {
  const page = await caches.match("/offline/", {ignoreVary: true});
  return page ? await page.text() : null;
}"""

# Wait until the worker controls the page (it claims open pages on activation).
CONTROLLED = "navigator.serviceWorker.controller !== null"


@pytest.fixture
def profile_page(chromium, tmp_path):
    """A page in a browser profile on disk: Chromium offers no install in an incognito-like
    context, which is what `new_page` gives."""
    context = chromium.browser_type.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    context.set_default_timeout(15_000)
    yield context.pages[0] if context.pages else context.new_page()
    context.close()


def installed(page) -> dict:
    registration = page.evaluate(READY)
    page.wait_for_function(CONTROLLED)
    return registration


def cached_paths(page) -> list[str]:
    return [urlparse(url).path for _name, url in page.evaluate(CACHED)]


def test_installable_and_offline(live_asgi_server, profile_page):
    base = live_asgi_server.url
    page = profile_page
    # given a visitor on any page: the worker registers for the whole site
    page.goto(f"{base}/")
    registration = installed(page)
    assert registration == {"scope": f"{base}/", "script": f"{base}/sw.js"}
    # and Chromium finds nothing missing to offer "Install"
    cdp = page.context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == f"{base}/manifest.webmanifest"
    assert manifest["errors"] == []

    # when the phone goes offline, a navigation shows the offline page at the address asked
    page.context.set_offline(True)
    page.goto(f"{base}/conversations/")
    assert page.get_by_role("heading", name="You are offline", level=1).is_visible()
    assert page.get_by_text("Call your local emergency number").is_visible()
    assert page.url == f"{base}/conversations/"
    # with its styles (the cached stylesheet applies: the crisis box has its border)
    assert page.locator(".crisis").evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    assert_accessible(page)

    # and back online, "Try again" opens the page that could not be opened
    page.context.set_offline(False)
    page.get_by_role("link", name="Try again").click()
    page.wait_for_url(re.compile(r"/account/log-in/"))  # that page wants a log-in


def test_nothing_of_a_clients_pages_is_cached(live_asgi_server, new_page, partnership, client_user):
    from alliance.checkins.services import request_checkin
    from alliance.conversations.messages import post_message

    post_message(
        partnership=partnership,
        sender=client_user,
        client_id="pwa-message-1",
        body="Marker-PWA: the dream about the lake",
        announce=False,
    )
    checkin = request_checkin(partnership=partnership)
    base = live_asgi_server.url
    page = open_as(new_page, base, client_user)
    # given the client's home page, with the worker installed
    page.goto(f"{base}/home/")
    installed(page)
    # when they read their messages, open a check-in and their goals, and the API answers
    for path in (
        "/home/",
        "/conversations/",
        f"/conversations/{partnership.pk}/",
        f"/checkins/requests/{checkin.pk}/",
        f"/goals/partnerships/{partnership.pk}/progress/",
    ):
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        if path == f"/conversations/{partnership.pk}/":
            assert page.get_by_text("Marker-PWA").first.is_visible()
    status = page.evaluate(
        f"fetch('/api/goals/partnerships/{partnership.pk}/goals').then(r => r.status)"
    )
    assert status == 200
    # then the only cached requests are the offline page and static files
    paths = cached_paths(page)
    assert "/offline/" in paths and "/static/css/alliance.css" in paths
    assert [p for p in paths if p != "/offline/" and not p.startswith("/static/")] == []
    # and the cached offline page holds nothing of theirs
    offline = page.evaluate(CACHED_OFFLINE_PAGE)
    assert "You are offline" in offline
    for private in ("Casey", "Dr Tess", "Marker-PWA", "Log out"):
        assert private not in offline, private


def test_a_new_version_replaces_the_old_caches(live_asgi_server, new_page):
    base = live_asgi_server.url
    page = new_page()
    page.goto(f"{base}/offline/")
    installed(page)
    first = {name for name, _url in page.evaluate(CACHED)}
    assert len(first) == 1 and next(iter(first)).startswith("alliance-offline-")
    # given a stale cache left by some older version
    page.evaluate(
        "caches.open('alliance-offline-old').then(c => c.put('/home/', new Response('old')))"
    )
    # when the worker changes (the offline page in Spanish is a new version) and updates
    page.context.add_cookies([{"name": "django_language", "value": "es", "url": base}])
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    names = set(first)
    deadline = time.monotonic() + 15
    while (names == first or "alliance-offline-old" in names) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        names = set(page.evaluate("caches.keys()"))
    # then only the new version's cache is left, with the page in the new language
    assert len(names) == 1, names
    (name,) = names
    assert name not in first and name != "alliance-offline-old"
    assert '<html lang="es">' in page.evaluate(CACHED_OFFLINE_PAGE)


def test_service_worker_headers(live_asgi_server, new_page):
    page = new_page()
    response = page.request.get(f"{live_asgi_server.url}/sw.js")
    assert response.status == 200
    assert response.headers["content-type"] == "application/javascript"
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    manifest = page.request.get(f"{live_asgi_server.url}/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
