"""Matching benchmarks: `matching.topk` (one client, in process) and `matching.waitlist`.

Run from the repo root: `.venv/bin/python benchmarks/matching.py [--quick]`. Synthetic data is
seeded and generated with numpy; about 50 jurisdictions with a skewed (Zipf-like) size
distribution, as on a national platform.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import numpy as np
from _common import emit

from alliance.matching import ClientQuery, DomainRecord, Evidence, Index, PillarRecord, TherapistRow
from alliance.matching.assign import AssignConfig, WaitingClient, assign_waiting
from alliance.matching.vocabulary import DOMAINS, MODALITIES, PILLARS, PREFERENCES, STYLES
from alliance.matching.weights import DEFAULT_WEIGHTS

JURISDICTIONS = tuple(f"J{i:02d}" for i in range(50))
_J_WEIGHTS = np.arange(1, 51) ** -0.7
JURISDICTION_P = _J_WEIGHTS / _J_WEIGHTS.sum()
LANGUAGES = ("en", "es", "zh", "vi", "ar", "fr", "pt", "ru", "ko", "de")
LANGUAGE_P = np.array([0.97, 0.22, 0.04, 0.03, 0.03, 0.03, 0.02, 0.02, 0.02, 0.02])
GENDERS = ("woman", "man", "nonbinary")
CULTURES = ("black", "latin", "east_asian", "south_asian", "middle_eastern", "white", "jewish")
APPROACHES = ("cbt", "act", "psychodynamic", "humanistic", "dbt", "emdr", "systemic")
INSURERS = tuple(f"insurer{i}" for i in range(12))


def _bits_to_set(values: tuple[str, ...], bits: np.ndarray) -> list[frozenset[str]]:
    return [frozenset(values[j] for j in np.flatnonzero(row)) for row in bits]


def _hour_blocks(rng: np.random.Generator, n: int, days: int, block: int) -> list[int]:
    """n availability masks: `days` random days, a `block`-hour window at a random start."""
    day_pick = rng.random((n, 7)).argsort(axis=1)[:, :days]
    start = rng.integers(0, 24 - block + 1, size=(n, 1))
    hours = (day_pick * 24)[:, :, None] + start[:, :, None] + np.arange(block)[None, None, :]
    bits = np.zeros((n, 168), dtype=bool)
    np.put_along_axis(bits, hours.reshape(n, -1), True, axis=1)
    weights = [1 << h for h in range(168)]
    return [sum(w for w, b in zip(weights, row, strict=True) if b) for row in bits]


def synthetic_directory(n: int, seed: int = 1) -> list[TherapistRow]:
    rng = np.random.default_rng(seed)
    primary = rng.choice(len(JURISDICTIONS), size=n, p=JURISDICTION_P)
    second = rng.choice(len(JURISDICTIONS), size=n, p=JURISDICTION_P)
    has_second = rng.random(n) < 0.2
    langs = rng.random((n, len(LANGUAGES))) < LANGUAGE_P
    langs[~langs.any(axis=1), 0] = True
    mods = rng.random((n, 4)) < np.array([0.9, 0.7, 0.5, 0.6])
    mods[~mods.any(axis=1), 0] = True
    capacity = rng.integers(10, 31, size=n)
    free = np.where(rng.random(n) < 0.3, 0, rng.integers(1, 6, size=n))
    avail = _hour_blocks(rng, n, days=5, block=8)
    fee = rng.choice([60.0, 80.0, 100.0, 120.0, 150.0], size=n)
    ins = rng.random((n, len(INSURERS))) < 0.3
    gender = rng.choice(len(GENDERS), size=n, p=[0.6, 0.35, 0.05])
    age = rng.integers(27, 70, size=n)
    faith = rng.random(n) < 0.15
    lgbtq = rng.random(n) < 0.5
    cult = rng.random((n, len(CULTURES))) < 0.15
    appr = rng.random((n, len(APPROACHES))) < 0.3
    style = rng.integers(0, 2, size=n)
    spec = rng.random((n, len(DOMAINS))) < 0.25
    has_rec = rng.random((n, len(DOMAINS))) < 0.4
    rec_n = rng.poisson(12, size=(n, len(DOMAINS)))
    true_a = rng.normal(0, 0.3, size=(n, 1)) + rng.normal(0, 0.15, size=(n, len(DOMAINS)))
    a_mean = 4.0 + true_a + rng.normal(0, 1, (n, len(DOMAINS))) / np.sqrt(np.maximum(rec_n, 1))
    o_mean = true_a + rng.normal(0, 1, (n, len(DOMAINS))) / np.sqrt(np.maximum(rec_n, 1))
    p_n = rng.poisson(20, size=(n, 3))
    p_mean = 4.0 + rng.normal(0, 0.4, size=(n, 3))
    rows = []
    lang_sets = _bits_to_set(LANGUAGES, langs)
    mod_sets = _bits_to_set(MODALITIES, mods)
    ins_sets = _bits_to_set(INSURERS, ins)
    cult_sets = _bits_to_set(CULTURES, cult)
    appr_sets = _bits_to_set(APPROACHES, appr)
    spec_sets = _bits_to_set(DOMAINS, spec)
    for i in range(n):
        jur = {JURISDICTIONS[primary[i]]}
        if has_second[i]:
            jur.add(JURISDICTIONS[second[i]])
        records = tuple(
            DomainRecord(
                DOMAINS[d],
                alliance=Evidence(float(a_mean[i, d]), 1.0, int(rec_n[i, d])),
                outcome=Evidence(float(o_mean[i, d]), 1.0, int(rec_n[i, d])),
            )
            for d in np.flatnonzero(has_rec[i])
        )
        pillars = tuple(
            PillarRecord(PILLARS[p], Evidence(float(p_mean[i, p]), 1.0, int(p_n[i, p])))
            for p in range(3)
        )
        rows.append(
            TherapistRow(
                id=i + 1,
                jurisdictions=frozenset(jur),
                languages=lang_sets[i],
                modalities=mod_sets[i],
                capacity=int(capacity[i]),
                free_capacity=int(min(free[i], capacity[i])),
                availability=avail[i],
                fee=float(fee[i]),
                insurers=ins_sets[i],
                gender=GENDERS[gender[i]],
                age=int(age[i]),
                faith_informed=bool(faith[i]),
                lgbtq_affirming=bool(lgbtq[i]),
                cultures=cult_sets[i],
                approaches=appr_sets[i],
                style=STYLES[style[i]],
                specialties=spec_sets[i],
                records=records,
                pillars=pillars,
            )
        )
    return rows


def synthetic_queries(n: int, seed: int = 2, *, therapist_ids: int = 0) -> list[ClientQuery]:
    rng = np.random.default_rng(seed)
    jur = rng.choice(len(JURISDICTIONS), size=n, p=JURISDICTION_P)
    spanish = rng.random(n) < 0.12
    modality = rng.choice(4, size=n, p=[0.6, 0.15, 0.1, 0.15])
    hours = _hour_blocks(rng, n, days=4, block=6)
    pay = rng.random(n)
    insurer = rng.integers(0, len(INSURERS), size=n)
    budget = rng.choice([80.0, 100.0, 150.0], size=n)
    n_conc = rng.integers(1, 4, size=n)
    conc = rng.random((n, len(DOMAINS))).argsort(axis=1)
    wants = rng.random((n, len(PREFERENCES))) < np.array([0.4, 0.2, 0.1, 0.2, 0.15, 0.3, 0.4])
    must = wants & (rng.random((n, len(PREFERENCES))) < 0.2)
    gender = rng.choice(2, size=n)
    age_lo = rng.integers(25, 50, size=n)
    cult = rng.integers(0, len(CULTURES), size=n)
    appr = rng.integers(0, len(APPROACHES), size=n)
    style = rng.integers(0, 2, size=n)
    queries = []
    for i in range(n):
        w = wants[i]
        queries.append(
            ClientQuery(
                jurisdiction=JURISDICTIONS[jur[i]],
                languages=frozenset({"es"} if spanish[i] else {"en"}),
                modality=MODALITIES[modality[i]],
                preferred_hours=hours[i],
                min_overlap_hours=2,
                budget=float(budget[i]) if pay[i] < 0.5 else None,
                insurer=INSURERS[insurer[i]] if pay[i] >= 0.4 else None,
                concerns=frozenset(DOMAINS[d] for d in conc[i, : n_conc[i]]),
                gender=frozenset({GENDERS[gender[i]]}) if w[0] else frozenset(),
                age_range=(int(age_lo[i]), int(age_lo[i]) + 20) if w[1] else None,
                faith_informed=bool(w[2]),
                lgbtq_affirming=bool(w[3]),
                cultures=frozenset({CULTURES[cult[i]]}) if w[4] else frozenset(),
                approaches=frozenset({APPROACHES[appr[i]]}) if w[5] else frozenset(),
                style=STYLES[style[i]] if w[6] else None,
                must_have=frozenset(p for p, m in zip(PREFERENCES, must[i], strict=True) if m),
            )
        )
    return queries


# --- baseline ---------------------------------------------------------------------------
#
# The straightforward way on the same data: the directory in a database (created by the
# benchmark itself: a SQLite file in a temporary directory, or MATCHING_BENCH_DATABASE_URL),
# read per request through the Django ORM, then every licensed therapist checked and scored in
# a Python loop. Therapists keep their time zone as UTC so their windows are the synthetic
# UTC hours; active partnerships are materialised so free capacity is counted as in the app
# (the one-active-partnership-per-client index is dropped in this throwaway database so a
# few placeholder clients can fill every caseload). Shrunk records are read from a dict, as a
# cached records table would hold them.


UNUSABLE = "!"  # an unusable password hash: nobody logs in to the benchmark database


_bench_dir: str | None = None


def _django_database() -> None:
    """Set Django up once per process on the benchmark's own database; empty it each time."""
    global _bench_dir
    import atexit
    import os
    import secrets
    import shutil
    import tempfile

    from django.core.management import call_command

    if _bench_dir is None:
        import django

        _bench_dir = tempfile.mkdtemp(prefix="alliance-bench-")
        atexit.register(shutil.rmtree, _bench_dir, True)
        url = os.environ.get("MATCHING_BENCH_DATABASE_URL")
        if url:
            os.environ["DATABASE_URL"] = url
        else:
            os.environ.pop("DATABASE_URL", None)
        os.environ["ALLIANCE_VAR_DIR"] = _bench_dir
        os.environ.setdefault("ALLIANCE_ALLOW_NO_MASTER_KEYS", "1")
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings")
        django.setup()
        call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)


def _windows(mask: int) -> list[tuple[int, int, int]]:
    """Contiguous UTC hour runs per day: (weekday, start hour, end hour)."""
    out = []
    for day in range(7):
        hour = 0
        while hour < 24:
            if mask >> (day * 24 + hour) & 1:
                end = hour
                while end < 24 and mask >> (day * 24 + end) & 1:
                    end += 1
                out.append((day, hour, end))
                hour = end
            else:
                hour += 1
    return out


def _fill_database(rows: list[TherapistRow]) -> None:
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from alliance.accounts.models import User
    from alliance.care.models import Partnership
    from alliance.directory.models import (
        AvailabilityWindow,
        Jurisdiction,
        Licence,
        TherapistProfile,
    )

    now = timezone.now()
    year = timezone.localdate().year
    with transaction.atomic():
        Jurisdiction.objects.bulk_create(
            Jurisdiction(code=j, name=j, country="US") for j in JURISDICTIONS
        )
        by_code = dict(Jurisdiction.objects.values_list("code", "id"))
        User.objects.bulk_create(
            (
                User(email=f"t{r.id}@bench.test", role="therapist", password=UNUSABLE, id=r.id)
                for r in rows
            ),
            batch_size=5000,
        )
        most = max(r.capacity - r.free_capacity for r in rows)
        User.objects.bulk_create(
            User(email=f"c{i}@bench.test", role="client", password=UNUSABLE, id=10_000_000 + i)
            for i in range(most)
        )
        TherapistProfile.objects.bulk_create(
            (
                TherapistProfile(
                    id=r.id,
                    user_id=r.id,
                    gender=r.gender,
                    birth_year=year - r.age,
                    languages=sorted(r.languages),
                    modalities=sorted(r.modalities),
                    approaches=sorted(r.approaches),
                    specialties=sorted(r.specialties),
                    cultural_backgrounds=sorted(r.cultures),
                    style=r.style,
                    faith_informed=r.faith_informed,
                    lgbtq_affirming=r.lgbtq_affirming,
                    timezone="UTC",
                    capacity=r.capacity,
                    fee=r.fee,
                    insurers=sorted(r.insurers),
                )
                for r in rows
            ),
            batch_size=5000,
        )
        expires = timezone.localdate() + dt.timedelta(days=365)
        Licence.objects.bulk_create(
            (
                Licence(
                    therapist_id=r.id,
                    jurisdiction_id=by_code[j],
                    licence_type="LPC",
                    number=f"{j}-{r.id}",
                    issuing_board="board",
                    expires_on=expires,
                    verified_at=now,
                )
                for r in rows
                for j in sorted(r.jurisdictions)
            ),
            batch_size=5000,
        )
        AvailabilityWindow.objects.bulk_create(
            (
                AvailabilityWindow(
                    therapist_id=r.id, weekday=d, start=dt.time(s), end=dt.time(e - 1, 59)
                )
                for r in rows
                for d, s, e in _windows(r.availability)
            ),
            batch_size=10_000,
        )
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS one_active_partnership")
            table = Partnership._meta.db_table
            cursor.executemany(
                f"INSERT INTO {table} (client_id, therapist_id, status, started_at, "  # noqa: S608
                "end_reason, switch_reason, handoff_consent, switch_handoff) "
                "VALUES (%s, %s, 'active', %s, '', '', false, false)",
                [
                    (10_000_000 + i, r.id, now)
                    for r in rows
                    for i in range(r.capacity - r.free_capacity)
                ],
            )


def _orm_topk(
    q: ClientQuery, records: dict[int, dict[str, Any]], k: int
) -> list[tuple[float, int]]:
    """One request, the straightforward way: ORM reads, then a Python loop."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from alliance.directory.models import AvailabilityWindow, Licence, TherapistProfile

    w = DEFAULT_WEIGHTS
    year = timezone.localdate().year
    licensed = Licence.objects.valid().filter(jurisdiction__code=q.jurisdiction)
    ids = licensed.values("therapist_id")
    profiles = (
        TherapistProfile.objects.filter(user_id__in=ids, accepting_new_clients=True)
        .annotate(
            active=Count(
                "user__therapist_partnerships",
                filter=Q(user__therapist_partnerships__status="active"),
            )
        )
        .values()
    )
    hours: dict[int, int] = {}
    for pid, day, start, end in AvailabilityWindow.objects.filter(
        therapist__user_id__in=ids
    ).values_list("therapist_id", "weekday", "start", "end"):
        for h in range(start.hour, end.hour + 1):
            hours[pid] = hours.get(pid, 0) | 1 << (day * 24 + h)
    nice = q.stated - q.must_have
    domains = sorted(q.concerns) or list(DOMAINS)
    scored = []
    for t in profiles:
        free = t["capacity"] - t["active"]
        if not set(t["languages"]) & q.languages or q.modality not in t["modalities"]:
            continue
        if free <= 0:
            continue
        if bin(hours.get(t["id"], 0) & q.preferred_hours).count("1") < q.min_overlap_hours:
            continue
        if q.insurer is not None or q.budget is not None:
            ok = (q.insurer in t["insurers"]) or (
                q.budget is not None and float(t["fee"]) <= q.budget
            )
            if not ok:
                continue
        age = year - t["birth_year"]
        met = {
            "gender": t["gender"] in q.gender,
            "age": q.age_range is not None and q.age_range[0] <= age <= q.age_range[1],
            "faith_informed": t["faith_informed"],
            "lgbtq_affirming": t["lgbtq_affirming"],
            "culture": bool(set(t["cultural_backgrounds"]) & q.cultures),
            "approach": bool(set(t["approaches"]) & q.approaches),
            "style": t["style"] == q.style,
        }
        if any(not met[p] for p in q.must_have) or t["user_id"] in q.excluded:
            continue
        rec = records[t["user_id"]]
        score = w.preference * (sum(met[p] for p in nice) / len(nice) if nice else 0.0)
        score += w.specialty * len(set(t["specialties"]) & q.concerns) / max(len(q.concerns), 1)
        score += w.alliance * sum(rec["alliance"][d] for d in domains) / len(domains)
        score += w.outcome * sum(rec["outcome"][d] for d in domains) / len(domains)
        score += w.load * free / t["capacity"]
        scored.append((score, t["user_id"]))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return scored[:k]


def baseline_orm_topk(
    rows: list[TherapistRow], index: Index, queries: list[ClientQuery], k: int
) -> tuple[str, list[float]]:
    """Timings of the Django ORM + Python loop over the same directory, in its own database."""
    records = {
        int(tid): {
            "alliance": dict(zip(DOMAINS, index.alliance_z[:, i], strict=True)),
            "outcome": dict(zip(DOMAINS, index.outcome_z[:, i], strict=True)),
        }
        for i, tid in enumerate(index.ids)
    }
    _django_database()
    _fill_database(rows)
    for q in queries[:3]:
        _orm_topk(q, records, k)  # warm up
    times = []
    for q in queries:
        start = time.perf_counter()
        expected = _orm_topk(q, records, k)
        times.append((time.perf_counter() - start) * 1000)
        got = index.top_k(q, k)
        if [t for _, t in expected] != [m.therapist_id for m in got] and not np.allclose(
            [s for s, _ in expected], [m.score for m in got]
        ):
            raise AssertionError("index and ORM baseline disagree")
    return "django_orm_python_loop", times


def _percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.array(values), p))


def _load() -> float:
    """The 1-minute load average while measuring: timings on a busy machine say less."""
    return round(os.getloadavg()[0], 2)


def bench_topk(n_therapists: int, n_queries: int, n_baseline: int, k: int = 10) -> None:
    rows = synthetic_directory(n_therapists, seed=1)
    index = Index.build(rows, version="bench")
    queries = synthetic_queries(n_queries, seed=2)
    for q in queries[:50]:
        index.top_k(q, k)
    times = []
    for q in queries:
        start = time.perf_counter()
        index.top_k(q, k)
        times.append((time.perf_counter() - start) * 1000)
    load = _load()
    kind, base = baseline_orm_topk(rows, index, queries[:n_baseline], k)
    params = {"therapists": n_therapists, "k": k}
    for metric, p in (("p50_ms", 50), ("p95_ms", 95)):
        emit(
            "matching.topk",
            metric,
            round(_percentile(times, p), 4),
            "ms",
            params,
            baseline=round(_percentile(base, p), 3),
            baseline_kind=kind,
            queries=len(times),
            baseline_queries=len(base),
            load_average=load,
        )
    found = statistics.mean(len(index.top_k(q, k)) for q in queries[:200])
    emit("matching.topk", "mean_matches_returned", round(found, 2), "matches", params)


def bench_waitlist(n_clients: int, n_therapists: int, k: int, repeats: int = 3) -> None:
    """End to end (encoding, candidates, flow) `repeats` times; the median run is reported."""
    rows = synthetic_directory(n_therapists, seed=3)
    index = Index.build(rows, version="bench")
    queries = synthetic_queries(n_clients, seed=4)
    rng = np.random.default_rng(5)
    waited = rng.exponential(10.0, size=n_clients)
    safety = rng.random(n_clients) < 0.01
    clients = [
        WaitingClient(i + 1, q, float(w), bool(a))
        for i, (q, w, a) in enumerate(zip(queries, waited, safety, strict=True))
    ]
    config = AssignConfig(k=k)
    params = {"clients": n_clients, "therapists": n_therapists, "k": k}
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = assign_waiting(index, clients, config=config)
        runs.append((time.perf_counter() - start, result))
    load = _load()
    runs.sort(key=lambda run: run[0])
    seconds, flow = runs[len(runs) // 2]
    start = time.perf_counter()
    greedy = assign_waiting(index, clients, config=config, method="greedy")
    greedy_seconds = time.perf_counter() - start
    emit(
        "matching.waitlist",
        "seconds",
        round(seconds, 3),
        "s",
        params,
        baseline=round(greedy_seconds, 3),
        baseline_kind="greedy",
        candidate_seconds=round(flow.candidate_seconds, 3),
        runs_seconds=[round(run[0], 3) for run in runs],
        load_average=load,
    )
    emit(
        "matching.waitlist",
        "solver_seconds",
        round(flow.solver_seconds, 3),
        "s",
        params,
        baseline=round(greedy.solver_seconds, 3),
        baseline_kind="greedy",
    )
    emit(
        "matching.waitlist",
        "objective",
        round(flow.objective, 1),
        "score_units",
        params,
        baseline=round(greedy.objective, 1),
        baseline_kind="greedy",
        higher_is_better=True,
    )
    for name, result in (("flow", flow), ("greedy", greedy)):
        waiting = (result.therapist_ids < 0) & result.has_candidate
        max_wait = float(waited[waiting].max()) if waiting.any() else 0.0
        due_left = int((waiting & result.due).sum())
        emit(
            "matching.waitlist",
            "max_wait_days",
            round(max_wait, 1),
            "days",
            params,
            method=name,
            due_unassigned_with_candidate=due_left,
            max_wait_days_setting=config.max_wait_days,
        )
        left = result.therapist_ids < 0
        by_language: dict[str, int] = {}
        by_jurisdiction: dict[str, int] = {}
        for q in (queries[i] for i in np.flatnonzero(left)):
            lang = ",".join(sorted(q.languages))
            by_language[lang] = by_language.get(lang, 0) + 1
            by_jurisdiction[q.jurisdiction] = by_jurisdiction.get(q.jurisdiction, 0) + 1
        emit(
            "matching.waitlist",
            "unassigned",
            int(left.sum()),
            "clients",
            params,
            method=name,
            without_any_candidate=int((~result.has_candidate).sum()),
            by_language=by_language,
            by_jurisdiction=dict(sorted(by_jurisdiction.items())),
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for smoke tests")
    args = parser.parse_args(argv)
    if args.quick:
        bench_topk(2_000, 200, 20)
        bench_waitlist(2_000, 1_000, 5)
    else:
        bench_topk(10_000, 2_000, 100)
        bench_topk(100_000, 2_000, 20)
        bench_waitlist(10_000, 25_000, 5)
        bench_waitlist(100_000, 25_000, 5)


if __name__ == "__main__":
    main()
