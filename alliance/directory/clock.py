"""The directory's jobs for the worker clock (core/scheduler.py)."""

from alliance.directory.tasks import check_licences

DAILY = {"check_licences": check_licences.enqueue}
