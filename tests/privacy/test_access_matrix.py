"""Every URL and API route, for every kind of caller, answers as its access declaration says.

Routes come from the URL resolver and the ninja routers; a route without a declaration fails.
Path parameters are filled with the seeded partnership's ids, so a scoped route is checked
against a real record of the client and their therapist.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from alliance.api.api import api
from alliance.privacy.access import ApiAccess, PublicApi, declaration_of
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

CALLERS = ["anonymous", "client", "their_therapist", "other_therapist", "on_call", "admin"]
ROLE_OF = {
    "client": "client",
    "their_therapist": "therapist",
    "other_therapist": "therapist",
    "on_call": "therapist",
    "admin": "admin",
}
# Routes that act on GET by design (log-out is POST-only; feeds authenticate by secret).
NOT_PROBED = re.compile(r"log-out|/verify/<|/reset/<|feed")


def page_routes():
    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield "/" + prefix + str(entry.pattern), entry.callback

    return [
        (route, view)
        for route, view in walk(get_resolver().url_patterns)
        if not route.startswith("/api/")
    ]


def api_routes():
    routes = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                full = (
                    "/api/"
                    + (prefix.strip("/") + "/" if prefix.strip("/") else "")
                    + path.lstrip("/")
                )
                routes.append((re.sub(r"/+", "/", full), operation))
    return routes


def fill(route: str, ids: dict[str, int]) -> str:
    def value(match: re.Match[str]) -> str:
        converter, _, name = match.group(1).rpartition(":")
        if name in ids:
            return str(ids[name])
        return (
            str(ids["pk"]) if converter in {"int", ""} and ("id" in name or name == "pk") else "x"
        )

    route = re.sub(r"<([^>]+)>", value, route)
    return re.sub(r"\{([^}]+)\}", lambda m: str(ids.get(m.group(1), ids["pk"])), route)


CLINICAL_MARKER = "Clinical-marker-7Q: nightmares since the accident"


def leaks(caller: str, what: str, response) -> list[str]:
    """Callers outside the partnership never see its clinical text; an unrelated therapist
    never even sees the client's name."""
    body = response.content.decode(errors="replace")
    found = []
    if caller in {"other_therapist", "on_call", "admin"} and "Clinical-marker-7Q" in body:
        found.append(f"{caller} {what}: shows the client's clinical text")
    if caller == "other_therapist" and ("Casey" in body or "client@example.org" in body):
        found.append(f"{caller} {what}: shows another therapist's client")
    return found


@pytest.fixture
def browsers(
    partnership, client_user, their_therapist, other_therapist, on_call_therapist, admin_user
):
    from django.test import Client

    users = {
        "client": client_user,
        "their_therapist": their_therapist,
        "other_therapist": other_therapist,
        "on_call": on_call_therapist,
        "admin": admin_user,
    }
    from alliance.care.services import add_case_note

    add_case_note(partnership=partnership, author=their_therapist, text=CLINICAL_MARKER)
    made = {name: logged_in(user) for name, user in users.items()}
    made["anonymous"] = Client()
    return made


def test_every_route_is_declared():
    missing = [route for route, view in page_routes() if declaration_of(view) is None]
    missing += [
        route
        for route, op in api_routes()
        if not op.auth_callbacks
        or not all(isinstance(a, ApiAccess | PublicApi) for a in op.auth_callbacks)
    ]
    assert missing == []


def test_pages_answer_each_caller_as_declared(browsers, partnership):
    ids = {"pk": partnership.pk, "partnership_id": partnership.pk}
    wrong = []
    for route, view in page_routes():
        if NOT_PROBED.search(route):
            continue
        declaration = declaration_of(view)
        url = fill(route, ids)
        for caller in CALLERS:
            status = browsers[caller].get(url).status_code
            if status >= 500:
                wrong.append(f"{caller} GET {url}: {status}")
            elif declaration.public:
                continue
            elif caller == "anonymous":
                if status != 302:
                    wrong.append(f"anonymous GET {url}: {status}, expected a redirect to log in")
            elif ROLE_OF[caller] not in declaration.roles:
                if status != 403:
                    wrong.append(
                        f"{caller} GET {url}: {status}, "
                        f"expected 403 (roles {sorted(declaration.roles)})"
                    )
            else:
                wrong.extend(leaks(caller, f"GET {url}", browsers[caller].get(url)))
    assert wrong == []


def test_api_answers_each_caller_as_declared(browsers, partnership):
    ids = {"pk": partnership.pk, "partnership_id": partnership.pk}
    wrong = []
    for route, operation in api_routes():
        if "GET" not in operation.methods:
            continue
        declaration = operation.auth_callbacks[0].declaration
        url = fill(route, ids)
        for caller in CALLERS:
            status = browsers[caller].get(url).status_code
            if status >= 500:
                wrong.append(f"{caller} GET {url}: {status}")
            elif declaration.public:
                continue
            elif caller == "anonymous":
                if status != 401:
                    wrong.append(f"anonymous GET {url}: {status}, expected 401")
            elif ROLE_OF[caller] not in declaration.roles:
                if status != 403:
                    wrong.append(f"{caller} GET {url}: {status}, expected 403")
            else:
                wrong.extend(leaks(caller, f"GET {url}", browsers[caller].get(url)))
    assert wrong == []


def test_state_changing_routes_refuse_anonymous_posts(browsers, partnership):
    ids = {"pk": partnership.pk, "partnership_id": partnership.pk}
    wrong = []
    for route, view in page_routes():
        declaration = declaration_of(view)
        if declaration.public or NOT_PROBED.search(route):
            continue
        status = browsers["anonymous"].post(fill(route, ids), {}).status_code
        if status not in {302, 403, 405}:
            wrong.append(f"anonymous POST {route}: {status}")
    assert wrong == []
