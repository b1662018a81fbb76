"""The JSON API (OpenAPI schema at /api/openapi.json, docs at /api/docs).

Every operation declares its access with an `ApiAccess` (roles and scope) or `PublicApi`
auth object; `tests/test_access_declarations.py` fails on one without. Every operation
documents each status it can answer (`alliance.api.errors.responses`), and
`tests/api/test_schemathesis.py` holds the API to its schema.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import ValidationError

from alliance.api.errors import INPUT_RULE, responses
from alliance.api.throttles import AnonymousThrottle, UserThrottle
from alliance.core.errors import DomainError
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


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A request that breaks only documented input rules (`alliance.api.inputs`) gets a 400
    with the first rule's message, as the services word it; any other invalid request gets
    ninja's 422 listing each invalid part."""
    if exc.errors and all(error.get("type") == INPUT_RULE for error in exc.errors):
        return api.create_response(request, {"detail": exc.errors[0]["msg"]}, status=400)
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(DomainError)
def refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """Every part's services refuse with a `DomainError`; the API answers each the same way,
    with the class's status and the service's own sentence (see `alliance.core.errors`)."""
    return api.create_response(request, {"detail": str(exc)}, status=exc.status)


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
# `router`), mounted at /api/<part>/; found among INSTALLED_APPS (core/parts.py).


def mount_part_routers() -> None:
    from alliance.core.parts import part_label, part_modules

    for module in part_modules("api"):
        if module.__name__ != __name__:  # this module is the api app's own
            api.add_router(f"/{part_label(module)}/", module.router)


@api.get(
    "/health",
    response=responses({200: HealthOut}, signed_in=False, inputs=False),
    auth=PublicApi(),
    tags=["meta"],
)
def health(request):  # type: ignore[no-untyped-def]
    return {"status": "ok"}


@api.get(
    "/me",
    response=responses({200: MeOut}, inputs=False),
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
    response=responses({200: list[PartnershipSummaryOut]}, inputs=False),
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
