"""care takes over PlannedEnding from the schedule (schedule 0004), on the same table."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0005_therapist_left"),
        ("schedule", "0004_planned_ending_moves_to_care"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PlannedEnding",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "last_day",
                            models.DateField(help_text="the planned last day of work together"),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "final_measures_requested_at",
                            models.DateTimeField(blank=True, null=True),
                        ),
                        ("follow_up_wanted", models.BooleanField(blank=True, null=True)),
                        ("follow_up_due_on", models.DateField(blank=True, null=True)),
                        ("follow_up_requested_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "partnership",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="planned_ending",
                                to="care.partnership",
                            ),
                        ),
                        (
                            "planned_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"db_table": "schedule_plannedending"},
                )
            ],
            database_operations=[],
        )
    ]
