from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


def proxy_options(trusted_proxies: list[str]) -> dict[str, Any]:
    """uvicorn's forwarded-header handling from TRUSTED_PROXIES (docs/security.md): on, and
    believing only connections from those proxies, when some are listed; off otherwise, so no
    client can name its own address (uvicorn's default trusts 127.0.0.1)."""
    if not trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": None}
    return {"proxy_headers": True, "forwarded_allow_ips": list(trusted_proxies)}


class Command(BaseCommand):
    help = "Serve Alliance with uvicorn (HTTP and websockets)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        uvicorn.run(
            "alliance.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            lifespan="on",  # the worker's start-up (alliance/asgi.py)
            **proxy_options(settings.TRUSTED_PROXIES),
            log_level="info",
            # What benchmarks/conversations.py measures: uvloop and the sans-I/O websockets
            # server. Chat frames are a few hundred bytes: per-message deflate costs CPU on
            # every frame and about 100 KiB of buffers per connection (docs/conversations.md).
            loop="uvloop",
            ws="websockets-sansio",
            ws_per_message_deflate=False,
            backlog=4096,  # many sockets reconnect at once after a restart
        )
