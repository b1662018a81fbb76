"""The database's own guard against double booking, per backend.

PostgreSQL: two exclusion constraints (btree_gist) over `tstzrange(starts_at, ends_at)` —
one per therapist, one per client — for every appointment that is not cancelled. They hold
under any concurrency: a second transaction inserting an overlapping row waits for the
first and then fails.

SQLite has no exclusion constraints; triggers refuse an insert or update that overlaps a
non-cancelled appointment of the same therapist or client. SQLite serialises writers (the
settings open transactions with BEGIN IMMEDIATE), so the trigger sees every committed row.

SQLite drops a table's triggers when Django rebuilds the table in a later migration (an
altered column): such a migration must call `install_sqlite_triggers` again.
`tests/schedule/test_overlap_guard.py` fails if the guard is missing.
"""

from __future__ import annotations

from typing import Any

TABLE = "schedule_appointment"

# The btree_gist extension itself is created by `BtreeGistExtension()` in the migration.
POSTGRES_INSTALL = [
    f"""ALTER TABLE {TABLE} ADD CONSTRAINT appointment_therapist_no_overlap
        EXCLUDE USING gist (therapist_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (status <> 'cancelled')""",
    f"""ALTER TABLE {TABLE} ADD CONSTRAINT appointment_client_no_overlap
        EXCLUDE USING gist (client_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (status <> 'cancelled')""",
]
POSTGRES_REMOVE = [
    f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS appointment_therapist_no_overlap",
    f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS appointment_client_no_overlap",
]

# Datetimes are stored by Django's SQLite backend as UTC text of one fixed format, so text
# comparison orders them correctly.
_SQLITE_OVERLAP = """
    SELECT 1 FROM schedule_appointment AS a
    WHERE a.{who}_id = NEW.{who}_id
      AND a.starts_at < NEW.ends_at
      AND a.starts_at > datetime(NEW.starts_at, '-{max_hours} hours')
      AND a.ends_at > NEW.starts_at
      AND a.status <> 'cancelled'
      AND a.id <> NEW.id
"""
# One EXISTS per person so each uses its (person, starts_at) index; the lower bound on
# starts_at (appointments last at most MAX_HOURS: availability.appointment_length) keeps
# the scan to
# the neighbourhood of the new row instead of the person's whole history.
MAX_HOURS = 12
_SQLITE_CHECK = f"""
    SELECT RAISE(ABORT, 'appointment overlaps another appointment')
    WHERE NEW.status <> 'cancelled' AND (
        EXISTS ({_SQLITE_OVERLAP.format(who="therapist", max_hours=MAX_HOURS)})
        OR EXISTS ({_SQLITE_OVERLAP.format(who="client", max_hours=MAX_HOURS)})
    );
"""
SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS appointment_no_overlap_insert
        BEFORE INSERT ON {TABLE} BEGIN {_SQLITE_CHECK} END""",
    f"""CREATE TRIGGER IF NOT EXISTS appointment_no_overlap_update
        BEFORE UPDATE OF starts_at, ends_at, status, therapist_id, client_id ON {TABLE}
        BEGIN {_SQLITE_CHECK} END""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS appointment_no_overlap_insert",
    "DROP TRIGGER IF EXISTS appointment_no_overlap_update",
]


def install(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRES_INSTALL, "sqlite": SQLITE_INSTALL}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"no double-booking guard for database {vendor!r}")
    for sql in statements:
        schema_editor.execute(sql)


def remove(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRES_REMOVE, "sqlite": SQLITE_REMOVE}.get(vendor, []):
        schema_editor.execute(sql)


def install_sqlite_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_INSTALL:
            schema_editor.execute(sql)


def reinstall_sqlite_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_REMOVE + SQLITE_INSTALL:
            schema_editor.execute(sql)
