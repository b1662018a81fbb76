"""Check-ins' jobs for the worker clock (core/scheduler.py)."""

from alliance.checkins.safety import escalate_unacknowledged
from alliance.checkins.tasks import refit_and_recompute

# An unacknowledged safety alert escalates within a minute of its deadline.
MINUTELY = {"escalate_safety": escalate_unacknowledged}

# Each night the risk model is refitted (once the history has enough events) and every
# caseload's cards are re-evaluated.
DAILY = {"refit_risk_model": refit_and_recompute.enqueue}
