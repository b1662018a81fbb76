"""QUICK_EXIT_URL: an absolute http(s) address, or start-up stops with a message naming it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def check(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "QUICK_EXIT_URL"}
    return subprocess.run(
        [sys.executable, "-m", "alliance.cli", "check"],
        cwd=ROOT,
        env={**clean, "ALLIANCE_TESTING": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "value",
    [
        "www.bbc.co.uk/weather",  # no scheme: the browser would read it as a path here
        "/health/",
        "javascript:alert(1)",
        "ftp://example.org/",
        "https://",
        "https://exa mple.org/",
        "http://[::1/",
    ],
)
def test_a_bad_quick_exit_url_stops_start_up(value):
    done = check(QUICK_EXIT_URL=value)
    assert done.returncode == 2
    assert "QUICK_EXIT_URL must be an absolute http:// or https:// address" in done.stderr
    assert repr(value) in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("value", ["https://www.example.org/news", "http://127.0.0.1:8001/x/"])
def test_an_absolute_web_address_is_accepted(value):
    done = check(QUICK_EXIT_URL=value)
    assert done.returncode == 0, done.stderr


def test_the_default_is_a_neutral_public_page():
    done = subprocess.run(
        [sys.executable, "-c", "from alliance import settings; print(settings.QUICK_EXIT_URL)"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "QUICK_EXIT_URL"}, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip() == "https://www.bbc.co.uk/weather", done.stderr


def test_the_page_takes_the_setting(client, db, settings):
    settings.QUICK_EXIT_URL = "https://neutral.example.org/weather"
    page = client.get("/").content.decode()
    assert 'data-url="https://neutral.example.org/weather"' in page
