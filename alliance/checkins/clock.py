"""Check-ins' jobs for the worker clock (core/scheduler.py)."""

from alliance.checkins.safety import escalate_unacknowledged

# An unacknowledged safety alert escalates within a minute of its deadline.
MINUTELY = {"escalate_safety": escalate_unacknowledged}
