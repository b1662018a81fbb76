"""SQLite: the overlap triggers look only near the new row (see overlap.py)."""

from django.db import migrations

from alliance.schedule import overlap


class Migration(migrations.Migration):
    dependencies = [("schedule", "0002_no_double_booking")]

    operations = [
        migrations.RunPython(overlap.reinstall_sqlite_triggers, migrations.RunPython.noop),
    ]
