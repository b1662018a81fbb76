"""Demo message histories: a few thousand messages across the partnerships, with
therapist replies after realistic delays (minutes to a day), a few unread, a few weeks
where clients write less (the fading-messages signal has something to find)."""

from __future__ import annotations

import datetime as dt
import uuid

from alliance.care.models import Partnership
from alliance.conversations.models import Message, ReadState
from alliance.core.demo import DemoContext

CLIENT_LINES = [
    "Hi, I wanted to check something before our next appointment.",
    "This week was harder than last week, especially the mornings.",
    "I tried the breathing exercise before the meeting and it helped a bit.",
    "Can we talk about my sister next time? Something happened at the weekend.",
    "I didn't manage the walk every day, but I did it three times.",
    "Thanks for yesterday. I kept thinking about what you said about small steps.",
    "I'm running late today, sorry, I'll be there in ten minutes.",
    "Is it okay if we move to a video call instead of audio this week?",
    "I wrote the thought record you suggested, it was hard to be honest.",
    "Sleep is a bit better. Still waking up around four though.",
    "I'm not sure the homework is working for me, can we look at it again?",
    "Work has been really busy, I haven't had time for much else.",
]
THERAPIST_LINES = [
    "Thanks for letting me know. Let's put it first on our list next time.",
    "That sounds like a really hard week. What helped, even a little?",
    "Three times is real progress. What made those days possible?",
    "Of course, we can switch to video. The link is on your appointment page.",
    "I'm glad you wrote that down. We'll go through it together.",
    "No problem at all, see you in a few minutes.",
    "Thank you for telling me the homework isn't fitting. We'll adjust it together.",
    "Waking early is common when things are stressful. Let's look at your evenings.",
    "It sounds like work is taking a lot. How are you looking after yourself?",
    "Good to hear from you. I'm here if anything comes up before Thursday.",
]

MAX_MESSAGES = 3000


def run(ctx: DemoContext) -> None:
    rng = ctx.rng
    partnerships: list[Partnership] = ctx.shared.get("partnerships", [])
    if not partnerships:
        return
    per = max(4, min(40, ctx.count(MAX_MESSAGES) // len(partnerships)))
    rows: list[Message] = []
    for index, p in enumerate(partnerships):
        end = p.ended_at or ctx.now
        span = (end - p.started_at).total_seconds()
        if span <= 3600:
            continue
        count = per * 2 if index == 0 else rng.randint(per // 2, per)
        # Some clients fade: their messages thin out towards the end of the partnership.
        fading = rng.random() < 0.2
        at = p.started_at + dt.timedelta(hours=rng.uniform(2, 48))
        for _ in range(count):
            if at >= end:
                break
            rows.append(
                _message(p, p.client_id, rng.choice(CLIENT_LINES), at, rng.getrandbits(128))
            )
            if rng.random() < 0.85:
                # Therapists usually answer within hours; sometimes the next day.
                reply_at = at + dt.timedelta(minutes=rng.lognormvariate(4.6, 0.9))
                if reply_at < end:
                    rows.append(
                        _message(
                            p,
                            p.therapist_id,
                            rng.choice(THERAPIST_LINES),
                            reply_at,
                            rng.getrandbits(128),
                        )
                    )
            gap_days = rng.expovariate(1 / (span / 86400 / count))
            if fading and at > p.started_at + (end - p.started_at) * 0.6:
                gap_days *= 3
            at += dt.timedelta(days=max(0.05, gap_days))
        if len(rows) >= ctx.count(MAX_MESSAGES):
            break
    rows.sort(key=lambda m: m.created_at)  # ids follow time, as live messages do
    created = Message.objects.bulk_create(rows, batch_size=500)
    last: dict[tuple[int, int], int] = {}
    for m in created:
        last[(m.partnership_id, m.sender_id)] = m.pk
    states = []
    for p in partnerships:
        for reader, writer in ((p.therapist_id, p.client_id), (p.client_id, p.therapist_id)):
            seq = last.get((p.pk, writer))
            if seq is None:
                continue
            # A few conversations keep something unread for the demo inbox.
            unread = p.is_active and rng.random() < 0.15
            states.append(
                ReadState(partnership=p, user_id=reader, last_read_seq=0 if unread else seq)
            )
    ReadState.objects.bulk_create(states, batch_size=500)
    ctx.shared["messages"] = len(created)


def _message(p: Partnership, sender_id: int, body: str, at: dt.datetime, bits: int) -> Message:
    return Message(
        partnership=p,
        sender_id=sender_id,
        client_id=uuid.UUID(int=bits).hex,
        body=body,
        created_at=at,
    )


# When the demo runs this part (core/demo.py): after the parts whose data it uses.
STEPS = [(60, run)]
