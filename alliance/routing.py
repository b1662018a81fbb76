"""Websocket routes: the conversation socket (live chat and call signalling)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from alliance.conversations.consumers import ConversationConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/conversations/<int:pk>/", ConversationConsumer.as_asgi()),
]
