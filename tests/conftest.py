"""Shared fixtures: a client, their therapist, an unrelated therapist, an admin, and live
ASGI servers (uvicorn subprocesses against the file-backed test database)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from hypothesis import settings as hypothesis_settings

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
TOTP_HEX = "3132333435363738393031323334353637383930"


# Bounded, reproducible property tests in CI (`make test` sets HYPOTHESIS_PROFILE=ci).
hypothesis_settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config: pytest.Config) -> None:
    # Argon2 is deliberately slow; tests only need a hasher that works.
    if settings.configured:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- tests of what exists on PostgreSQL only --------------------------------------------
# A test marked `postgresql` exercises something only PostgreSQL has (the chat fast path's
# async pool). Where the run's database is another one, its module runs once more in a
# subprocess on PostgreSQL, and each such test passes or fails with its outcome there: never
# skipped, whatever database the run uses.

POSTGRESQL_URL = os.environ.get(
    "ALLIANCE_TEST_POSTGRESQL_URL", "postgres://postgres@127.0.0.1:5432/alliance"
)
_postgresql_outcomes: dict[str, dict[str, str | None]] = {}


def _run_module_on_postgresql(path: Path) -> dict[str, str | None]:
    """{test name: None if it passed there, else the failure text} for the module's tests."""
    import xml.etree.ElementTree as ElementTree

    key = str(path)
    if key not in _postgresql_outcomes:
        report = Path(os.environ.get("TMPDIR", "/tmp")) / f"alliance-pg-{os.getpid()}.xml"
        # A database of its own per process, so parallel workers never share one.
        url = f"{POSTGRESQL_URL.rsplit('/', 1)[0]}/alliance_{os.getpid()}"
        env = {**os.environ, "DATABASE_URL": url}
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:xdist",
                "-m",
                "postgresql",
                str(path),
                f"--junitxml={report}",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        outcomes: dict[str, str | None] = {}
        if report.exists():
            # Our own pytest wrote this report a moment ago: trusted input.
            for case in ElementTree.parse(report).iter("testcase"):  # noqa: S314
                problem = case.find("failure")
                if problem is None:
                    problem = case.find("error")
                if problem is None and case.find("skipped") is not None:
                    problem = case.find("skipped")
                outcomes[case.get("name", "")] = (
                    None if problem is None else (problem.text or problem.get("message") or "")
                )
            report.unlink()
        if not outcomes:
            outcomes[""] = run.stdout[-4000:] + run.stderr[-4000:]
        _postgresql_outcomes[key] = outcomes
    return _postgresql_outcomes[key]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    from django.db import connection

    if pyfuncitem.get_closest_marker("postgresql") is None or connection.vendor == "postgresql":
        return None
    outcomes = _run_module_on_postgresql(Path(pyfuncitem.path))
    name = pyfuncitem.name
    if name not in outcomes:
        pytest.fail(f"{name} did not run on PostgreSQL ({POSTGRESQL_URL}):\n{outcomes}")
    if outcomes[name] is not None:
        pytest.fail(f"{name} failed on PostgreSQL:\n{outcomes[name]}")
    return True


@pytest.fixture
def jurisdiction(db):
    from alliance.directory.models import Jurisdiction

    found, _ = Jurisdiction.objects.get_or_create(
        code="US-NY",
        defaults={
            "name": "New York",
            "country": "US",
            "default_timezone": "America/New_York",
            "crisis_resources": [
                {
                    "name": "988 Suicide & Crisis Lifeline",
                    "contact": "Call or text 988",
                    "note": "24/7",
                }
            ],
        },
    )
    return found


def make_client(email: str, jurisdiction, *, name: str = "Casey") -> object:
    from alliance.accounts import services
    from alliance.accounts.models import ClientProfile, User

    user = User.objects.create_user(
        email=email,
        password=PASSWORD,
        display_name=name,
        role=User.Role.CLIENT,
        email_verified_at=timezone.now(),
        timezone="America/New_York",
    )
    ClientProfile.objects.create(
        user=user,
        date_of_birth=dt.date(1990, 5, 17),
        jurisdiction=jurisdiction,
        emergency_contact_name="Jamie",
        emergency_contact_phone="+1 555 123 4567",
        emergency_contact_relationship="partner",
    )
    services.give_consent(user=user, kind="telehealth")
    return user


def make_therapist(email: str, jurisdiction, *, name: str, on_call: bool = False) -> object:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from alliance.accounts.models import User
    from alliance.directory.models import Licence, TherapistProfile

    user = User.objects.create_user(
        email=email,
        password=PASSWORD,
        display_name=name,
        role=User.Role.THERAPIST,
        email_verified_at=timezone.now(),
        timezone="America/New_York",
        is_on_call=on_call,
    )
    TherapistProfile.objects.create(
        user=user,
        languages=["en"],
        modalities=["video", "audio", "chat", "messaging"],
        specialties=["anxiety", "depression"],
        timezone="America/New_York",
        capacity=20,
    )
    Licence.objects.create(
        therapist=user,
        jurisdiction=jurisdiction,
        licence_type="LCSW",
        number=f"NY-{email}",
        issuing_board="New York State Education Department",
        expires_on=timezone.localdate() + dt.timedelta(days=365),
        verified_at=timezone.now(),
    )
    TOTPDevice.objects.create(user=user, name="phone", key=TOTP_HEX, confirmed=True)
    return user


@pytest.fixture
def client_user(db, jurisdiction):
    return make_client("client@example.org", jurisdiction, name="Casey")


@pytest.fixture
def their_therapist(db, jurisdiction, client_user):
    from alliance.care import services

    therapist = make_therapist("their.therapist@example.org", jurisdiction, name="Dr Tess")
    services.start_partnership(client=client_user, therapist=therapist)
    return therapist


@pytest.fixture
def partnership(their_therapist, client_user):
    from alliance.care.models import Partnership

    return Partnership.objects.get(client=client_user, therapist=their_therapist, status="active")


@pytest.fixture
def other_therapist(db, jurisdiction):
    return make_therapist("other.therapist@example.org", jurisdiction, name="Dr Otto")


@pytest.fixture
def on_call_therapist(db, jurisdiction):
    return make_therapist("oncall@example.org", jurisdiction, name="Dr Onyx", on_call=True)


@pytest.fixture
def admin_user(db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from alliance.accounts.models import User

    user = User.objects.create_user(
        email="admin@example.org",
        password=PASSWORD,
        display_name="Ada Admin",
        role=User.Role.ADMIN,
        email_verified_at=timezone.now(),
    )
    TOTPDevice.objects.create(user=user, name="phone", key=TOTP_HEX, confirmed=True)
    return user


def logged_in(user) -> Client:
    """A test client logged in as `user`, with their second factor done where required."""
    from django_otp import DEVICE_ID_SESSION_KEY

    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if user.role in {"therapist", "admin"}:
        device = user.totpdevice_set.filter(confirmed=True).first()
        session = browser.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return browser


@pytest.fixture
def as_user() -> Callable[[object], Client]:
    return logged_in


# --- live ASGI servers ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url_for_servers() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    mail_dir: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def mails(self) -> list[str]:
        return [p.read_text() for p in sorted(self.mail_dir.glob("*.log"))]


def start_asgi_server(mail_dir: Path, *, extra_env: dict[str, str] | None = None) -> LiveServer:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "DATABASE_URL": database_url_for_servers(),
        "ALLIANCE_TESTING": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "ALLIANCE_VAR_DIR": str(settings.VAR_DIR),
        "ALLIANCE_FAST_HASHER": "1",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "alliance.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "on",
            # As `alliance serve` with no TRUSTED_PROXIES: no forwarded header is believed.
            "--no-proxy-headers",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("uvicorn did not start within 30 s")
    return LiveServer(f"http://127.0.0.1:{port}", port, process, mail_dir)


@pytest.fixture
def asgi_server_factory(transactional_db, tmp_path) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def start(**kwargs: object) -> LiveServer:
        server = start_asgi_server(tmp_path / f"mail-{len(started)}", **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def live_asgi_server(asgi_server_factory) -> LiveServer:
    return asgi_server_factory()


@pytest.fixture(autouse=True)
def _data_migration_content(request):
    """Transactional tests flush every table, including rows that data migrations install
    (the project's own notebooks); put them back so test order never matters."""
    if "transactional_db" in request.fixturenames or "db" in request.fixturenames:
        from importlib import import_module

        from django.apps import apps

        migration = import_module("alliance.journal.migrations.0002_builtin_notebooks")
        request.getfixturevalue(
            "db" if "transactional_db" not in request.fixturenames else "transactional_db"
        )
        migration.add_builtin_notebooks(apps, None)
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    """Unwrapped data keys are cached per process by key id; ids repeat across tests."""
    yield
    from alliance.privacy import keys

    keys.forget()


def earlier_today(minutes: float, zone: str = "America/New_York") -> dt.datetime:
    """`minutes` ago, but never before today's midnight where the client is (New York for
    the test users): a session "of today" stays today's at any hour the suite runs."""
    from zoneinfo import ZoneInfo

    now = timezone.now()
    local = now.astimezone(ZoneInfo(zone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return max(now - dt.timedelta(minutes=minutes), midnight + dt.timedelta(seconds=30))


def later_today(minutes: float, zone: str = "America/New_York") -> dt.datetime:
    """`minutes` from now, but never after today's last second where the client is."""
    from zoneinfo import ZoneInfo

    now = timezone.now()
    local = now.astimezone(ZoneInfo(zone))
    end = local.replace(hour=23, minute=59, second=59, microsecond=0)
    return min(now + dt.timedelta(minutes=minutes), end)


def make_appointment(partnership, start, *, status="scheduled", **extra):
    """A 50-minute video appointment of the partnership, stored as given (no checks)."""
    import datetime as dt

    from alliance.schedule.models import Appointment

    return Appointment.objects.create(
        partnership=partnership,
        therapist_id=partnership.therapist_id,
        client_id=partnership.client_id,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=50),
        modality="video",
        status=status,
        **extra,
    )


# A practice model with known coefficients, and the budget's thresholds pinned, so that the
# tests of the cards do not move when the shipped prior is refitted.
KNOWN_MODEL = {
    "intercept": -3.0,
    "time": 0.0,
    "weights": {
        "bond_deficit": 1.0,
        "bond_drop": 3.0,
        "collaboration_deficit": 1.0,
        "collaboration_drop": 2.0,
        "goals_not_agreed": 0.5,
        "perspective_gap": 0.5,
        "checkpoint": 0.0,  # its own test gives it a weight
        "off_track": 0.7,
        "no_reliable_change": 0.3,
        "worsening": 1.0,
        "missed": 0.6,
        "late_arrivals": 0.05,
        "skipped": 0.1,
        "fading_contact": 0.5,
    },
    "horizon": 4,
    "source": "test model",
}
OPEN_AT, CLOSE_BELOW = 0.3, 0.2


@pytest.fixture
def known_model(db, monkeypatch):
    from django.conf import settings
    from django.utils import timezone

    from alliance.checkins import attention
    from alliance.checkins.models import RiskModelFit
    from alliance.measures.alerts.budget import Budget

    RiskModelFit.objects.create(
        coefficients=KNOWN_MODEL,
        events=500,
        observations=5000,
        partnerships=100,
        fitted_at=timezone.now(),
    )
    monkeypatch.setattr(
        attention,
        "budget",
        lambda: Budget(share=settings.ALERT_BUDGET_SHARE, open_at=OPEN_AT, close_below=CLOSE_BELOW),
    )
