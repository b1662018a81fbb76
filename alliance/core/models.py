from __future__ import annotations

from django.db import models


class ScheduledRun(models.Model):
    """Marks a periodic job as done for one day, so several workers run it once."""

    name = models.CharField(max_length=80)
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "day"], name="one_scheduled_run_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"
