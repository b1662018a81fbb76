"""Every cookie is Secure and SameSite in production: session, CSRF, language and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from http.cookies import SimpleCookie

import pytest
from cryptography.fernet import Fernet
from django.test import Client, override_settings

from tests.conftest import PASSWORD, ROOT

COOKIES = ("SESSION", "CSRF", "LANGUAGE")


def production_env(tmp_path, **extra: str) -> dict[str, str]:
    """What an operator sets: DEBUG off, real keys, no test switches."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "DEBUG": "0",
        "SECRET_KEY": "production-like-" + "k" * 60,
        "ALLIANCE_MASTER_KEYS": Fernet.generate_key().decode(),
        "ALLIANCE_VAR_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "alliance.example.org",
        **extra,
    }


def run(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=production_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def production_cookie_settings(tmp_path_factory) -> dict[str, object]:
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({f'{c}_COOKIE_{a}': getattr(settings, f'{c}_COOKIE_{a}') "
        f"for c in {COOKIES!r} for a in ('SECURE', 'SAMESITE', 'HTTPONLY')}}))"
    )
    result = run(
        tmp_path_factory.mktemp("prod"), "-c", script, DJANGO_SETTINGS_MODULE="alliance.settings"
    )
    assert result.returncode == 0, result.stderr
    values: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return values


def test_production_settings_make_every_cookie_secure_and_samesite(production_cookie_settings):
    for cookie in COOKIES:
        assert production_cookie_settings[f"{cookie}_COOKIE_SECURE"] is True, cookie
        assert production_cookie_settings[f"{cookie}_COOKIE_SAMESITE"] in {"Lax", "Strict"}
    assert production_cookie_settings["SESSION_COOKIE_HTTPONLY"] is True
    assert production_cookie_settings["LANGUAGE_COOKIE_HTTPONLY"] is True


def test_deploy_check_passes_on_cookies_in_production(tmp_path):
    result = run(tmp_path, "-m", "alliance.cli", "check", "--deploy")
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "security.W012" not in output and "security.W016" not in output


def test_deploy_check_catches_insecure_cookies(tmp_path):
    # The control: the same check names the cookies when they are not Secure.
    result = run(tmp_path, "-m", "alliance.cli", "check", "--deploy", SECURE_COOKIES="0")
    output = result.stdout + result.stderr
    assert "security.W012" in output and "security.W016" in output


@pytest.mark.django_db
def test_every_cookie_the_app_sets_is_secure_and_samesite(production_cookie_settings, client_user):
    seen: dict[str, object] = {}

    def keep(response) -> None:  # type: ignore[no-untyped-def]
        cookies: SimpleCookie = response.cookies
        for name, morsel in cookies.items():
            seen[name] = morsel

    with override_settings(**production_cookie_settings):
        browser = Client()
        keep(browser.get("/account/log-in/", secure=True))  # the CSRF cookie
        keep(browser.post("/i18n/setlang/", {"language": "es", "next": "/"}, secure=True))
        keep(browser.post("/i18n/setlang/", {"language": "xx", "next": "/"}, secure=True))
        keep(
            browser.post(
                "/account/log-in/",
                {"email": client_user.email, "password": PASSWORD},
                secure=True,
            )
        )
    # the session, CSRF, language and messages cookies were all set (none left untested)
    assert {"sessionid", "csrftoken", "django_language", "messages"} <= set(seen)
    for name, morsel in seen.items():
        assert morsel["secure"] is True, name  # type: ignore[index]
        assert morsel["samesite"] in {"Lax", "Strict"}, name  # type: ignore[index]
    assert seen["django_language"]["httponly"] is True  # type: ignore[index]
