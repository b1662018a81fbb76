"""The database refuses overlapping appointments (see alliance/schedule/overlap.py)."""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

from alliance.schedule import overlap


class Migration(migrations.Migration):
    dependencies = [("schedule", "0001_appointments_availability_notes_feeds")]

    operations = [
        # A no-op on databases other than PostgreSQL.
        BtreeGistExtension(),
        migrations.RunPython(overlap.install, overlap.remove),
    ]
