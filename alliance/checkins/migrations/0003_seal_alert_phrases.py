"""Seal the crisis phrases of safety alerts stored before they were encrypted
(checkins/safety.py): with the client's data key, or dropped when that key is destroyed."""

import json

from django.db import migrations


def seal(apps, schema_editor):
    from alliance.privacy import fields

    Alert = apps.get_model("checkins", "Alert")
    ClientKey = apps.get_model("privacy", "ClientKey")
    erased = set(
        ClientKey.objects.filter(destroyed_at__isnull=False).values_list("owner_id", flat=True)
    )
    for alert in Alert.objects.filter(kind="safety").iterator():
        changed = False
        for row in alert.evidence or []:
            phrases = row.pop("phrases", None) if isinstance(row, dict) else None
            if not phrases:
                continue
            changed = True
            if alert.client_id in erased:
                continue  # an erased client's words are not kept
            sealed = fields.encrypt(json.dumps([str(p) for p in phrases]), alert.client_id)
            row["phrases_sealed"] = str(sealed)
        if changed:
            alert.save(update_fields=["evidence"])


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0002_optional_encrypted_texts"),
        ("privacy", "0001_initial"),
    ]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
