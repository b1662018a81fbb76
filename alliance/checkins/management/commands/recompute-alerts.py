from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alliance.checkins import evaluation

# The summary names at most this many failing partnerships; the admin page lists them all.
FAILED_IDS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Recompute the alliance monitor for the whole practice: every active partnership's "
        "risk (vectorised) and each caseload's needs-attention cards within its budget. "
        "Runs to the end whatever fails, prints a JSON summary, and exits non-zero when the "
        "evaluation of any partnership failed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--chunk", type=int, default=5000, help="partnerships per batch")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["chunk"] < 1:
            raise CommandError("--chunk must be at least 1")
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
                    "closed": summary.closed,
                    "failed": summary.failed,
                    "failed_partnerships": summary.failed_ids[:FAILED_IDS_SHOWN],
                    "seconds": round(seconds, 3),
                }
            )
        )
        if summary.failed:
            raise CommandError(
                f"alert evaluation failed for {summary.failed} partnership(s); "
                "see the practice admin's alert evaluation page"
            )
