"""Demo data for checkins (see alliance/core/demo.py)."""

from __future__ import annotations

from alliance.core.demo import DemoContext


def run(ctx: DemoContext) -> None:
    return None
