"""PlannedEnding now lives in care, with the ending logic (care 0006 takes it over).

State only: the table stays where it is, so nothing is copied and no row can be lost."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("schedule", "0003_faster_sqlite_overlap_trigger")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PlannedEnding")],
            database_operations=[],
        )
    ]
