from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alliance.privacy import chain


class Command(BaseCommand):
    help = "Seal the audit log into hash-chained blocks (`seal`) or check it (`verify`)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["seal", "verify"])
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=int(chain.GRACE.total_seconds()),
            help="seal only rows older than this (seal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "seal":
            from datetime import timedelta

            written = chain.seal(grace=timedelta(seconds=options["grace_seconds"]))
            self.stdout.write(f"sealed {written} new block(s)")
            return
        verdict = chain.verify()
        if not verdict.ok:
            for problem in verdict.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"audit log verification FAILED ({len(verdict.problems)} problem(s))"
            )
        self.stdout.write(
            f"audit log OK: {verdict.blocks} block(s), {verdict.events} sealed row(s); "
            f"head {verdict.head}"
        )
