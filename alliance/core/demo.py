"""`alliance seed-demo`: deterministic demo data built from per-part steps.

Each part contributes `alliance/<part>/demo.py` with `run(ctx)`; steps run in this order.
"""

from __future__ import annotations

import importlib
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

STEPS = [
    "alliance.directory.demo",
    "alliance.accounts.demo",
    "alliance.care.demo",
    "alliance.schedule.demo",
    "alliance.checkins.demo",
    "alliance.conversations.demo",
    "alliance.goals.demo",
    "alliance.journal.demo",
    "alliance.checkins.demo_alerts",  # last: the rules read every other part's data
]

DEMO_PASSWORD = "alliance-demo-2026"  # noqa: S105 - printed on purpose for the demo
DEMO_DOMAIN = "demo.alliance.test"


@dataclass
class DemoContext:
    seed: int
    rng: random.Random
    now: datetime
    scale: float = 1.0
    logins: list[dict[str, str]] = field(default_factory=list)
    shared: dict[str, Any] = field(default_factory=dict)

    def count(self, n: int) -> int:
        return max(1, int(n * self.scale))


def seed(*, seed: int = 2026, scale: float = 1.0, out: Any = None) -> DemoContext:
    ctx = DemoContext(seed=seed, rng=random.Random(seed), now=timezone.now(), scale=scale)
    for name in STEPS:
        started = time.perf_counter()
        module = importlib.import_module(name)
        with transaction.atomic():
            module.run(ctx)
        if out is not None:
            out.write(f"  {name}: {time.perf_counter() - started:.1f}s\n")
    return ctx


def print_logins(out: Any, logins: list[dict[str, str]]) -> None:
    out.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})\n")
    for login in logins:
        extra = f"  {login['note']}" if login.get("note") else ""
        out.write(f"  {login['role']:<20} {login['email']}{extra}\n")
