"""Property-based API testing from the OpenAPI schema (schemathesis), as anonymous, as a
client and as a therapist, with real seeded ids in path parameters: no 5xx, and every
response conforms to the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.conftest import logged_in

CSRF = "a" * 32  # a valid CSRF secret: sent as both cookie and header


@pytest.fixture
def api_schema(db):
    # As Django's test client does: keep the test's connection (and its transaction) open
    # across the requests the WSGI app serves.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def callers(partnership, client_user, their_therapist):
    """Session cookies of a client and their therapist, plus the ids they own."""
    cookies = {}
    for name, user in (("client", client_user), ("therapist", their_therapist)):
        browser = logged_in(user)
        cookies[name] = {"sessionid": browser.cookies["sessionid"].value, "csrftoken": CSRF}
    return cookies, {"partnership_id": partnership.pk, "pk": partnership.pk, "id": partnership.pk}


def call(case, cookies):
    case.call_and_validate(
        cookies=cookies,
        headers={"X-CSRFToken": CSRF},
        checks=[not_a_server_error, response_schema_conformance],
    )


def test_api_as_each_role(api_schema, callers):
    cookies, seeded = callers
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 3

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def exercise(case):
            for name, value in seeded.items():
                if case.path_parameters and name in case.path_parameters:
                    case.path_parameters[name] = value
            call(case, {})
            for role in ("client", "therapist"):
                call(case, cookies[role])

        exercise()
