from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alliance.privacy import keys


class Command(BaseCommand):
    help = (
        "Re-wrap every client data key with the first master key in ALLIANCE_MASTER_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then remove the old keys."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = keys.rotate_all()
        self.stdout.write(f"re-wrapped {count} data keys with the current master key")
