"""The JSON API (OpenAPI schema at /api/openapi.json, docs at /api/docs).

Every operation declares its access with an `ApiAccess` (roles and scope) or `PublicApi`
auth object; `tests/test_access_declarations.py` fails on one without.
"""

from __future__ import annotations

from django.conf import settings
from ninja import NinjaAPI, Schema

from alliance.api.throttles import AnonymousThrottle, UserThrottle
from alliance.privacy.access import ApiAccess, PublicApi

api = NinjaAPI(
    title="Alliance API",
    version="1",
    description="JSON API of the Alliance online-therapy platform.",
    urls_namespace="api",
    # Abuse limits per client address (anonymous) and per user; counted in the shared cache
    # (Redis in production) so every worker enforces the same budget.
    throttle=[
        AnonymousThrottle(settings.API_RATE_ANON),
        UserThrottle(settings.API_RATE_USER),
    ],
)


class HealthOut(Schema):
    status: str


class MeOut(Schema):
    id: int
    email: str
    name: str
    role: str
    timezone: str


class PartnershipSummaryOut(Schema):
    id: int
    client_id: int
    therapist_id: int
    status: str
    started_at: str
    ended_at: str | None
    end_reason: str


# Each part adds its own router in `alliance/<part>/api.py` (a ninja `Router` named
# `router`), mounted at /api/<part>/.
API_PARTS = ["care", "checkins", "schedule", "conversations", "goals", "journal"]


def mount_part_routers() -> None:
    import importlib
    import importlib.util

    for part in API_PARTS:
        if importlib.util.find_spec(f"alliance.{part}.api") is not None:
            module = importlib.import_module(f"alliance.{part}.api")
            api.add_router(f"/{part}/", module.router)


@api.get("/health", response=HealthOut, auth=PublicApi(), tags=["meta"])
def health(request):  # type: ignore[no-untyped-def]
    return {"status": "ok"}


@api.get(
    "/me",
    response=MeOut,
    auth=ApiAccess("client", "therapist", "admin", scope="self"),
    tags=["accounts"],
)
def me(request):  # type: ignore[no-untyped-def]
    user = request.auth
    return {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "timezone": user.timezone,
    }


@api.get(
    "/partnerships",
    response=list[PartnershipSummaryOut],
    auth=ApiAccess("client", "therapist", scope="own_partnerships"),
    tags=["care"],
)
def partnerships(request):  # type: ignore[no-untyped-def]
    from alliance.care.queries import visible_partnerships

    return [
        {
            "id": p.pk,
            "client_id": p.client_id,
            "therapist_id": p.therapist_id,
            "status": p.status,
            "started_at": p.started_at.isoformat(),
            "ended_at": p.ended_at.isoformat() if p.ended_at else None,
            "end_reason": p.end_reason,
        }
        for p in visible_partnerships(request.auth).order_by("-started_at")[:100]
    ]


mount_part_routers()
