"""What goals tell the alert rules (alliance/checkins/signals.py)."""

from __future__ import annotations

from alliance.goals.queries import goals_status_for_alerts

SIGNALS = {"goals_status": goals_status_for_alerts}
