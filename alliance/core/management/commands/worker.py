from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
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
                except Exception:  # the clock must survive a failed tick; the next one retries
                    logger.exception("scheduled jobs failed")
                finally:
                    close_old_connections()
                stop.wait(60)

        def sealer() -> None:
            # The audit log is sealed into its keyed chain within seconds (privacy/chain.py):
            # one cheap query when there is nothing new.
            while not stop.is_set():
                try:
                    chain.seal()
                except Exception:
                    logger.exception("sealing the audit log failed")
                finally:
                    close_old_connections()
                stop.wait(settings.AUDIT_SEAL_EVERY_SECONDS)

        for target, name in ((clock, "alliance-clock"), (sealer, "alliance-audit-sealer")):
            threading.Thread(target=target, name=name, daemon=True).start()
        try:
            call_command("db_worker", interval=1.0)
        finally:
            stop.set()
            time.sleep(0)
