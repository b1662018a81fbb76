"""The audit log of clinical reads: `record(actor, action, object, reason=None)`.

One row per clinical record opened, exported or broken into — not per fragment refresh or
message delivered — so the log stays readable. Rows carry ids only.

`record_opening` is the page's call. A fragment refresh (an htmx request: the caseload
every 30 s, a conversation after a post, a form shown again with its errors) re-reads a
record its page has just opened, so it adds a row only when the log has no opening of that
record by that person in the last `REFRESH_WINDOW`. Whether a request is a refresh is the
browser's to say (a header), so a reader who sends only refreshes is still recorded, once
per window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from alliance.privacy import chain, fields
from alliance.privacy.models import AuditEvent

Action = AuditEvent.Action


def _client_id_of(obj: Any) -> int | None:
    for attr in ("audit_client_id", "client_id"):
        value = getattr(obj, attr, None)
        if value is not None:
            return int(value)
    return None


@transaction.atomic
def record(
    actor: Any,
    action: str,
    obj: models.Model,
    reason: str | None = None,
    *,
    seal_reason: bool = False,
) -> AuditEvent:
    """Write one audit row with its MAC (privacy/chain.py): the MAC covers the row's id, so
    it is added in the same transaction right after the insert.

    `seal_reason` for a reason a person wrote (break glass): it is clinical text about the
    client, so it is encrypted with their data key (privacy/fields.py) and becomes unreadable
    when they are erased; the fixed labels the code passes stay plain and searchable."""
    client_id = _client_id_of(obj)
    text = (reason or "")[:500]
    stored: str = text
    if seal_reason and text:
        if client_id is None:
            raise ValueError("a sealed reason needs a record that belongs to a client")
        stored = fields.encrypt(text, client_id)
    event = AuditEvent.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_role=getattr(actor, "role", "") or "",
        action=str(action),
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        client_id=client_id,
        reason=stored,
    )
    event.mac = chain.row_mac(chain.stored_row(event.pk))
    AuditEvent.objects.filter(pk=event.pk).update(mac=event.mac)
    return event


REFRESH_WINDOW = dt.timedelta(minutes=10)


def is_refresh(request: Any) -> bool:
    """A request re-reading what its page opened: a form posted back, or a fragment (htmx)."""
    return request.method != "GET" or bool(getattr(request, "htmx", False))


def record_opening(
    actor: Any, obj: models.Model, *, refresh: bool, reason: str | None = None
) -> AuditEvent | None:
    """Record that `actor` opened `obj`; a `refresh` only if no opening of it by them is
    in the log within `REFRESH_WINDOW` (then None)."""
    if refresh:
        recent = AuditEvent.objects.filter(
            client_id=_client_id_of(obj),
            at__gte=timezone.now() - REFRESH_WINDOW,
            actor_id=getattr(actor, "pk", None),
            action=Action.OPEN_RECORD,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            reason=(reason or "")[:500],
        )
        if recent.exists():
            return None
    return record(actor, Action.OPEN_RECORD, obj, reason)
