"""Demo partnerships with months of history.

Most clients are in an active partnership; some ended. About one in five ends by dropping
out (Swift & Greenberg 2012 meta-analysis: weighted mean dropout 19.7%); some switched
therapist, some completed. Capacity is respected.

The demo therapist works with the first eight clients (the demo client among them), one of
whom started three weeks ago: the caseload the demo opens with has months of history and a
client at the session-3 checkpoint.
"""

from __future__ import annotations

import datetime as dt

from alliance.care.models import Intake, Partnership, WaitlistEntry
from alliance.core.demo import DemoContext
from alliance.directory.models import TherapistProfile

DEMO_CASELOAD = 8
NEW_CLIENT_DAYS = 20  # three weekly sessions held


def run(ctx: DemoContext) -> None:
    rng = ctx.rng
    therapists = ctx.shared["therapists"]
    capacity = dict(TherapistProfile.objects.values_list("user_id", "capacity"))
    load = dict.fromkeys(capacity, 0)
    by_jurisdiction: dict[str, list[int]] = {}
    from alliance.directory.models import Licence

    for therapist_id, code in Licence.objects.valid().values_list(
        "therapist_id", "jurisdiction__code"
    ):
        by_jurisdiction.setdefault(code, []).append(therapist_id)
    rows = []
    demo_load = 0
    for i, client in enumerate(ctx.shared["clients"]):
        pool = by_jurisdiction.get(client.home_jurisdiction["code"]) or [t.pk for t in therapists]
        # The demo client and the next seven the demo therapist is licensed for.
        mine = i == 0 or (demo_load < DEMO_CASELOAD and therapists[0].pk in pool)
        if mine:
            pool = [therapists[0].pk]
            demo_load += 1
        if not mine and rng.random() < 0.08:
            continue  # newly signed up, not matched yet
        start = ctx.now - dt.timedelta(days=rng.randint(7, 270))
        if mine and demo_load == 2:
            start = ctx.now - dt.timedelta(days=NEW_CLIENT_DAYS)
        history = rng.random()
        if not mine and history < 0.25:
            # An earlier partnership that ended, then the current one.
            reason = rng.choices(
                ["dropout", "switched", "completed", "client_ended"], weights=[45, 30, 20, 5]
            )[0]
            first = rng.choice(pool)
            ended = start + dt.timedelta(days=rng.randint(14, 120))
            if ended >= ctx.now:
                ended = ctx.now - dt.timedelta(days=1)
            rows.append(
                Partnership(
                    client=client,
                    therapist_id=first,
                    status="ended",
                    started_at=start,
                    ended_at=ended,
                    end_reason=reason,
                )
            )
            if reason != "switched" and rng.random() < 0.5:
                continue
            start = ended + dt.timedelta(days=rng.randint(0, 10))
            pool = [t for t in pool if t != first] or pool
        # The demo therapist's caseload is the eight above, so the demo opens on a known size.
        choices = [t for t in pool if load[t] < capacity[t] and (mine or t != therapists[0].pk)]
        if not choices:
            continue
        therapist_id = therapists[0].pk if mine else rng.choice(choices)
        load[therapist_id] += 1
        rows.append(
            Partnership(
                client=client,
                therapist_id=therapist_id,
                status="active",
                started_at=min(start, ctx.now),
            )
        )
    Partnership.objects.bulk_create(rows, batch_size=1000)
    _intakes_and_waiting_list(ctx)
    # Later steps (appointments, check-ins, messages, goals) build on these.
    ctx.shared["partnerships"] = list(
        Partnership.objects.select_related("client", "therapist").order_by("id")
    )


# Presenting problems in outpatient care: anxiety and low mood are the most common.
CONCERN_WEIGHTS = {
    "anxiety": 24,
    "depression": 22,
    "relationships": 12,
    "trauma": 10,
    "work_stress": 9,
    "grief": 6,
    "sleep": 6,
    "identity": 3,
    "substance_use": 3,
    "eating": 2,
    "anger": 2,
    "psychosis_spectrum": 1,
}
CHANGES = [
    "I want to sleep through the night again",
    "I would like to stop avoiding friends",
    "Feel less on edge at work",
    "Understand why I keep ending up in the same arguments",
    "Get through the day without panic",
    "",
]


def _intakes_and_waiting_list(ctx: DemoContext) -> None:
    """An intake for every client (what they were matched on), and a short waiting list."""
    rng = ctx.rng
    by_code = ctx.shared["jurisdictions"]
    domains, weights = list(CONCERN_WEIGHTS), list(CONCERN_WEIGHTS.values())
    # Encrypted intake text needs each client's data key; a few hundred intakes keep the
    # seed fast: every unmatched client, then the first matched ones.
    with_partnership = set(Partnership.objects.values_list("client_id", flat=True))
    clients = [c for c in ctx.shared["clients"] if c.pk not in with_partnership]
    clients += [c for c in ctx.shared["clients"] if c.pk in with_partnership]
    intakes = []
    for client in clients[: ctx.count(400)]:
        home = client.home_jurisdiction
        prefs: dict[str, dict[str, object]] = {}
        if rng.random() < 0.35:
            prefs["gender"] = {"value": [rng.choice(["woman", "man"])], "must": rng.random() < 0.2}
        if rng.random() < 0.3:
            prefs["style"] = {"value": rng.choice(["directive", "exploratory"]), "must": False}
        if rng.random() < 0.2:
            prefs["lgbtq_affirming"] = {"value": True, "must": rng.random() < 0.4}
        if rng.random() < 0.08:
            prefs["faith_informed"] = {"value": True, "must": False}
        intakes.append(
            Intake(
                client=client,
                concerns=sorted(set(rng.choices(domains, weights=weights, k=rng.randint(1, 3)))),
                change_wanted=rng.choice(CHANGES),
                preferences=prefs,
                languages=[home["langs"][0]],
                modality=rng.choices(["video", "audio", "chat", "messaging"], [70, 10, 8, 12])[0],
                jurisdiction=by_code[home["code"]],
                timezone=home["tz"],
                preferred_times=[],
                screen={},
            )
        )
    Intake.objects.bulk_create(intakes, batch_size=500)
    latest = dict(Intake.objects.values_list("client_id", "id"))
    partnerships = list(
        Partnership.objects.filter(client_id__in=list(latest)).only("id", "client_id")
    )
    for p in partnerships:
        p.intake_id = latest[p.client_id]
    Partnership.objects.bulk_update(partnerships, ["intake"], batch_size=1000)
    waiting = [c for c in clients if c.pk not in with_partnership][: ctx.count(12)]
    WaitlistEntry.objects.bulk_create(
        WaitlistEntry(
            client=c,
            intake_id=latest[c.pk],
            joined_at=ctx.now - dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23)),
        )
        for c in waiting
    )


# When the demo runs this part (core/demo.py): after the parts whose data it uses.
STEPS = [(30, run)]
