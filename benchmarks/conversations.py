"""Conversation delivery under load: 1,000 websocket clients in 500 client–therapist pairs.

End to end: a message is sent on one socket, stored (encrypted, committed), and received on
the partner's socket; latency is measured in the load generator, which runs in its own
process and holds every socket. First one ASGI worker, then two workers sharing the Redis
channel layer (each pair split across the workers), PostgreSQL (a database created here)
with the production connection pool.

Prints `conversations.delivery` p50_ms, p99_ms and lost at 200 messages a second, then a
bounded ramp (10 s steps, 2 minutes at most) raising the rate until p99 passes 50 ms
(`sustainable_rate`), and the server memory per open connection.

Run: .venv/bin/python benchmarks/conversations.py   (PostgreSQL and Redis on 127.0.0.1)
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing as mp
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import emit  # noqa: E402

PAIRS = 500
CLIENTS = PAIRS * 2
RATE = 200
MEASURE_SECONDS = 20
STEP_SECONDS = 10
RAMP_BUDGET_SECONDS = 120
P99_LIMIT_MS = 50.0
RAMP_START = 25
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "alliance_bench_conversations"
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
DATABASE_URL = f"{PG}/{DB_NAME}"
GROUP_PREFIX = f"bench{uuid.uuid4().hex[:8]}"


def raise_open_files() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit it
    return hard


def server_env() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "DATABASE_URL": DATABASE_URL,
        "DATABASE_POOL": "1",
        "DATABASE_POOL_MAX": "20",
        "CONVERSATION_DB_THREADS": "16",
        "REDIS_URL": REDIS_URL,
        "CONVERSATION_GROUP_PREFIX": GROUP_PREFIX,  # the same for every worker
        "ALLIANCE_TESTING": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "ALLIANCE_FAST_HASHER": "1",
        "LOG_LEVEL": "ERROR",
    }


# --- database --------------------------------------------------------------------------


def create_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(
        [sys.executable, "-m", "alliance.cli", "migrate", "--verbosity", "0"]
        if (ROOT / "alliance" / "cli.py").exists()
        else [str(ROOT / ".venv" / "bin" / "alliance"), "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env={**server_env(), "DATABASE_POOL": ""},
        check=True,
    )


def seed() -> list[dict[str, Any]]:
    """500 partnerships with their two logged-in sessions (cookies for the sockets)."""
    os.environ.update({k: v for k, v in server_env().items() if k != "DATABASE_POOL"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings")
    import django

    django.setup()
    import datetime as dt

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from alliance.accounts import consent
    from alliance.accounts.models import ClientProfile, ConsentRecord, User
    from alliance.care.models import Partnership
    from alliance.directory.models import Jurisdiction, Licence, TherapistProfile

    now = timezone.now()
    ny, _ = Jurisdiction.objects.get_or_create(
        code="US-NY",
        defaults={"name": "New York", "country": "US", "default_timezone": "America/New_York"},
    )
    password = "!"  # noqa: S105 - unusable: sessions are made directly below
    clients = User.objects.bulk_create(
        User(
            email=f"c{i}@bench.test",
            password=password,
            display_name=f"C{i}",
            role="client",
            email_verified_at=now,
        )
        for i in range(PAIRS)
    )
    therapists = User.objects.bulk_create(
        User(
            email=f"t{i}@bench.test",
            password=password,
            display_name=f"T{i}",
            role="therapist",
            email_verified_at=now,
        )
        for i in range(PAIRS)
    )
    ClientProfile.objects.bulk_create(
        ClientProfile(
            user=c,
            date_of_birth=dt.date(1990, 1, 1),
            jurisdiction=ny,
            emergency_contact_name="E",
            emergency_contact_phone="+1 555 000 0000",
            emergency_contact_relationship="friend",
        )
        for c in clients
    )
    text = consent.current("telehealth")
    ConsentRecord.objects.bulk_create(
        ConsentRecord(user=c, kind="telehealth", version=text.version, text_sha256=text.sha256)
        for c in clients
    )
    TherapistProfile.objects.bulk_create(
        TherapistProfile(user=t, languages=["en"], capacity=5) for t in therapists
    )
    Licence.objects.bulk_create(
        Licence(
            therapist=t,
            jurisdiction=ny,
            licence_type="LCSW",
            number=f"B{t.pk}",
            issuing_board="Board",
            expires_on=now.date() + dt.timedelta(days=365),
            verified_at=now,
        )
        for t in therapists
    )
    devices = TOTPDevice.objects.bulk_create(
        TOTPDevice(
            user=t, name="phone", key="3132333435363738393031323334353637383930", confirmed=True
        )
        for t in therapists
    )
    partnerships = Partnership.objects.bulk_create(
        Partnership(client=c, therapist=t, started_at=now)
        for c, t in zip(clients, therapists, strict=True)
    )

    def session_for(user: Any, device: Any = None) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if device is not None:
            store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        store.create()
        return f"sessionid={store.session_key}"

    return [
        {"pk": p.pk, "client": session_for(c), "therapist": session_for(t, d)}
        for p, c, t, d in zip(partnerships, clients, therapists, devices, strict=True)
    ]


# --- servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
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
            "--log-level",
            "error",
            "--loop",
            "uvloop",
            "--ws",
            "websockets-sansio",
            "--backlog",
            "4096",
            # Chat frames are small: per-message deflate costs CPU on every frame and about
            # 100 KiB per connection for its buffers (docs/conversations.md).
            "--ws-per-message-deflate",
            "false",
        ],
        cwd=ROOT,
        env=server_env(),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


def loadavg() -> str:
    """The machine's load when a figure was taken (it is shared; read figures with it)."""
    return Path("/proc/loadavg").read_text().strip()


def sched_ns(pid: int) -> tuple[int, int]:
    """(CPU time, time runnable but waiting for a CPU) of all of a process's threads."""
    cpu = wait = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            ran, waited, _slices = (int(x) for x in (task / "schedstat").read_text().split())
        except (OSError, ValueError):
            continue  # a thread that ended meanwhile
        cpu, wait = cpu + ran, wait + waited
    return cpu, wait


def machine_jiffies() -> tuple[int, int]:
    """(steal, total) CPU time of the whole machine: time a virtual machine's CPUs were
    runnable but served another guest. Figures taken under steal are not comparable."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return steal, user + nice + system + idle + iowait + irq + softirq + steal


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --- load generator (its own process) --------------------------------------------------


def generator(conn: Any, pairs: list[dict[str, Any]], ports: list[int]) -> None:
    raise_open_files()
    import uvloop

    uvloop.run(_generate(conn, pairs, ports))


async def _generate(conn: Any, pairs: list[dict[str, Any]], ports: list[int]) -> None:
    from websockets.asyncio.client import connect

    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    trace: list[tuple[float, float]] = []  # (sent at, latency ms), for BENCH_TRACE
    received: set[str] = set()
    acked: set[str] = set()
    refused: dict[str, int] = {}
    refused_ids: set[Any] = set()
    held_ids: set[str] = set()  # over the abuse limit: stored and acknowledged, not pushed

    async def reader(ws: Any) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "message":
                mid = frame["id"]
                # Timed only on the partner's socket (the sender's own copy also arrives).
                if partner_pending.get(mid) is ws and mid not in received:
                    received.add(mid)
                    latencies.append((time.perf_counter() - sent_at[mid]) * 1000)
                    trace.append((sent_at[mid], latencies[-1]))
            elif kind == "ack":
                acked.add(frame["id"])
                if frame.get("held"):
                    held_ids.add(frame["id"])
            elif kind == "error":
                # A refusal (the abuse limit, say) is an answer, not a loss: counted apart.
                refused[frame.get("code", "?")] = refused.get(frame.get("code", "?"), 0) + 1
                refused_ids.add(frame.get("ref"))

    sockets: list[tuple[Any, Any]] = []
    sem = asyncio.Semaphore(50)

    async def open_one(port: int, pk: int, cookie: str) -> Any:
        async with sem:
            origin = f"http://127.0.0.1:{port}"
            ws = await connect(
                f"ws://127.0.0.1:{port}/ws/conversations/{pk}/",
                additional_headers={"Cookie": cookie, "Origin": origin},
                max_queue=None,
                compression=None,
                open_timeout=60,
                # Browsers never send pings; a thousand clients opened together would
                # otherwise ping in one burst every 20 s.
                ping_interval=None,
            )
            ready = json.loads(await ws.recv())
            assert ready["type"] == "ready", ready
            return ws

    tasks = []
    for i, pair in enumerate(pairs):
        # Split each pair across the workers, so with two every message crosses Redis.
        cport, tport = ports[i % len(ports)], ports[(i + 1) % len(ports)]
        tasks.append(
            asyncio.gather(
                open_one(cport, pair["pk"], pair["client"]),
                open_one(tport, pair["pk"], pair["therapist"]),
            )
        )
    sockets = [tuple(p) for p in await asyncio.gather(*tasks)]
    readers = [asyncio.create_task(reader(ws)) for p in sockets for ws in p]
    conn.send({"connected": len(sockets) * 2})
    # The generator is the measuring instrument: no collector pauses inside its timings.
    gc.collect()
    gc.freeze()
    rng = random.Random(7)
    while True:
        cmd = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        if cmd["cmd"] == "stop":
            break
        rate, seconds = cmd["rate"], cmd["seconds"]
        gc.disable()
        latencies.clear()
        received.clear()
        refused.clear()
        ids: list[str] = []
        interval = 1.0 / rate
        start = time.perf_counter()
        n = int(rate * seconds)
        for k in range(n):
            target = start + k * interval
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            duo = sockets[rng.randrange(len(sockets))]
            side = rng.randrange(2)
            mid = uuid.uuid4().hex
            ids.append(mid)
            sent_at[mid] = time.perf_counter()
            partner_pending[mid] = duo[1 - side]
            await duo[side].send(
                json.dumps({"type": "message", "id": mid, "body": f"benchmark message {k}"})
            )
        # Late is not lost: wait while messages still arrive, until 10 s without progress.
        seen, quiet_since = len(received), time.perf_counter()
        while len(received) < len(ids) and time.perf_counter() - quiet_since < 10:
            await asyncio.sleep(0.1)
            if len(received) != seen:
                seen, quiet_since = len(received), time.perf_counter()
        lost = sum(
            1 for m in ids if m not in received and m not in refused_ids and m not in held_ids
        )
        gc.enable()
        if os.environ.get("BENCH_TRACE"):  # every latency, for finding where a tail comes from
            with open(os.environ["BENCH_TRACE"], "a") as out:
                out.write(f"# rate {rate} ports {len(ports)}\n")
                out.writelines(f"{t - start:.4f} {ms:.2f}\n" for t, ms in trace)
        trace.clear()
        lat = sorted(latencies)
        conn.send(
            {
                "sent": len(ids),
                "lost": lost,
                "refused": dict(refused),
                "held": sum(1 for m in ids if m in held_ids),
                "p50": statistics.median(lat) if lat else float("nan"),
                "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan"),
                "achieved_rate": len(ids) / max(1e-9, time.perf_counter() - start - 0),
            }
        )
    for task in readers:
        task.cancel()
    for duo in sockets:
        for ws in duo:
            await ws.close()


partner_pending: dict[str, Any] = {}


# --- orchestration ---------------------------------------------------------------------


def reply(parent: Any, load: Any, timeout: float = 300) -> Any:
    """The generator's next answer; fails loudly instead of hanging if it died."""
    deadline = time.monotonic() + timeout
    while not parent.poll(1):
        if not load.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the load generator stopped")
    return parent.recv()


def run(workers: int, pairs: list[dict[str, Any]]) -> None:
    servers = [start_server() for _ in range(workers)]
    ports = [port for _, port in servers]
    params = {"workers": workers, "rate": RATE, "clients": CLIENTS}
    parent, child = mp.Pipe()
    load = mp.get_context("spawn").Process(
        target=generator, args=(child, pairs, ports), daemon=True
    )
    try:
        # Warm each worker (URLconf, templates, pools) before measuring.
        import httpx

        for port in ports:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=60)
        before = sum(rss_kb(p.pid) for p, _ in servers)
        load.start()
        connected = reply(parent, load)["connected"]
        time.sleep(2)
        after = sum(rss_kb(p.pid) for p, _ in servers)
        emit(
            "conversations.memory",
            "kb_per_connection",
            round((after - before) / connected, 1),
            "KiB",
            {"workers": workers, "clients": connected},
            loadavg=loadavg(),
        )
        parent.send({"cmd": "run", "rate": RATE, "seconds": 5})  # warm-up, not reported
        reply(parent, load)
        started = [sched_ns(p.pid) for p, _ in servers]
        machine_before = machine_jiffies()
        parent.send({"cmd": "run", "rate": RATE, "seconds": MEASURE_SECONDS})
        result = reply(parent, load)
        ended = [sched_ns(p.pid) for p, _ in servers]
        machine_after = machine_jiffies()
        at = loadavg()
        emit("conversations.delivery", "p50_ms", round(result["p50"], 2), "ms", params, loadavg=at)
        emit("conversations.delivery", "p99_ms", round(result["p99"], 2), "ms", params, loadavg=at)
        emit(
            "conversations.delivery",
            "lost",
            result["lost"],
            "messages",
            {
                **params,
                "sent": result["sent"],
                "refused": sum(result["refused"].values()),
                "held": result["held"],
            },
            loadavg=at,
        )
        # Where the time goes: the workers' CPU per message, and how long their threads were
        # ready to run but waited for a CPU (a shared machine's other work).
        for metric, index in (("cpu_ms_per_message", 0), ("cpu_wait_ms_per_message", 1)):
            spent = sum(e[index] - s[index] for s, e in zip(started, ended, strict=True))
            emit(
                "conversations.server",
                metric,
                round(spent / 1e6 / max(1, result["sent"]), 3),
                "ms",
                params,
                loadavg=at,
            )
        stolen, total = (a - b for a, b in zip(machine_after, machine_before, strict=True))
        emit(
            "conversations.machine",
            "steal_percent",
            round(100 * stolen / max(1, total), 2),
            "%",
            params,
            loadavg=at,
        )
        # Ramp: 10 s steps, 2 minutes at most, until p99 passes the limit. It starts at RATE
        # when RATE held above (ten steps of x1.5 then reach 38 times RATE), otherwise low,
        # so a machine that cannot sustain RATE still gets a figure. `stopped_by` says what
        # ended it: the p99 limit, a lost message, the generator not reaching the rate (the
        # server pushing back), or the time budget (the figure is then a lower bound).
        held = result["p99"] <= P99_LIMIT_MS and not result["lost"]
        rate, sustainable, spent, stopped_by = (RATE if held else RAMP_START), 0.0, 0, "budget"
        while spent + STEP_SECONDS <= RAMP_BUDGET_SECONDS:
            parent.send({"cmd": "run", "rate": rate, "seconds": STEP_SECONDS})
            step = reply(parent, load)
            spent += STEP_SECONDS + 2
            print(
                json.dumps(
                    {
                        "ramp": workers,
                        "rate": rate,
                        **{k: round(v, 2) if isinstance(v, float) else v for k, v in step.items()},
                        "loadavg": loadavg(),
                    }
                ),
                file=sys.stderr,
            )
            if step["p99"] > P99_LIMIT_MS:
                stopped_by = "p99"
            elif step["lost"]:
                stopped_by = "lost"
            elif step["refused"]:
                stopped_by = "refused"
            elif step["achieved_rate"] < rate * 0.9:
                stopped_by = "rate_not_reached"
            else:
                sustainable = rate
                rate = int(rate * 1.5)
                continue
            break
        emit(
            "conversations.delivery",
            "sustainable_rate",
            sustainable,
            "messages/s",
            {
                "workers": workers,
                "clients": CLIENTS,
                "p99_limit_ms": P99_LIMIT_MS,
                "stopped_by": stopped_by,
            },
            loadavg=loadavg(),
        )
        parent.send({"cmd": "stop"})
        load.join(timeout=30)
    finally:
        if load.is_alive():
            load.kill()
        for process, _ in servers:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> None:
    raise_open_files()
    create_database()
    pairs = seed()
    from django.db import connections

    connections.close_all()
    # BENCH_WORKERS=1 (or 2) runs one of the two set-ups, when looking into one of them.
    for workers in (int(w) for w in os.environ.get("BENCH_WORKERS", "1,2").split(",")):
        run(workers, pairs)


if __name__ == "__main__":
    main()
