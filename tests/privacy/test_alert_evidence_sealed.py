"""The crisis phrases a safety alert quotes from a client's words are clinical text: stored
sealed with the client's data key, readable by the clinician, unreadable after erasure."""

from __future__ import annotations

import pytest
from django.db import connection

from alliance.checkins.models import Alert
from alliance.privacy import rights
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def stored_evidence(alert: Alert) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT evidence FROM checkins_alert WHERE id = %s", [alert.pk])
        return str(cursor.fetchone()[0])


def test_crisis_phrases_are_sealed_at_rest_and_gone_with_erasure(
    partnership, client_user, on_call_therapist
):
    response = logged_in(client_user).post(
        f"/conversations/{partnership.pk}/",
        {"body": "Some nights I want to end my life", "client_id": "evidence-0001"},
    )
    assert response.status_code == 200
    alert = Alert.objects.get(client=client_user, kind="safety")
    assert "end my life" not in stored_evidence(alert)
    assert "end my life" in alert.evidence_rows()[0]["label"]  # the clinician reads it

    rights.erase_client(user=client_user, actor=client_user)
    alert.refresh_from_db()
    assert "end my life" not in stored_evidence(alert)
    label = alert.evidence_rows()[0]["label"]
    assert "end my life" not in label and "erased" in label


def test_alerts_stored_before_sealing_are_sealed_by_the_migration(
    partnership, client_user, on_call_therapist
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("alliance.checkins.migrations.0003_seal_alert_phrases")
    logged_in(client_user).post(
        f"/conversations/{partnership.pk}/",
        {"body": "I want to die", "client_id": "evidence-0002"},
    )
    alert = Alert.objects.get(client=client_user, kind="safety")
    old = [{"source": "message", "message_id": 1, "phrases": ["want to die"]}]
    Alert.objects.filter(pk=alert.pk).update(evidence=old)  # as rows were written before
    migration.seal(apps, None)
    alert.refresh_from_db()
    assert "want to die" not in stored_evidence(alert)
    assert "want to die" in alert.evidence_rows()[0]["label"]
