"""Demo goals, tasks and working agreements (see alliance/core/demo.py).

Detail (several goals, ratings, tasks, working agreements) is given to the demo client's
partnership and a sample of the other active ones; every encrypted text costs a key lookup
and a Fernet operation, so the sample keeps the whole seed well inside its time budget. The
other active partnerships get one goal each. About one goal in seven is not yet agreed by
both sides, so the "goals never co-agreed" signal has something to show.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, overload

from alliance.care.models import Partnership
from alliance.core.demo import DemoContext
from alliance.goals.models import Goal, GoalEvent, GoalRating, Side, Task, WorkingAgreement
from alliance.privacy import keys
from alliance.privacy.fields import PREFIX, Ciphertext

GOALS = [
    "Sleep before midnight on weeknights",
    "Take the train to work again",
    "Feel less on edge in the mornings",
    "Say no at work without feeling guilty",
    "Get back in touch with two old friends",
    "Notice panic early and ride it out",
    "Spend less time going over conversations in my head",
    "Go for a walk three times a week",
    "Talk to my partner about how I feel",
    "Be kinder to myself after a bad day",
]
TASKS = [
    "Write down three worries and when they came",
    "A ten-minute walk after lunch",
    "Practise slow breathing before bed",
    "Notice one thing that went well each day",
    "Send one message to a friend",
    "Try the worry time exercise twice",
    "Keep a sleep diary for a week",
    "Ride two stops on the train",
]
REFLECTIONS = [
    "Harder than I expected, but I did it.",
    "It helped more on some days than others.",
    "I forgot at first, then set a reminder.",
    "I felt silly at first, then calmer.",
]

# Detail for this many partnerships besides the demo client's (scaled with the seed).
SAMPLE = 200
# The share of goals agreed by both sides.
AGREED_SHARE = 0.85


class Encrypter:
    """Encrypts demo text with each client's data key, looking the key up once per client
    instead of once per field (the field's own pre_save does one lookup per value). The
    values are the field's own format and pass through its pre_save unchanged."""

    def __init__(self) -> None:
        self._keys: dict[int, tuple[int, Any]] = {}

    @overload
    def __call__(self, owner_id: int, text: str) -> str: ...
    @overload
    def __call__(self, owner_id: int, text: None) -> None: ...
    def __call__(self, owner_id: int, text: str | None) -> str | None:
        if text is None:
            return None
        if owner_id not in self._keys:
            self._keys[owner_id] = keys.key_for_owner(owner_id)
        key_id, fernet = self._keys[owner_id]
        token = fernet.encrypt(text.encode("utf-8")).decode("ascii")
        return Ciphertext(f"{PREFIX}{key_id}:{token}")


def sample_partnerships(ctx: DemoContext) -> list[Partnership]:
    """The demo client's active partnership first, then a fixed sample of other active ones
    (the journal step reuses the same list)."""
    if "goal_partnerships" in ctx.shared:
        return list(ctx.shared["goal_partnerships"])
    demo_client = ctx.shared["clients"][0]
    active = [p for p in ctx.shared["partnerships"] if p.status == Partnership.Status.ACTIVE]
    first = [p for p in active if p.client_id == demo_client.pk]
    others = [p for p in active if p.client_id != demo_client.pk]
    chosen = first + others[: ctx.count(SAMPLE)]
    ctx.shared["goal_partnerships"] = chosen
    return chosen


def run(ctx: DemoContext) -> None:
    partnerships = sample_partnerships(ctx)
    demo_pk = partnerships[0].pk if partnerships else None
    enc = ctx.shared.setdefault("encrypter", Encrypter())
    goals = _sampled_goals(ctx, partnerships, demo_pk, enc)
    goals += _one_goal_each(ctx, {p.pk for p in partnerships}, enc)
    Goal.objects.bulk_create(goals, batch_size=500)

    events, ratings = _goal_history(ctx, goals)
    GoalEvent.objects.bulk_create(events, batch_size=1000)
    GoalRating.objects.bulk_create(ratings, batch_size=1000)

    goals_by_partnership: dict[int, list[Goal]] = {}
    for goal in goals:
        goals_by_partnership.setdefault(goal.partnership_id, []).append(goal)
    ctx.shared["goals_by_partnership"] = goals_by_partnership

    tasks = _tasks(ctx, partnerships, demo_pk, goals_by_partnership, enc)
    Task.objects.bulk_create(tasks, batch_size=500)
    agreements = _working_agreements(ctx, partnerships, demo_pk, enc)
    WorkingAgreement.objects.bulk_create(agreements, batch_size=500)


def _sampled_goals(
    ctx: DemoContext, partnerships: list[Partnership], demo_pk: int | None, enc: Encrypter
) -> list[Goal]:
    """Up to three goals for each sampled partnership (three for the demo client's)."""
    rng = ctx.rng
    now = ctx.now
    goals: list[Goal] = []
    for p in partnerships:
        demo = p.pk == demo_pk
        n = 3 if demo else rng.choice([0, 1, 1, 2, 2, 3])
        for title in rng.sample(GOALS, n):
            side = rng.choice([Side.CLIENT, Side.THERAPIST])
            created = min(now, p.started_at + dt.timedelta(days=rng.randint(0, 14)))
            agreed = demo or rng.random() < AGREED_SHARE
            other_at = created + dt.timedelta(days=rng.randint(0, 7)) if agreed else None
            if other_at is not None and other_at > now:
                other_at = now
            goal = Goal(
                partnership=p,
                title=enc(p.client_id, title),
                proposed_by_id=p.client_id if side == Side.CLIENT else p.therapist_id,
                proposed_by_side=side,
                created_at=created,
                agreed_by_client_at=created if side == Side.CLIENT else other_at,
                agreed_by_therapist_at=created if side == Side.THERAPIST else other_at,
            )
            goal.demo_title = title  # type: ignore[attr-defined]  # plain words for the journal step
            if agreed and not demo and rng.random() < 0.1:
                goal.status = Goal.Status.ACHIEVED
                goal.closed_at = now - dt.timedelta(days=rng.randint(1, 10))
            goals.append(goal)
    return goals


def _one_goal_each(ctx: DemoContext, sampled: set[int], enc: Encrypter) -> list[Goal]:
    """One goal for each active partnership outside the sample."""
    rng = ctx.rng
    now = ctx.now
    goals: list[Goal] = []
    # The other active partnerships get one goal each, agreed by both sides in most: a
    # partnership with none agreed after a few sessions is an alert (collaboration), which
    # in a real practice marks the exception, not the rule.
    for p in ctx.shared["partnerships"]:
        if p.status != Partnership.Status.ACTIVE or p.pk in sampled:
            continue
        created = min(now, p.started_at + dt.timedelta(days=rng.randint(0, 14)))
        agreed_at = min(now, created + dt.timedelta(days=rng.randint(0, 7)))
        if rng.random() >= AGREED_SHARE:
            agreed_at = None
        title = rng.choice(GOALS)
        goal = Goal(
            partnership=p,
            title=enc(p.client_id, title),
            proposed_by_id=p.client_id,
            proposed_by_side=Side.CLIENT,
            created_at=created,
            agreed_by_client_at=created,
            agreed_by_therapist_at=agreed_at,
        )
        goal.demo_title = title  # type: ignore[attr-defined]
        goals.append(goal)
    return goals


def _goal_history(ctx: DemoContext, goals: list[Goal]) -> tuple[list[GoalEvent], list[GoalRating]]:
    """Each goal's events (proposed, agreed, achieved) and the ratings of the agreed ones."""
    rng = ctx.rng
    now = ctx.now
    events: list[GoalEvent] = []
    ratings: list[GoalRating] = []
    for goal in goals:
        p = goal.partnership
        events.append(
            GoalEvent(
                goal=goal,
                actor_id=goal.proposed_by_id,
                actor_side=goal.proposed_by_side,
                kind=GoalEvent.Kind.PROPOSED,
                at=goal.created_at,
            )
        )
        if not goal.is_agreed:
            continue
        other = Side.THERAPIST if goal.proposed_by_side == Side.CLIENT else Side.CLIENT
        agreed_at = goal.agreed_at
        events.append(
            GoalEvent(
                goal=goal,
                actor_id=p.therapist_id if other == Side.THERAPIST else p.client_id,
                actor_side=other,
                kind=GoalEvent.Kind.AGREED,
                at=agreed_at,
            )
        )
        # Roughly fortnightly ratings drifting upwards from "somewhat less than hoped".
        level = -1.0
        at = agreed_at + dt.timedelta(days=14)
        while at < (goal.closed_at or now) and len(ratings) < 4000:
            level = max(-2.0, min(2.0, level + rng.choice([-0.5, 0, 0.5, 0.5, 1])))
            side = rng.choice([Side.CLIENT, Side.THERAPIST])
            ratings.append(
                GoalRating(
                    goal=goal,
                    rated_by_id=p.client_id if side == Side.CLIENT else p.therapist_id,
                    rated_by_side=side,
                    value=round(level),
                    rated_at=at,
                )
            )
            at += dt.timedelta(days=rng.randint(10, 21))
        if goal.closed_at is not None:
            events.append(
                GoalEvent(
                    goal=goal,
                    actor_id=p.therapist_id,
                    actor_side=Side.THERAPIST,
                    kind=GoalEvent.Kind.ACHIEVED,
                    at=goal.closed_at,
                )
            )
    return events, ratings


def _tasks(
    ctx: DemoContext,
    partnerships: list[Partnership],
    demo_pk: int | None,
    goals_by_partnership: dict[int, list[Goal]],
    enc: Encrypter,
) -> list[Task]:
    """Weekly tasks of the sampled partnerships, most of the past ones done or not done."""
    rng = ctx.rng
    now = ctx.now
    tasks: list[Task] = []
    today = now.date()
    for p in partnerships:
        demo = p.pk == demo_pk
        for i in range(4 if demo else rng.randint(0, 4)):
            created = min(now, p.started_at + dt.timedelta(days=7 * (i + 1)))
            due = (created + dt.timedelta(days=7)).date()
            own_goals = [g for g in goals_by_partnership.get(p.pk, []) if g.is_agreed]
            task = Task(
                partnership=p,
                goal=rng.choice(own_goals) if own_goals and rng.random() < 0.6 else None,
                title=enc(p.client_id, rng.choice(TASKS)),
                proposed_by_id=p.therapist_id,
                proposed_by_side=Side.THERAPIST,
                created_at=created,
                agreed_by_therapist_at=created,
                agreed_by_client_at=created + dt.timedelta(hours=rng.randint(1, 48)),
                due_on=due,
            )
            if due < today and rng.random() < 0.85:
                done = rng.random() < 0.75
                task.status = Task.Status.DONE if done else Task.Status.NOT_DONE
                task.resolved_at = dt.datetime.combine(due, dt.time(18), tzinfo=dt.UTC)
                if done and rng.random() < 0.3:
                    task.reflection = enc(p.client_id, rng.choice(REFLECTIONS))
            tasks.append(task)
    return tasks


def _working_agreements(
    ctx: DemoContext, partnerships: list[Partnership], demo_pk: int | None, enc: Encrypter
) -> list[WorkingAgreement]:
    """A working agreement for the demo client's partnership and about a third of the rest."""
    rng = ctx.rng
    now = ctx.now
    agreements: list[WorkingAgreement] = []
    for p in partnerships:
        if p.pk != demo_pk and rng.random() > 0.3:
            continue
        c = p.client_id
        agreements.append(
            WorkingAgreement(
                partnership=p,
                author_id=p.client_id,
                author_side=Side.CLIENT,
                connected=enc(c, "When you remember what I told you the week before."),
                distance=enc(c, "Being given advice before I have finished explaining."),
                communication=enc(c, "A short message between sessions is fine; no calls."),
                session_structure=enc(c, "Start with how my week went, end with one thing to try."),
                feedback=enc(c, "Straight, but kind."),
                therapist_response=enc(
                    c, "Thank you. I will check I have understood before suggesting anything."
                )
                if rng.random() < 0.7 or p.pk == demo_pk
                else None,
                created_at=min(now, p.started_at + dt.timedelta(days=3)),
            )
        )
    return agreements


# When the demo runs this part (core/demo.py): after the parts whose data it uses.
STEPS = [(70, run)]
