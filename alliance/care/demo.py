"""Demo partnerships with months of history.

Most clients are in an active partnership; some ended. About one in five ends by dropping
out (Swift & Greenberg 2012 meta-analysis: weighted mean dropout 19.7%); some switched
therapist, some completed. Capacity is respected.
"""

from __future__ import annotations

import datetime as dt

from alliance.care.models import Partnership
from alliance.core.demo import DemoContext
from alliance.directory.models import TherapistProfile


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
    for i, client in enumerate(ctx.shared["clients"]):
        pool = by_jurisdiction.get(client.home_jurisdiction["code"]) or [t.pk for t in therapists]
        if i == 0:
            pool = [therapists[0].pk]  # the demo client works with the demo therapist
        if i > 0 and rng.random() < 0.08:
            continue  # newly signed up, not matched yet
        start = ctx.now - dt.timedelta(days=rng.randint(7, 270))
        history = rng.random()
        if i > 0 and history < 0.25:
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
        choices = [t for t in pool if load[t] < capacity[t]]
        if not choices:
            continue
        therapist_id = therapists[0].pk if i == 0 else rng.choice(choices)
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
    # Later steps (appointments, check-ins, messages, goals) build on these.
    ctx.shared["partnerships"] = list(
        Partnership.objects.select_related("client", "therapist").order_by("id")
    )
