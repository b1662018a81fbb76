"""What conversations tell the alert rules (alliance/checkins/signals.py)."""

from __future__ import annotations

from alliance.conversations.queries import message_weeks_for_alerts

SIGNALS = {"messages_per_week": message_weeks_for_alerts}
