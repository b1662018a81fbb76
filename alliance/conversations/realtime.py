"""Events pushed to every socket of a conversation through the channel layer (in-memory in
one process, Redis across workers), so a message reaches its partner on any worker."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

log = logging.getLogger(__name__)


def group_name(partnership_id: int) -> str:
    return f"{settings.CONVERSATION_GROUP_PREFIX}.{partnership_id}"


def broadcast(partnership_id: int, event: dict[str, Any]) -> None:
    """Send `event` (its "type" names the consumer handler) to the conversation's sockets.

    Called on commit, so what it announces is stored: if the channel layer cannot be reached
    the failure is logged, not raised into the request that stored it, and the sockets catch
    up from the database (the layer tells them when it is back; pages sync on reconnect)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(partnership_id), event)
    except Exception:
        log.exception("could not announce %s to conversation %s", event.get("type"), partnership_id)
