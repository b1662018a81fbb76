"""ASGI entry point: HTTP through Django, websockets through Channels, and the lifespan
protocol for what a serving worker sets up once (run servers with lifespan on)."""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from django.conf import settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from alliance.conversations import fastpath  # noqa: E402
from alliance.core import collector  # noqa: E402
from alliance.routing import websocket_urlpatterns  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


async def lifespan(receive: Any, send: Any) -> None:
    """Start-up and shutdown of one worker process."""
    schedule = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            get_resolver().url_patterns  # noqa: B018 - the URLconf loaded now, frozen with the rest
            schedule = collector.start(
                every_seconds=settings.WORKER_GC_EVERY_SECONDS,
                full_every_seconds=settings.WORKER_GC_FULL_EVERY_SECONDS,
                max_new_objects=settings.WORKER_GC_MAX_NEW_OBJECTS,
            )
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await fastpath.close()  # the chat pool of this loop, if any
            collector.stop(schedule)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    else:
        await router(scope, receive, send)
