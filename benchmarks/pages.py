"""Page latency and queries per page for each role, on PostgreSQL with the demo's data.

A database of its own (`alliance_bench_pages`, dropped and recreated at the start, dropped
at the end) is migrated and seeded with `alliance seed-demo`'s steps; Django then runs in
this process with the test suite's settings (`ALLIANCE_TESTING=1`, DEBUG off) and
`django.test.Client` logged in as the demo users, their second factor done the way
`tests/conftest.py`'s `logged_in` does it.

Every page is requested in rounds, one request per page per round, so a change in the
machine's load falls on every page alike: three rounds to warm up, one counted with
`CaptureQueriesContext` (queries per request), then N timed rounds (30; 8 with `--quick`).
The baseline is `/health/`, timed in the same rounds; `ratio` = value / baseline, so it
reads as "how many health checks one page costs" (the goal: every page within 5x).

Then the caseload check: the therapist pages that cover a whole caseload, counted for the
demo therapist and for the therapist with the largest caseload (`pages.caseload`); and "my
records" with its cache emptied (`pages.cold`), the cost its first request after each
records refresh pays.

Run: .venv/bin/python benchmarks/pages.py [--quick] [--scale 1.0]   (PostgreSQL on 127.0.0.1)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "alliance_bench_pages"
DOMAIN = "demo.alliance.test"
WARMUP_ROUNDS = 3
BENCHMARK = "pages.latency"


def line(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def configure_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "alliance.settings"
    # The test suite's settings: DEBUG off, the development keys, no HTTPS redirect.
    os.environ["ALLIANCE_TESTING"] = "1"
    os.environ.pop("DEBUG", None)
    # As in the test suite: mail the seed sends (safety notices) stays in memory.
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    for name in ("REDIS_URL", "DATABASE_POOL"):
        os.environ.pop(name, None)
    import django

    django.setup()


@dataclass
class Page:
    name: str
    role: str
    client: Any
    url: str
    times: list[float] = field(default_factory=list)
    queries: int = 0


def browser_for(user: Any) -> Any:
    """A test client logged in as `user`, second factor done where required (as in
    tests/conftest.py `logged_in`)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if user.role in {"therapist", "admin"}:
        device = user.totpdevice_set.filter(confirmed=True).first()
        if device is None:  # only the demo's three staff logins have one
            device = TOTPDevice.objects.create(
                user=user, name="benchmark", key="31" * 20, confirmed=True
            )
        session = browser.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return browser


def get_ok(page: Page) -> None:
    response = page.client.get(page.url)
    if response.status_code != 200:
        raise SystemExit(
            f"{page.role} {page.name} ({page.url}) answered {response.status_code}, not 200"
        )


def count_queries(page: Page) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        get_ok(page)
    return len(captured.captured_queries)


def time_rounds(pages: list[Page], rounds: int) -> None:
    for _ in range(WARMUP_ROUNDS):
        for page in pages:
            get_ok(page)
    for page in pages:
        page.queries = count_queries(page)
    for _ in range(rounds):
        for page in pages:
            started = time.perf_counter()
            get_ok(page)
            page.times.append((time.perf_counter() - started) * 1000)


def p50(times: list[float]) -> float:
    return statistics.median(times)


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[94]


def caseload_sizes() -> dict[int, int]:
    from django.db.models import Count

    from alliance.care.models import Partnership

    rows = (
        Partnership.objects.filter(status=Partnership.Status.ACTIVE)
        .values("therapist_id")
        .annotate(n=Count("id"))
        .values_list("therapist_id", "n")
    )
    return dict(rows)


def build_pages() -> tuple[list[Page], dict[str, Any]]:
    from alliance.accounts.models import User
    from alliance.care import queries as care_queries
    from alliance.care.models import Partnership
    from alliance.checkins.models import Alert

    def user(local: str) -> Any:
        return User.objects.get(email=f"{local}@{DOMAIN}")

    client, therapist = user("client"), user("therapist")
    on_call, admin = user("therapist001"), user("admin")
    mine = care_queries.active_partnership_of_client(client)
    if mine is None:
        raise SystemExit("the demo client has no active partnership")
    first = (
        Partnership.objects.filter(therapist=therapist, status=Partnership.Status.ACTIVE)
        .order_by("id")
        .first()
    )
    cards = Alert.objects.filter(
        is_open=True, partnership__therapist=therapist, partnership__status="active"
    )
    card = cards.exclude(kind="safety").order_by("id").first() or cards.order_by("id").first()
    if first is None or card is None:
        raise SystemExit("the demo therapist has no active partnership or no open card")

    as_client, as_therapist = browser_for(client), browser_for(therapist)
    as_on_call, as_admin = browser_for(on_call), browser_for(admin)
    anonymous = browser_for_anonymous()
    pages = [
        Page("health", "baseline", anonymous, "/health/"),
        Page("home", "client", as_client, "/home/"),
        Page("check-ins", "client", as_client, "/checkins/"),
        Page("progress together", "client", as_client, f"/goals/partnerships/{mine.pk}/progress/"),
        Page("messages thread", "client", as_client, f"/conversations/{mine.pk}/"),
        Page("booking", "client", as_client, f"/schedule/partnerships/{mine.pk}/book/"),
        Page("journal", "client", as_client, "/journal/"),
        Page("privacy settings", "client", as_client, "/privacy/settings/"),
        Page("home (caseload)", "therapist", as_therapist, "/home/"),
        Page("partnership record", "therapist", as_therapist, f"/care/partnerships/{first.pk}/"),
        Page("alert card", "therapist", as_therapist, f"/checkins/alerts/{card.pk}/"),
        Page(
            "progress charts",
            "therapist",
            as_therapist,
            f"/checkins/partnerships/{first.pk}/progress/",
        ),
        Page("on-call list", "on-call", as_on_call, "/checkins/on-call/"),
        Page("my records", "therapist", as_therapist, "/care/records/mine/"),
        Page("availability", "therapist", as_therapist, "/schedule/availability/"),
        Page("home (directory)", "admin", as_admin, "/home/"),
        Page("audit log", "admin", as_admin, "/privacy/audit/"),
        Page("licences", "admin", as_admin, f"/directory/therapists/{therapist.pk}/"),
        Page(
            "alert evaluation failures",
            "admin",
            as_admin,
            "/checkins/practice/alert-evaluation/",
        ),
    ]
    sizes = caseload_sizes()
    largest_id = max(sizes, key=lambda pk: (sizes[pk], -pk))
    largest = User.objects.get(pk=largest_id)
    as_largest = browser_for(largest)
    pages.append(Page("home (caseload)", "therapist (largest caseload)", as_largest, "/home/"))
    facts = {
        "therapist": therapist,
        "largest": largest,
        "as_largest": as_largest,
        "as_therapist": as_therapist,
        "sizes": sizes,
        "partnership": first.pk,
        "card": card.pk,
        "card_kind": card.kind,
    }
    return pages, facts


def browser_for_anonymous() -> Any:
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1")


def report(pages: list[Page]) -> list[tuple[str, str, float]]:
    baseline = next(p for p in pages if p.role == "baseline")
    base = {"p50_ms": p50(baseline.times), "p95_ms": p95(baseline.times)}
    over: list[tuple[str, str, float]] = []
    for page in pages:
        params = {"page": page.name, "role": page.role}
        for metric, fn in (("p95_ms", p95), ("p50_ms", p50)):
            value = round(fn(page.times), 2)
            b = round(base[metric], 2)
            ratio = round(value / b, 2)
            line(
                benchmark=BENCHMARK,
                metric=metric,
                value=value,
                unit="ms",
                params=params,
                baseline=b,
                ratio=ratio,
            )
            if metric == "p95_ms" and ratio > 5:
                over.append((page.role, page.name, ratio))
        line(benchmark=BENCHMARK, metric="queries", value=page.queries, params=params)
    return over


def caseload_check(facts: dict[str, Any]) -> None:
    """The pages that cover a whole caseload, counted for two caseload sizes."""
    sizes = facts["sizes"]
    therapist_pages: list[tuple[str, str]] = [
        ("home (caseload)", "/home/"),
        ("my records", "/care/records/mine/"),
        ("availability", "/schedule/availability/"),
        ("progress together overview", "/goals/"),
        ("messages inbox", "/conversations/"),
        ("appointments", "/schedule/"),
    ]
    for who, browser in (("therapist", "as_therapist"), ("largest", "as_largest")):
        user = facts[who]
        for name, url in therapist_pages:
            page = Page(name, "therapist", facts[browser], url)
            get_ok(page)  # warm
            line(
                benchmark="pages.caseload",
                metric="queries",
                value=count_queries(page),
                params={"page": name, "therapist": user.email, "caseload": sizes.get(user.pk, 0)},
            )


def cold_records(facts: dict[str, Any], runs: int = 5) -> None:
    """The therapist's records page with its cache emptied, as the first request after each
    records refresh (`MATCHING_RECORDS_REFRESH_SECONDS`) finds it: the practice is shrunk."""
    from django.core.cache import cache

    page = Page("my records", "therapist", facts["as_therapist"], "/care/records/mine/")
    for _ in range(runs):
        cache.clear()
        started = time.perf_counter()
        get_ok(page)
        page.times.append((time.perf_counter() - started) * 1000)
    line(
        benchmark="pages.cold",
        metric="p50_ms",
        value=round(p50(page.times), 2),
        unit="ms",
        params={"page": page.name, "role": page.role},
        runs=runs,
    )


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 timed rounds instead of 30")
    parser.add_argument("--scale", type=float, default=1.0, help="demo size (seed-demo --scale)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    rounds = 8 if args.quick else 30

    recreate_database()
    try:
        configure_django()
        run(args.scale, args.seed, rounds)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database()


def run(scale: float, seed: int, rounds: int) -> None:
    from django.core.management import call_command

    from alliance.core import demo

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    demo.seed(seed=seed, scale=scale)
    seeded = time.perf_counter()
    pages, facts = build_pages()
    sizes: dict[int, int] = facts["sizes"]
    line(
        benchmark="pages.setup",
        metric="seconds",
        value=round(seeded - started, 1),
        unit="s",
        params={"scale": scale, "seed": seed, "rounds": rounds, "warmup_rounds": WARMUP_ROUNDS},
        migrate_seconds=round(migrated - started, 1),
        seed_seconds=round(seeded - migrated, 1),
        therapists_with_caseload=len(sizes),
        demo_therapist_caseload=sizes.get(facts["therapist"].pk, 0),
        largest_caseload=sizes.get(facts["largest"].pk, 0),
        largest_caseload_therapist=facts["largest"].email,
        partnership=facts["partnership"],
        card=facts["card"],
        card_kind=facts["card_kind"],
        load_average=load_average(),
    )
    timed_at = time.perf_counter()
    time_rounds(pages, rounds)
    elapsed = time.perf_counter() - timed_at
    over = report(pages)
    caseload_check(facts)
    cold_records(facts)
    line(
        benchmark="pages.summary",
        metric="pages_over_5x_p95",
        value=len(over),
        unit="pages",
        params={"scale": scale, "rounds": rounds},
        over=[f"{role}: {name} ({ratio}x)" for role, name, ratio in over],
        timing_seconds=round(elapsed, 1),
        load_average=load_average(),
    )


if __name__ == "__main__":
    main()
