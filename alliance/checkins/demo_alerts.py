"""The demo's alerts, computed last (see alliance/core/demo.py).

The rules read more than check-ins: goals agreed or not, messages, attendance. Computed
before the later steps had seeded those, every partnership past its first sessions showed
"goals never co-agreed".
"""

from __future__ import annotations

from alliance.core.demo import DemoContext


def run(ctx: DemoContext) -> None:
    from alliance.checkins.evaluation import recompute_all

    recompute_all()
