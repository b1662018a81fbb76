"""The client's address has one trust boundary (TRUSTED_PROXIES, handed to uvicorn by
`alliance serve`), and the lockout, the API's anonymous limit and the login records all take
it from alliance/core/client_address.py. Lockout is by account + address, by account and by
address, so one address cannot lock anyone else out and rotating a header gains nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.test import Client, RequestFactory

from alliance.core.client_address import UNKNOWN, client_address
from alliance.core.management.commands.serve import proxy_options
from tests.conftest import (
    PASSWORD,
    ROOT,
    LiveServer,
    database_url_for_servers,
    free_port,
    make_client,
)

LIMIT = settings.AXES_FAILURE_LIMIT
ACCOUNT_LIMIT = settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT
A = "client@example.org"
B = "other.client@example.org"


@pytest.fixture
def two_clients(client_user, jurisdiction):
    return client_user, make_client(B, jurisdiction, name="Bea")


def log_in(email: str, password: str, *, address: str = "127.0.0.1", **headers: str) -> int:
    """One log-in from a connection at `address` (what uvicorn gives as the client)."""
    response = Client(REMOTE_ADDR=address).post(
        "/account/log-in/", {"email": email, "password": password}, **headers
    )
    return response.status_code


# A wrong password answers 400; the one that reaches a limit already shows the locked page.
WRONG = {400, 429}


def fail(email: str, times: int, *, address: str = "127.0.0.1", **headers: str) -> None:
    for _ in range(times):
        assert log_in(email, "wrong password", address=address, **headers) in WRONG


# --- the address ------------------------------------------------------------------------------


def test_client_address_is_the_connection_address_in_canonical_form():
    factory = RequestFactory()
    assert client_address(factory.get("/", REMOTE_ADDR="198.51.100.7")) == "198.51.100.7"
    assert client_address(factory.get("/", REMOTE_ADDR="::ffff:198.51.100.7")) == "198.51.100.7"
    assert client_address(factory.get("/", REMOTE_ADDR="2001:DB8:0:0::1")) == "2001:db8::1"
    assert client_address(factory.get("/", REMOTE_ADDR="")) == UNKNOWN
    forged = factory.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert client_address(forged) == "198.51.100.7"


def test_serve_trusts_no_forwarded_header_without_trusted_proxies():
    # uvicorn's own default would believe X-Forwarded-For from 127.0.0.1.
    assert proxy_options([]) == {"proxy_headers": False, "forwarded_allow_ips": None}
    assert proxy_options(["10.0.0.0/8", "127.0.0.1/32"]) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.0/8", "127.0.0.1/32"],
    }


@pytest.mark.parametrize("value", ["*", "10.0.0.300", "proxy.internal", "10.0.0.0/33"])
def test_a_bad_trusted_proxies_setting_stops_start_up(value):
    result = subprocess.run(
        [sys.executable, "-m", "alliance.cli", "check"],
        cwd=ROOT,
        env={**os.environ, "TRUSTED_PROXIES": f"127.0.0.1,{value}", "ALLIANCE_TESTING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "TRUSTED_PROXIES" in result.stderr and value in result.stderr


# --- the lockout, in process ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_forged_forwarded_header_changes_nothing(two_clients):
    for n in range(LIMIT):
        assert (
            log_in(A, "wrong", address="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
            in WRONG
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    # rotating the header does not escape the lock of this account from this address
    assert log_in(A, PASSWORD, address="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.99") == 429


@pytest.mark.django_db
def test_failures_from_one_address_lock_that_account_there_only(two_clients):
    # given five wrong passwords for A from one address
    fail(A, LIMIT, address="198.51.100.7")
    # then A is locked from that address, even with the right password
    assert log_in(A, PASSWORD, address="198.51.100.7") == 429
    # but B logs in from the same address, and A from another one
    assert log_in(B, PASSWORD, address="198.51.100.7") == 302
    assert log_in(A, PASSWORD, address="198.51.100.8") == 302


@pytest.mark.django_db
def test_refused_attempts_during_a_lock_do_not_add_up_to_the_account_lock(two_clients):
    fail(A, LIMIT, address="198.51.100.7")
    for _ in range(ACCOUNT_LIMIT):
        assert log_in(A, "wrong", address="198.51.100.7") == 429
    assert log_in(A, PASSWORD, address="198.51.100.8") == 302


@pytest.mark.django_db
def test_the_account_locks_everywhere_once_many_addresses_failed(two_clients):
    # given the account's limit reached from several addresses (a botnet, or rotation)
    addresses = [f"203.0.113.{n}" for n in range(ACCOUNT_LIMIT // LIMIT)]
    for address in addresses:
        fail(A, LIMIT, address=address)
    # then A is locked from an address that never failed, and B is not
    assert log_in(A, PASSWORD, address="192.0.2.200") == 429
    assert log_in(B, PASSWORD, address="192.0.2.200") == 302


@pytest.mark.django_db
def test_the_account_lock_needs_the_account_limit(two_clients):
    addresses = [f"203.0.113.{n}" for n in range(ACCOUNT_LIMIT // LIMIT)]
    for address in addresses[:-1]:
        fail(A, LIMIT, address=address)
    fail(A, LIMIT - 1, address=addresses[-1])
    assert log_in(A, PASSWORD, address="192.0.2.200") == 302


@pytest.mark.django_db
def test_spraying_many_accounts_from_one_address_locks_that_address(two_clients, settings):
    settings.LOCKOUT_ADDRESS_FAILURE_LIMIT = 8
    for n in range(8):
        fail(f"someone{n}@example.org", 1, address="198.51.100.7")
    assert log_in(B, PASSWORD, address="198.51.100.7") == 429
    assert log_in(B, PASSWORD, address="198.51.100.8") == 302


@pytest.mark.django_db
def test_logging_in_to_ones_own_account_does_not_reset_a_spraying_count(two_clients, settings):
    settings.LOCKOUT_ADDRESS_FAILURE_LIMIT = 8
    for n in range(7):
        fail(f"someone{n}@example.org", 1, address="198.51.100.7")
    assert log_in(B, PASSWORD, address="198.51.100.7") == 302  # the sprayer's own account
    fail("someone7@example.org", 1, address="198.51.100.7")
    assert log_in(A, PASSWORD, address="198.51.100.7") == 429


@pytest.mark.django_db
def test_a_successful_log_in_forgets_that_accounts_failures(two_clients):
    fail(A, LIMIT - 1, address="198.51.100.7")
    assert log_in(A, PASSWORD, address="198.51.100.7") == 302
    fail(A, LIMIT - 1, address="198.51.100.7")
    assert log_in(A, PASSWORD, address="198.51.100.7") == 302


@pytest.mark.django_db
def test_changing_the_case_of_the_email_does_not_start_a_fresh_count(two_clients):
    for n in range(LIMIT):
        email = A.upper() if n % 2 else f"  {A.title()}"
        assert log_in(email, "wrong", address="198.51.100.7") in WRONG
    assert log_in(A, PASSWORD, address="198.51.100.7") == 429


@pytest.mark.django_db
def test_the_login_record_keeps_the_connection_address(two_clients):
    log_in(A, PASSWORD, address="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert list(AccessLog.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]


# --- the API's anonymous limit ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_anonymous_api_limit_ignores_a_forged_header():
    limit = int(settings.API_RATE_ANON.split("/")[0])
    codes = [
        Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        .get("/api/health")
        .status_code
        for n in range(limit + 1)
    ]
    assert codes[:limit] == [200] * limit and codes[-1] == 429
    # another connection address has its own budget
    assert Client(REMOTE_ADDR="198.51.100.8").get("/api/health").status_code == 200


# --- through a real `alliance serve` (uvicorn) -----------------------------------------------


def start_alliance_serve(tmp: Path, extra_env: dict[str, str]) -> LiveServer:
    """`alliance serve` as an operator runs it, against the test database."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "DATABASE_URL": database_url_for_servers(),
        "ALLIANCE_TESTING": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "ALLIANCE_VAR_DIR": str(settings.VAR_DIR),
        "ALLIANCE_FAST_HASHER": "1",
        "LOG_LEVEL": "ERROR",
        **extra_env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "alliance.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", port, process, tmp)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"alliance serve exited with {process.returncode}")
        try:
            if httpx.get(server.url + "/api/health", timeout=1).status_code:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("alliance serve did not start within 30 s")


@pytest.fixture
def serve(transactional_db, tmp_path) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def start(**env: str) -> LiveServer:
        # a generous API limit: each server's health probe above spends one call of it
        server = start_alliance_serve(tmp_path, {"API_RATE_ANON": "1000/m", **env})
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def live_log_in(server: LiveServer, email: str, password: str, forwarded: str | None) -> int:
    """A log-in through the real form; `forwarded` is what the proxy (this test, connecting
    from 127.0.0.1) puts in X-Forwarded-For: with nginx's `proxy_set_header X-Forwarded-For
    $remote_addr`, the address it saw, replacing whatever the client sent."""
    headers = {"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "http"} if forwarded else {}
    with httpx.Client(base_url=server.url, headers=headers, timeout=20) as browser:
        page = browser.get("/account/log-in/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        response = browser.post(
            "/account/log-in/",
            data={"csrfmiddlewaretoken": token.group(1), "email": email, "password": password},
        )
        return response.status_code


def test_live_without_trusted_proxies_a_forged_header_is_ignored(serve, two_clients):
    server = serve(TRUSTED_PROXIES="", API_RATE_ANON="3/m")
    # given a client rotating its own X-Forwarded-For straight at the server
    for n in range(LIMIT):
        assert live_log_in(server, A, "wrong", forwarded=f"203.0.113.{n}") in WRONG
    # then every failure counted against the connection's address, and A is locked there
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    assert live_log_in(server, A, PASSWORD, forwarded="203.0.113.200") == 429
    # and B, from the same address, is not locked out
    assert live_log_in(server, B, PASSWORD, forwarded=None) == 302
    assert list(AccessLog.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]


def test_live_the_anonymous_api_limit_ignores_a_forged_header(serve, db):
    server = serve(TRUSTED_PROXIES="", API_RATE_ANON="3/m")
    codes = [
        httpx.get(
            server.url + "/api/health", headers={"X-Forwarded-For": f"203.0.113.{n}"}
        ).status_code
        for n in range(6)
    ]
    # the start-up probe spent one call of the three
    assert codes[:2] == [200, 200] and set(codes[2:]) == {429}


def test_live_a_proxy_that_is_not_trusted_cannot_name_the_client(serve, two_clients):
    server = serve(TRUSTED_PROXIES="10.0.0.0/8")
    for n in range(LIMIT):
        assert live_log_in(server, A, "wrong", forwarded=f"203.0.113.{n}") in WRONG
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    assert live_log_in(server, A, PASSWORD, forwarded="203.0.113.200") == 429


def test_live_behind_the_documented_proxy_each_client_is_its_own_address(serve, two_clients):
    # TRUSTED_PROXIES as docs/operations.md sets it for a proxy on the same host
    server = serve(TRUSTED_PROXIES="127.0.0.1")
    # given five wrong passwords for A from one client address
    for _ in range(LIMIT):
        assert live_log_in(server, A, "wrong", forwarded="198.51.100.7") in WRONG
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    # then A is locked from there, while B from there and A from elsewhere log in
    assert live_log_in(server, A, PASSWORD, forwarded="198.51.100.7") == 429
    assert live_log_in(server, B, PASSWORD, forwarded="198.51.100.7") == 302
    assert live_log_in(server, A, PASSWORD, forwarded="198.51.100.8") == 302
    assert AccessLog.objects.filter(username=A).get().ip_address == "198.51.100.8"


def test_live_behind_the_proxy_rotating_addresses_stops_at_the_account_limit(serve, two_clients):
    server = serve(TRUSTED_PROXIES="127.0.0.1")
    for n in range(ACCOUNT_LIMIT // LIMIT):
        for _ in range(LIMIT):
            assert live_log_in(server, A, "wrong", forwarded=f"203.0.113.{n}") in WRONG
    assert live_log_in(server, A, PASSWORD, forwarded="192.0.2.200") == 429
    assert live_log_in(server, B, PASSWORD, forwarded="192.0.2.200") == 302


def test_live_only_a_trusted_proxy_says_the_request_was_https(serve, db):
    # X-Forwarded-Proto crosses the same boundary: uvicorn takes the scheme from it only
    # when the connection comes from TRUSTED_PROXIES, so SECURE_SSL_REDIRECT needs nothing else.
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    trusted = serve(TRUSTED_PROXIES="127.0.0.1", SECURE_SSL_REDIRECT="1")
    assert httpx.get(trusted.url + "/account/log-in/", headers=https).status_code == 200
    assert httpx.get(trusted.url + "/account/log-in/").status_code == 301
    untrusted = serve(TRUSTED_PROXIES="", SECURE_SSL_REDIRECT="1")
    assert httpx.get(untrusted.url + "/account/log-in/", headers=https).status_code == 301
