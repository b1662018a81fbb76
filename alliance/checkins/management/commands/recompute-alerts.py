from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand

from alliance.checkins import evaluation


class Command(BaseCommand):
    help = "Recompute the alliance monitor's alerts for the whole practice (vectorised batch)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--chunk", type=int, default=5000, help="partnerships per batch")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        summary = evaluation.recompute_all(chunk=options["chunk"])
        seconds = time.perf_counter() - started
        self.stdout.write(
            json.dumps(
                {
                    "partnerships": summary.partnerships,
                    "raised": summary.raised,
                    "updated": summary.updated,
                    "repaired": summary.repaired,
                    "seconds": round(seconds, 3),
                }
            )
        )
