"""Demo journal entries and notebook assignments (see alliance/core/demo.py).

Uses the same sample of partnerships as the goals step. Most entries stay private; about a
third are shared, as a client would choose. No demo entry carries crisis language: safety
alerts in the demo come from the check-ins step.
"""

from __future__ import annotations

import datetime as dt

from alliance.care.models import Partnership
from alliance.core.demo import DemoContext
from alliance.goals.demo import Encrypter, sample_partnerships
from alliance.journal.models import JournalEntry, Notebook, NotebookAssignment, NotebookPrompt
from alliance.journal.prompts import general_prompts

BODIES = [
    "A better day than I expected. I went out for lunch and it was fine.",
    "Woke up tired again. Lay there going over the meeting from yesterday.",
    "I noticed I tense my shoulders whenever my phone buzzes.",
    "Called my sister. We talked for an hour and I felt lighter after.",
    "Hard morning. I did the breathing and it took the edge off, a little.",
    "I said no to an extra shift and nothing terrible happened.",
    "Felt flat most of the day. Watched TV and went to bed early.",
    "Walked to the station and back. Heart racing at first, then it settled.",
]
BRING = [
    "How to handle Sunday evenings",
    "The argument with my manager",
    "Whether the sleep diary is helping",
    "Why I keep cancelling plans",
]


def run(ctx: DemoContext) -> None:
    partnerships = sample_partnerships(ctx)
    if not partnerships:
        return
    demo_pk = partnerships[0].pk
    enc = ctx.shared.setdefault("encrypter", Encrypter())
    assignments = _notebook_assignments(ctx, partnerships, demo_pk)
    entries = _entries(ctx, partnerships, demo_pk, assignments, enc)
    JournalEntry.objects.bulk_create(entries, batch_size=500)


def _notebook_assignments(
    ctx: DemoContext, partnerships: list[Partnership], demo_pk: int
) -> list[NotebookAssignment]:
    """The demo therapist's own notebook, and notebooks assigned to the demo client's
    partnership and about one in eight of the rest (stored)."""
    rng = ctx.rng
    now = ctx.now
    notebooks = list(Notebook.objects.filter(author__isnull=True).order_by("id"))
    demo_therapist_id = partnerships[0].therapist_id
    own = Notebook.objects.create(
        title="Three evenings with anger",
        description="Short prompts for noticing anger without judging it.",
        author_id=demo_therapist_id,
    )
    NotebookPrompt.objects.bulk_create(
        NotebookPrompt(notebook=own, position=i, text=text)
        for i, text in enumerate(
            [
                "When did you first notice anger today, and where in your body?",
                "What did you do next? What would you have liked to do?",
                "What helped it pass, even a little?",
            ],
            1,
        )
    )
    assignments: list[NotebookAssignment] = []
    for p in partnerships:
        if p.pk != demo_pk and rng.random() > 0.12:
            continue
        assignments.append(
            NotebookAssignment(
                notebook=rng.choice(notebooks) if notebooks else own,
                partnership=p,
                assigned_by_id=p.therapist_id,
                assigned_at=min(now, p.started_at + dt.timedelta(days=rng.randint(3, 20))),
            )
        )
    NotebookAssignment.objects.bulk_create(assignments, batch_size=500)
    return assignments


def _entries(
    ctx: DemoContext,
    partnerships: list[Partnership],
    demo_pk: int,
    assignments: list[NotebookAssignment],
    enc: Encrypter,
) -> list[JournalEntry]:
    """Entries of the sampled partnerships, each written to a goal, a general prompt, a
    notebook's first prompt, or freely."""
    rng = ctx.rng
    now = ctx.now
    goals_by_partnership = ctx.shared.get("goals_by_partnership", {})
    prompts = general_prompts()
    first_prompts: dict[int, NotebookPrompt] = {}
    for row in NotebookPrompt.objects.filter(position=1):
        first_prompts[row.notebook_id] = row
    by_partnership = {a.partnership_id: a for a in assignments}

    entries: list[JournalEntry] = []
    for p in partnerships:
        demo = p.pk == demo_pk
        span_days = max(1, (now - p.started_at).days)
        goals = [g for g in goals_by_partnership.get(p.pk, []) if g.is_agreed and g.is_active]
        for _ in range(8 if demo else rng.randint(0, 5)):
            created = p.started_at + dt.timedelta(
                days=rng.randint(0, span_days), hours=rng.randint(7, 22)
            )
            created = min(created, now)
            shared = rng.random() < (0.5 if demo else 0.33)
            entry = JournalEntry(
                client_id=p.client_id,
                partnership=p,
                body=enc(p.client_id, rng.choice(BODIES)),
                mood=rng.randint(2, 8) if rng.random() < 0.8 else None,
                shared_at=created if shared else None,
                created_at=created,
            )
            roll = rng.random()
            prompt_text = None
            if goals and roll < 0.25:
                goal = rng.choice(goals)
                entry.goal = goal
                prompt_text = f"A step, however small, towards my goal: {goal.demo_title}"
            elif roll < 0.5:
                general = rng.choice(prompts)
                prompt_text = general.text
                if general.key == "bring":
                    entry.bring_to_session = enc(p.client_id, rng.choice(BRING))
            elif roll < 0.6 and p.pk in by_partnership:
                assignment = by_partnership[p.pk]
                first = first_prompts.get(assignment.notebook_id)
                if first is not None:
                    entry.assignment = assignment
                    entry.notebook_prompt = first
                    prompt_text = first.text
            entry.prompt = enc(p.client_id, prompt_text)
            entries.append(entry)
    return entries


# When the demo runs this part (core/demo.py): after the parts whose data it uses.
STEPS = [(80, run)]
