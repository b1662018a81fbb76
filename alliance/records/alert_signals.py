"""What records tell the alert rules (alliance/checkins/signals.py): the client's answer to
the treatment plan."""

from __future__ import annotations

from alliance.records.plan_review import plan_status_for_alerts

SIGNALS = {"plan_status": plan_status_for_alerts}
