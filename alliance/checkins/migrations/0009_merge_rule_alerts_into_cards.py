"""Open alerts of the separate non-safety rules are closed: the rules are now the reasons of
one "needs attention" card per client, which the next evaluation opens within the budget.
Their history stays; safety alerts are untouched."""

from django.db import migrations
from django.utils import timezone

RULE_KINDS = (
    "bond",
    "collaboration",
    "not_on_track",
    "no_reliable_change",
    "deterioration",
    "avoidance",
    "checkpoint",
)
NOTE = "closed: the rules now give the reasons of one needs-attention card per client"


def close_rule_alerts(apps, schema_editor):
    Alert = apps.get_model("checkins", "Alert")
    AlertEvent = apps.get_model("checkins", "AlertEvent")
    now = timezone.now()
    ids = list(Alert.objects.filter(is_open=True, kind__in=RULE_KINDS).values_list("pk", flat=True))
    # The event note is an encrypted field, which a historical model cannot write: the
    # action says what happened, and the migration's docstring why.
    AlertEvent.objects.bulk_create(
        [AlertEvent(alert_id=pk, action="resolved", created_at=now) for pk in ids],
        batch_size=1000,
    )
    Alert.objects.filter(pk__in=ids).update(
        state="resolved", is_open=False, closed_at=now, updated_at=now
    )


class Migration(migrations.Migration):
    dependencies = [("checkins", "0008_needs_attention_card")]

    operations = [migrations.RunPython(close_rule_alerts, migrations.RunPython.noop)]
