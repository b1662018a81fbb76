"""Demo treatment plans: the demo client's plan, agreed and signed; a second partnership's,
which the client disagreed with; a third still waiting for the client. Each takes the
partnership's co-agreed goals (the goals step runs first)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from alliance.care.models import Partnership
from alliance.core.demo import DemoContext
from alliance.goals.demo import sample_partnerships
from alliance.records import demo_documents, plan_signing, plans
from alliance.records.documents import sha256
from alliance.records.plan_models import PlanVersion

PLANS = (
    (
        ("F41.1", "F32.1"),
        "Worry most days for a year, trouble sleeping, low mood since a change of job.",
        "Cognitive behavioural therapy: worry diary, cognitive restructuring, behavioural "
        "activation; sleep hygiene.",
    ),
    (
        ("F43.10",),
        "Intrusive memories and avoidance after a road accident last spring.",
        "Trauma-focused CBT with graded exposure, once the client feels ready.",
    ),
    (
        ("F33.1",),
        "Recurrent low mood, withdrawing from friends.",
        "Behavioural activation and interpersonal work.",
    ),
)
OBJECTIVES = (
    "Rate it weekly and reach 2 points above the start",
    "Practise the agreed skill on 4 days of 7",
)


def _draft(ctx: DemoContext, partnership: Partnership, row: int) -> plans.Draft:
    codes, problems, interventions = PLANS[row]
    today = timezone.localdate()
    goals = []
    for goal in plans.agreed_goals(partnership)[:2]:
        target = today + dt.timedelta(days=ctx.rng.randint(30, 80))
        goals.append(
            plans.GoalEntry(goal.pk, tuple(plans.Objective(t, target) for t in OBJECTIVES))
        )
    return plans.Draft(
        diagnoses=codes,
        presenting_problems=problems,
        goals=tuple(goals),
        interventions=interventions,
        frequency=PlanVersion.Frequency.WEEKLY if row != 1 else PlanVersion.Frequency.FORTNIGHTLY,
        # The second plan's review is within a week, so the review list has something.
        review_on=today + dt.timedelta(days=5 if row == 1 else 90),
    )


def run(ctx: DemoContext) -> None:
    for row, partnership in enumerate(sample_partnerships(ctx)[: len(PLANS)]):
        version = plans.write_plan(
            partnership=partnership, by=partnership.therapist, draft=_draft(ctx, partnership, row)
        )
        if row == 2:
            continue  # waiting for the client
        version = plans.versions_of(partnership).get(pk=version.pk)
        plan_signing.respond(
            client=partnership.client,
            version=version,
            agree=row == 0,
            shown_sha256=sha256(plan_signing.shown_text(version)),
            typed_name=partnership.client.display_name,
            agreed_statement=True,
            comment=""
            if row == 0
            else "I would rather start with the sleep problems than with the accident.",
        )


# The documents are signed after every other step, so the demo's own bookings are not held.
STEPS = [(85, run), (86, demo_documents.run)]
