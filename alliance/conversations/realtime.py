"""Events pushed to every socket of a conversation through the channel layer (in-memory in
one process, Redis across workers), so a message reaches its partner on any worker."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings


def group_name(partnership_id: int) -> str:
    return f"{settings.CONVERSATION_GROUP_PREFIX}.{partnership_id}"


def broadcast(partnership_id: int, event: dict[str, Any]) -> None:
    """Send `event` (its "type" names the consumer handler) to the conversation's sockets."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group_name(partnership_id), event)
