"""The audit log of clinical reads: `record(actor, action, object, reason=None)`.

One row per clinical record opened, exported or broken into — not per fragment refresh or
message delivered — so the log stays readable. Rows carry ids only.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from alliance.privacy.models import AuditEvent

Action = AuditEvent.Action


def _client_id_of(obj: Any) -> int | None:
    for attr in ("audit_client_id", "client_id"):
        value = getattr(obj, attr, None)
        if value is not None:
            return int(value)
    return None


def record(actor: Any, action: str, obj: models.Model, reason: str | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_role=getattr(actor, "role", "") or "",
        action=str(action),
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        client_id=_client_id_of(obj),
        reason=(reason or "")[:500],
    )
