"""The installable app's three routes (alliance/home/pwa.py): the service worker, the manifest
and the offline page. What the worker does in a real browser is tests/browser/test_pwa.py."""

from __future__ import annotations

import importlib.util
import json
import re
import struct
import sys
from pathlib import Path

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory

from alliance.home import pwa
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "alliance" / "static"
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}


def worker_config(response) -> dict:
    line = re.search(r"^const CONFIG = (.*);$", response.content.decode(), re.MULTILINE)
    assert line, "the served worker has no CONFIG line"
    return json.loads(line.group(1))


def static_links(page: str) -> set[str]:
    return set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page))


def css_colour(name: str) -> str:
    css = (STATIC / "css/alliance.css").read_text()
    found = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", css)
    assert found
    return found.group(1).lower()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --- the service worker -----------------------------------------------------------------


def test_service_worker_is_served_from_the_root_with_its_headers(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    assert 'self.addEventListener("fetch"' in response.content.decode()


def test_service_worker_precaches_only_the_offline_page_and_static_files(client):
    config = worker_config(client.get("/sw.js"))
    assert config["offline"] == "/offline/"
    assert config["static"] == "/static/"
    assert config["precache"][0] == "/offline/"
    assert {"/static/css/alliance.css", "/static/img/favicon.svg"} <= set(config["precache"])
    assert all(url == "/offline/" or url.startswith("/static/") for url in config["precache"])


def test_service_worker_precaches_every_static_file_the_offline_page_needs(client):
    page = client.get("/offline/").content.decode()
    config = worker_config(client.get("/sw.js"))
    assert static_links(page) and static_links(page) <= set(config["precache"])


def test_service_worker_version_follows_the_offline_page_and_is_stable(client):
    english = worker_config(client.get("/sw.js"))["version"]
    assert worker_config(client.get("/sw.js"))["version"] == english
    # the offline page in another language is another copy to install
    assert worker_config(client.get("/sw.js", **SPANISH))["version"] != english


def test_service_worker_is_the_same_for_everyone(client, client_user):
    anonymous = client.get("/sw.js").content
    assert logged_in(client_user).get("/sw.js").content == anonymous


def test_service_worker_without_its_config_line_is_a_configuration_error(tmp_path, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    broken = tmp_path / "sw.js"
    broken.write_text("self.addEventListener('fetch', () => {});\n")
    monkeypatch.setattr(pwa, "SERVICE_WORKER", broken)
    with pytest.raises(ImproperlyConfigured, match="CONFIG"):
        pwa.service_worker(RequestFactory().get("/sw.js"))


def test_service_worker_source_puts_nothing_in_a_cache_at_run_time():
    # Only the install step fills the cache, from the precache list; a `put` or a second
    # `add` would start keeping answers of the pages or the API (tests/browser/test_pwa.py
    # checks the behaviour).
    source = (STATIC / "pwa/sw.js").read_text()
    assert ".put(" not in source and ".add(" not in source
    assert source.count(".addAll(") == 1 and "CONFIG.precache" in source


# --- the manifest -----------------------------------------------------------------------


def test_manifest_is_served_with_its_content_type(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"


def test_manifest_fields(client):
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["name"] == "Alliance"
    assert manifest["short_name"] == "Alliance"
    assert manifest["start_url"] == "/home/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == css_colour("brand")
    assert manifest["background_color"] == css_colour("bg")


def test_manifest_is_discreet(client):
    # A home screen is seen by whoever holds the phone.
    text = client.get("/manifest.webmanifest").content.decode().lower()
    for word in ("therapy", "therapist", "mental", "health", "counsel"):
        assert word not in text


def test_manifest_icons_exist_at_their_sizes(client):
    icons = client.get("/manifest.webmanifest").json()["icons"]
    pngs = {(i["sizes"], i["purpose"]) for i in icons if i["type"] == "image/png"}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= pngs
    assert any(i["type"] == "image/svg+xml" and i["sizes"] == "any" for i in icons)
    for entry in icons:
        path = STATIC / entry["src"].removeprefix("/static/")
        assert client.get(entry["src"]).status_code == 200
        if entry["type"] == "image/png":
            width, height = entry["sizes"].split("x")
            assert png_size(path) == (int(width), int(height))


def test_icons_are_what_the_generator_draws(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "scripts/make_icons.py")
    assert spec and spec.loader
    make_icons = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_icons", make_icons)  # its dataclasses look it up
    spec.loader.exec_module(make_icons)
    monkeypatch.setattr(make_icons, "OUT", tmp_path)
    make_icons.main()
    made = sorted(p.name for p in tmp_path.iterdir())
    assert "icon-maskable-512.png" in made and "apple-touch-icon.png" in made
    for name in made:
        assert (tmp_path / name).read_bytes() == (STATIC / "pwa" / name).read_bytes(), name


def test_pages_link_the_manifest_and_register_the_worker(client):
    page = client.get("/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert f'<meta name="theme-color" content="{css_colour("brand")}">' in page
    assert '<link rel="apple-touch-icon" href="/static/pwa/apple-touch-icon.png">' in page
    assert (
        '<script src="/static/pwa/register.js" data-service-worker="/sw.js" defer></script>' in page
    )


# --- the offline page -------------------------------------------------------------------


def test_offline_page_says_so_with_the_crisis_line(client):
    response = client.get("/offline/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "You are offline" in page
    assert "What still works" in page
    assert "Call your local emergency number" in page
    assert "Alliance is not an emergency service" in page


def test_offline_page_holds_nothing_of_a_logged_in_client(client_user, partnership):
    # given a client with a notice waiting for their next page
    browser: Client = logged_in(client_user)
    storage = CookieStorage(RequestFactory().get("/"))
    carrier = HttpResponse()
    storage._store([Message(constants.SUCCESS, "Entry shared with your therapist.")], carrier)
    browser.cookies[storage.cookie_name] = carrier.cookies[storage.cookie_name].value
    # when the offline page is rendered for them (the worker caches it)
    page = browser.get("/offline/").content.decode()
    # then it is the page anyone would get: no name, menu, log-out or notice
    assert "Casey" not in page and "Dr Tess" not in page
    assert "Log out" not in page and "/conversations/" not in page
    assert "Entry shared" not in page
    # and the notice is still there for the page it was meant for
    assert "Entry shared with your therapist." in browser.get("/home/").content.decode()
