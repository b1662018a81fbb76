"""Crawl every reachable page as each role: no URL to another host in any src, href, action
or stylesheet, and a Content-Security-Policy with no external origin on every response."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

LINK_ATTRS = {
    "src",
    "href",
    "action",
    "srcset",
    "poster",
    "data",
    "formaction",
    "hx-get",
    "hx-post",
}
# Pages whose GET changes state or ends the visit are not followed.
SKIP = re.compile(r"/account/(log-out|verify)/|/export|/erase|/ics|/feed/|/api/")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.hrefs: set[str] = set()

    def is_link(self, url: str) -> bool:
        return url in self.hrefs

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.update(value for name, value in attrs if name == "href" and value)
        for name, value in attrs:
            if value and name in LINK_ATTRS:
                self.urls.extend(v.strip().split(" ")[0] for v in value.split(","))
            if value and name == "style" and "url(" in value:
                self.urls.extend(re.findall(r"url\(['\"]?([^'\")]+)", value))


def external(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in {"", "data", "blob", "mailto", "tel", "javascript"} and not url.startswith(
        "//"
    ):
        return False
    return parsed.netloc not in {"", "testserver"}


def simple_routes() -> list[str]:
    routes = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and "<" not in str(entry.pattern):
                routes.append("/" + prefix + str(entry.pattern))

    walk(get_resolver().url_patterns)
    return [r for r in routes if not SKIP.search(r) and "^" not in r]


def crawl(browser: Client, start: list[str], limit: int = 150) -> dict[str, int]:
    seen: dict[str, int] = {}
    queue: deque[tuple[str, str | None]] = deque((path, None) for path in start)
    problems = []
    while queue and len(seen) < limit:
        path, linked_from = queue.popleft()
        if path in seen and linked_from and seen[path] == 405:
            problems.append(f"{linked_from} links to {path}, which does not answer GET")
        if path in seen or SKIP.search(path):
            continue
        response = browser.get(path)
        seen[path] = response.status_code
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        if linked_from and response.status_code == 405:
            problems.append(f"{linked_from} links to {path}, which does not answer GET")
        csp = response.headers.get("Content-Security-Policy", "")
        if "default-src 'self'" not in csp or "http" in csp:
            problems.append(f"{path}: CSP missing or allows another origin: {csp!r}")
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        parser = Links()
        parser.feed(response.content.decode())
        for url in parser.urls:
            if external(url):
                problems.append(f"{path}: links to another host: {url}")
            else:
                target = urlparse(urljoin(path, url))
                if target.path.startswith("/") and not target.path.startswith("/static/"):
                    query = f"?{target.query}" if target.query else ""
                    queue.append((target.path + query, path if parser.is_link(url) else None))
    assert problems == []
    return seen


def test_anonymous_pages(client):
    seen = crawl(client, simple_routes())
    assert "/account/sign-up/" in seen


@pytest.mark.parametrize(
    "role", ["client", "their_therapist", "other_therapist", "on_call_therapist", "admin"]
)
def test_pages_as_each_role(role, request, partnership, client_user, admin_user):
    user = {"client": client_user, "admin": admin_user}.get(role) or request.getfixturevalue(role)
    seen = crawl(logged_in(user), ["/home/", *simple_routes()])
    assert seen["/home/"] == 200


def test_static_assets_are_served_locally(client, db):
    from django.conf import settings

    page = client.get("/").content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert assets and all(a.startswith(settings.STATIC_URL) for a in assets)
