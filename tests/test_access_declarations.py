"""Every view and API route declares who may call it; a route without one fails here."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from alliance.api.api import api
from alliance.privacy.access import ApiAccess, PublicApi, declaration_of


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_every_page_route_has_an_access_declaration():
    missing = [
        route
        for route, pattern in walk(get_resolver().url_patterns)
        if not route.startswith("api/") and declaration_of(pattern.callback) is None
    ]
    assert missing == []


def test_every_api_operation_has_an_access_declaration():
    missing = []
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                auths = operation.auth_callbacks
                if not auths or not all(isinstance(a, ApiAccess | PublicApi) for a in auths):
                    missing.append((path, operation.methods))
    assert missing == []


def test_api_routes_are_all_in_the_resolver():
    routes = [route for route, _ in walk(get_resolver().url_patterns)]
    assert any(route.startswith("api/") for route in routes)


@pytest.mark.django_db
def test_a_view_without_declaration_is_refused(client, settings):
    from django.http import HttpResponse
    from django.urls import path

    def naked(request):
        return HttpResponse("should never be served")

    import types

    module = types.ModuleType("naked_urls")
    import alliance.urls

    module.urlpatterns = [path("naked/", naked), *alliance.urls.urlpatterns]
    import sys

    sys.modules["naked_urls"] = module
    settings.ROOT_URLCONF = "naked_urls"
    response = client.get("/naked/")
    assert response.status_code == 403
