"""The database's own refusal to change an issued invoice, credit note or line.

The models refuse in Python (`models._Immutable`); these triggers refuse an UPDATE that
goes around the ORM (a queryset `.update()`, raw SQL). PostgreSQL refuses DELETE too;
TRUNCATE (how the test database is emptied) fires no row trigger. On SQLite, where the
test database is emptied with DELETE, only UPDATE is refused; deleting an invoice is still
refused by the model and by the protected references of its lines and payments.

SQLite drops a table's triggers when a later migration rebuilds the table: such a migration
must call `install` again (tests/billing/test_invoices.py fails without them).
"""

from __future__ import annotations

from typing import Any

TABLES = ("billing_invoice", "billing_invoiceline")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION billing_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'an issued % row cannot change', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql
"""


def _statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_PG_FUNCTION] + [
            f"""CREATE OR REPLACE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION billing_refuse_change()"""
            for table in TABLES
        ]
    if vendor == "sqlite":
        return [
            f"""CREATE TRIGGER IF NOT EXISTS {table}_immutable BEFORE UPDATE ON {table}
                BEGIN SELECT RAISE(ABORT, 'an issued {table} row cannot change'); END"""
            for table in TABLES
        ]
    return []


def install(apps: Any, schema_editor: Any) -> None:
    for statement in _statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def remove(apps: Any, schema_editor: Any) -> None:
    for table in TABLES:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {table}_immutable"
            + (f" ON {table}" if schema_editor.connection.vendor == "postgresql" else "")
        )
