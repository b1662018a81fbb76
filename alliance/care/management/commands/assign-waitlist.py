"""`alliance assign-waitlist`: offer therapists to waiting clients (min-cost flow)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from alliance.care.waitlist import run_assignment


class Command(BaseCommand):
    help = "Offer therapists with free places to clients on the waiting list."

    def handle(self, *args: Any, **options: Any) -> None:
        report = run_assignment()
        self.stdout.write(
            f"{report.offered} of {report.waiting} waiting clients received an offer; "
            f"{report.without_candidate} have no suitable therapist with room; "
            f"{report.due_left} due (near MAX_WAIT_DAYS={settings.MAX_WAIT_DAYS} or with an "
            f"open safety alert) are still waiting; solver {report.solver_seconds:.3f}s."
        )
