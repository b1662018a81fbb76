from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alliance.accounts.models import User
from alliance.core import demo


class Command(BaseCommand):
    help = "Fill an empty database with deterministic demo data (therapists, clients, history)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--scale", type=float, default=1.0, help="fraction of the full demo size"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.exists():
            raise CommandError("the database already has users; seed-demo fills only an empty one")
        ctx = demo.seed(seed=options["seed"], scale=options["scale"], out=self.stdout)
        demo.print_logins(self.stdout, ctx.logins)
