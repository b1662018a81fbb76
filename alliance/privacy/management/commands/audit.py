from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alliance.privacy import chain


class Command(BaseCommand):
    help = (
        "The audit log's keyed chain: `seal` new rows into blocks, `verify` every block and row "
        "(against an exported head with --head or --head-file), print the `head` to export."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["seal", "verify", "head"])
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=int(chain.GRACE.total_seconds()),
            help="seal only rows older than this (seal)",
        )
        parser.add_argument(
            "--head", help="an exported head, SEQ:HASH or the JSON line `head` printed (verify)"
        )
        parser.add_argument(
            "--head-file", help="a file of exported heads, one per line; its last is used (verify)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "seal":
            written = chain.seal(grace=timedelta(seconds=options["grace_seconds"]))
            self.stdout.write(f"sealed {written} new block(s)")
            return
        if action == "head":
            found = chain.head()
            self.stdout.write(found.line() if found else json.dumps({"seq": 0}))
            return
        anchor = None
        try:
            if options["head"]:
                anchor = chain.Head.parse(options["head"])
            elif options["head_file"]:
                anchor = chain.read_head_file(options["head_file"])
        except (ValueError, OSError) as exc:
            raise CommandError(f"cannot read the exported head: {exc}") from exc
        verdict = chain.verify(anchor)
        if not verdict.ok:
            for problem in verdict.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"audit log verification FAILED ({len(verdict.problems)} problem(s))"
            )
        notes = []
        if verdict.unkeyed_blocks:
            notes.append(f"{verdict.unkeyed_blocks} block(s) sealed before the chain was keyed")
        notes.append(
            f"checked against the exported head (block {anchor.seq})"
            if anchor
            else "not checked against an exported head (use --head or --head-file)"
        )
        self.stdout.write(
            f"audit log OK: {verdict.blocks} block(s), {verdict.events} sealed row(s), "
            f"{verdict.unsealed_events} not yet sealed; head {verdict.head_seq}:{verdict.head}; "
            + "; ".join(notes)
        )
