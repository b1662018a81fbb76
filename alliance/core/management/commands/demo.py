from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from alliance.accounts.models import User
from alliance.core import demo


class Command(BaseCommand):
    help = "Migrate, seed the demo if the database is empty, run a task worker and serve."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="prepare only")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not User.objects.exists():
            self.stdout.write("Seeding demo data ...")
            ctx = demo.seed(out=self.stdout)
            logins = ctx.logins
        else:
            logins = demo_logins_from_db()
        demo.print_logins(self.stdout, logins)
        if options["no_serve"]:
            return
        worker = subprocess.Popen(
            [sys.executable, "-m", "alliance.cli", "worker"], env=os.environ.copy()
        )
        self.stdout.write(f"\nAlliance is running at http://{options['host']}:{options['port']}/\n")
        try:
            call_command("serve", host=options["host"], port=options["port"])
        finally:
            worker.terminate()
            worker.wait(timeout=10)


def demo_logins_from_db() -> list[dict[str, str]]:
    from alliance.accounts.demo import fixed_logins

    return fixed_logins()
