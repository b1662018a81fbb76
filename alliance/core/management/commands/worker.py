from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from alliance.core import scheduler
from alliance.privacy import chain

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the background task worker (django-tasks database queue) and the daily jobs."

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def clock() -> None:
            while not stop.is_set():
                try:
                    scheduler.enqueue_due()
                    # Seal the audit log into its hash chain (privacy/chain.py).
                    chain.seal()
                except Exception:  # the clock must survive a failed tick; the next one retries
                    logger.exception("scheduled jobs failed")
                finally:
                    close_old_connections()
                stop.wait(60)

        thread = threading.Thread(target=clock, name="alliance-clock", daemon=True)
        thread.start()
        try:
            call_command("db_worker", interval=1.0)
        finally:
            stop.set()
            time.sleep(0)
