"""`alliance seed-demo`: deterministic demo data built from per-part steps.

Each part contributes `alliance/<part>/demo.py` with `run(ctx)`; steps run in this order.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

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
    for _order, step in steps():
        started = time.perf_counter()
        with transaction.atomic():
            step(ctx)
        if out is not None:
            name = f"{step.__module__}.{step.__name__}"
            out.write(f"  {name}: {time.perf_counter() - started:.1f}s\n")
    return ctx


def steps() -> list[tuple[int, Any]]:
    """Every part's demo steps (`STEPS = [(order, run)]` in its demo.py), in order."""
    from alliance.core.parts import part_modules

    found = [step for module in part_modules("demo") for step in getattr(module, "STEPS", [])]
    return sorted(found, key=lambda step: step[0])


def print_logins(out: Any, logins: list[dict[str, str]]) -> None:
    out.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})\n")
    for login in logins:
        extra = f"  {login['note']}" if login.get("note") else ""
        out.write(f"  {login['role']:<20} {login['email']}{extra}\n")
