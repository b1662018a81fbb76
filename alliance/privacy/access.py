"""Access declarations: every view and API route says who may call it.

A view without a declaration is refused (and fails `tests/test_access_declarations.py`), so
nothing is reachable by accident. The declaration is checked centrally by
`AccessMiddleware`; object-level scoping ("only the caller's own partnerships") is done by
the scoped queries in `alliance.care.queries`, named by `scope` here so a reader and the
access-matrix test know what to expect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from ninja.errors import HttpError
from ninja.security import SessionAuth

ROLES = frozenset({"client", "therapist", "admin"})
PUBLIC = "public"

# Scopes: "public" (no account), "self" (the caller's own account), "own_partnerships"
# (clinical data of partnerships the caller belongs to), "practice" (practice-wide admin
# lists, never clinical content).
SCOPES = frozenset({"public", "self", "own_partnerships", "practice"})


@dataclass(frozen=True)
class Access:
    roles: frozenset[str]
    scope: str
    # Pages a therapist or admin may see before their second factor (the 2FA set-up itself).
    before_2fa: bool = False
    # Pages a client may see before consent, date of birth and emergency contact are given.
    before_onboarding: bool = False

    @property
    def public(self) -> bool:
        return PUBLIC in self.roles


def access(
    *roles: str, scope: str, before_2fa: bool = False, before_onboarding: bool = False
) -> Callable[[Any], Any]:
    """Declare who may call a view: `@access("client", "therapist", scope="own_partnerships")`."""
    unknown = set(roles) - ROLES - {PUBLIC}
    if unknown or not roles or scope not in SCOPES:
        raise ValueError(f"bad access declaration: roles={roles} scope={scope}")
    declaration = Access(frozenset(roles), scope, before_2fa, before_onboarding)

    def mark(view: Any) -> Any:
        view.alliance_access = declaration
        return view

    return mark


def declaration_of(view: Any) -> Access | None:
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "cls", None)):
        found = getattr(candidate, "alliance_access", None)
        if isinstance(found, Access):
            return found
    return None


def needs_second_factor(user: Any) -> bool:
    return getattr(user, "role", None) in {"therapist", "admin"} and not user.is_verified()


def needs_onboarding(user: Any) -> bool:
    return getattr(user, "role", None) == "client" and not user.onboarding_complete


class AccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # What a logged-in person is shown is never kept by the browser's or a proxy's cache:
        # a shared or seized phone must not hold a client's messages or notes (the service
        # worker keeps only the offline page; docs/security.md). A view that sets its own
        # Cache-Control (the service worker, static files) keeps it.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store, private"
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, args: Iterable[Any], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None  # ninja routes carry `ApiAccess` auth objects, checked by ninja
        declaration = declaration_of(view_func)
        if declaration is None:
            raise PermissionDenied("this page has no access declaration")
        if declaration.public:
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request)
        if not declaration.before_2fa and needs_second_factor(user):
            return redirect("accounts:two_factor")
        if user.role not in declaration.roles:
            raise PermissionDenied("your role cannot open this page")
        if not declaration.before_onboarding and needs_onboarding(user):
            return redirect("accounts:onboarding")
        return None


def redirect_to_login(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth.views import redirect_to_login as django_redirect

    return django_redirect(request.get_full_path())


class ApiAccess(SessionAuth):
    """Session authentication for the JSON API that also checks the caller's role.

    Every ninja operation takes one of these as `auth=`; `PublicApi` marks open routes.
    """

    def __init__(self, *roles: str, scope: str) -> None:
        super().__init__(csrf=True)
        if set(roles) - ROLES or scope not in SCOPES:
            raise ValueError(f"bad API access declaration: roles={roles} scope={scope}")
        self.declaration = Access(frozenset(roles), scope)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if not user:
            return None
        if needs_second_factor(user) or user.role not in self.declaration.roles:
            raise HttpError(403, "your role cannot use this endpoint")
        if needs_onboarding(user):
            raise HttpError(403, "finish onboarding (consent and profile) first")
        return user


class PublicApi:
    """The declaration for an API route open to anyone."""

    declaration = Access(frozenset({PUBLIC}), "public")

    def __call__(self, request: HttpRequest) -> Any:
        return True
