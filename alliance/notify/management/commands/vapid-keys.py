"""`alliance vapid-keys`: a new VAPID key pair for Web Push, as the two settings to set."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alliance.notify.config import new_vapid_keys


class Command(BaseCommand):
    help = "Print a new VAPID key pair (VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY) for Web Push."

    def handle(self, *args: Any, **options: Any) -> None:
        private, public = new_vapid_keys()
        # Changing the pair later makes every browser subscribe again, so keep it.
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}\nVAPID_PUBLIC_KEY={public}\n")
