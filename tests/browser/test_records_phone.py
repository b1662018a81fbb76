"""The records pages on a 390 x 844 phone: the client's documents, signing page and treatment
plan, the practice's documents and releases, and the therapist's note and plan pages.
Nothing scrolls sideways, touch targets are big enough, and axe finds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.conftest import assert_accessible
from tests.browser.test_call import open_as
from tests.browser.test_mobile import MEASURE, PHONE, TOO_SMALL
from tests.conftest import make_appointment

pytestmark = pytest.mark.browser


def test_the_records_pages_fit_a_phone(
    asgi_server_factory, new_page, partnership, client_user, their_therapist, admin_user
):
    from alliance.goals.models import Goal
    from alliance.records import documents, plans, signing

    consent = documents.create_document(
        kind="informed_consent",
        title="Informed consent",
        body="We meet by video.\n\n" + "A long paragraph of the practice's terms. " * 30,
        required_before_booking=True,
        by=admin_user,
    )
    release = documents.create_document(
        kind="release_of_information",
        title="Release of information",
        body="Send my record to the person named.",
        required_before_booking=False,
        by=admin_user,
    )
    version = documents.current_version(release)
    signing.sign(
        client=client_user,
        version=version,
        typed_name="Casey",
        agreed=True,
        electronic=True,
        shown_sha256=documents.sha256(signing.shown_text(version)),
        release=signing.Release(
            "Northside Family Clinic, records@northside.example",
            "Continuing care",
            timezone.localdate() + dt.timedelta(days=30),
        ),
    )
    held = make_appointment(partnership, timezone.now() - dt.timedelta(days=1), status="attended")
    goal = Goal.objects.create(
        partnership=partnership,
        title="Sleep through the night",
        proposed_by=client_user,
        proposed_by_side="client",
        agreed_by_client_at=timezone.now(),
        agreed_by_therapist_at=timezone.now(),
        created_at=timezone.now(),
    )
    plans.write_plan(
        partnership=partnership,
        by=their_therapist,
        draft=plans.Draft(
            diagnoses=("F51.01", "F41.1"),
            presenting_problems="Waking at 3 a.m. most nights, worry about work.",
            goals=(
                plans.GoalEntry(
                    goal.pk,
                    (
                        plans.Objective(
                            "Six hours on 5 nights of 7",
                            timezone.localdate() + dt.timedelta(days=60),
                        ),
                    ),
                ),
            ),
            interventions="CBT for insomnia; worry time.",
            frequency="weekly",
            review_on=timezone.localdate() + dt.timedelta(days=90),
        ),
    )
    journeys = {
        client_user: [
            "/records/documents/",
            f"/records/documents/{documents.current_version(consent).pk}/sign/",
            f"/records/documents/{version.pk}/sign/",
            f"/records/partnerships/{partnership.pk}/plan/",
        ],
        their_therapist: [
            f"/schedule/appointments/{held.pk}/note/?template=birp",
            f"/records/partnerships/{partnership.pk}/plan/",
            f"/records/partnerships/{partnership.pk}/plan/write/",
            "/records/plans/due/",
        ],
        admin_user: [
            "/records/practice/documents/",
            f"/records/practice/documents/{consent.pk}/",
            "/records/practice/releases/",
        ],
    }
    base = asgi_server_factory().url
    problems: dict[str, object] = {}
    for user, paths in journeys.items():
        page = open_as(lambda: new_page(viewport=PHONE), base, user)
        for path in paths:
            page.goto(f"{base}{path}")
            assert page.url.endswith(path), f"{path} redirected to {page.url}"
            sizes = page.evaluate(MEASURE)
            found = [f"too small to touch: {e}" for e in page.evaluate(TOO_SMALL)]
            if sizes["scrollWidth"] > PHONE["width"]:
                found.append(f"scrolls sideways: {sizes['scrollWidth']} px")
            if found:
                problems[path] = found
            assert_accessible(page)
    assert problems == {}
