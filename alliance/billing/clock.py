"""Billing's jobs for the worker clock (core/scheduler.py)."""

from alliance.billing.tasks import issue_statements, reconcile_charges

DAILY = {
    "reconcile_charges": reconcile_charges.enqueue,
    "issue_statements": issue_statements.enqueue,
}
