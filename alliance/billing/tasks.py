"""Billing's background tasks: each is idempotent and safe to run twice."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from alliance.billing import charging, fees, invoicing
from alliance.billing.models import PracticeBilling


@task()
def reconcile_charges() -> int:
    """Charge what the schedule's events left uncharged (a worker died before its
    on-commit handler ran)."""
    return charging.reconcile()


@task()
def issue_statements() -> int:
    """In monthly mode, on the first days of a month, last month's statements (idempotent:
    only charges still open are taken)."""
    if fees.practice().invoice_mode != PracticeBilling.InvoiceMode.MONTHLY:
        return 0
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return invoicing.issue_monthly_statements(month_start=last_month)
