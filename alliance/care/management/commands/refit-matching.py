"""`alliance refit-matching`: refit the matching weights on the practice's history."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alliance.care.learning import refit_weights


class Command(BaseCommand):
    help = "Refit matching weights with cross-validation; replace them only if fit improves."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(refit_weights().message)
