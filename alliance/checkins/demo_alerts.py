"""The demo's alerts, computed last (see alliance/core/demo.py).

The rules read more than check-ins: goals agreed or not, messages, attendance. Computed
before the later steps had seeded those, every partnership past its first sessions showed
"goals never co-agreed".

One client of another therapist also answered PHQ-9 item 9 above 0 at their latest
check-in, so the on-call clinician's page has a safety alert to show (raised as a real
submission raises it, with its notification).
"""

from __future__ import annotations

from alliance.core.demo import DemoContext


def run(ctx: DemoContext) -> None:
    from alliance.checkins.evaluation import recompute_all

    recompute_all()
    _one_safety_alert(ctx)


def _one_safety_alert(ctx: DemoContext) -> None:
    from alliance.care.models import Partnership
    from alliance.checkins.models import Response
    from alliance.checkins.safety import raise_safety_alert
    from alliance.measures.registry import get_instrument
    from alliance.measures.scoring import score

    therapists = ctx.shared.get("therapists") or []
    clients = ctx.shared.get("clients") or []
    demo_ids = {u.pk for u in (therapists[:1] + clients[:1])}
    latest = (
        Response.objects.current()
        .filter(
            instrument_id="phq9",
            respondent_role="client",
            partnership__status=Partnership.Status.ACTIVE,
        )
        .exclude(partnership__therapist_id__in=demo_ids)
        .exclude(partnership__client_id__in=demo_ids)
        .select_related("partnership__client")
        .order_by("-submitted_at")
        .first()
    )
    if latest is None:
        return
    result = score(get_instrument("phq9"), {**latest.answers, "phq9_9": 1})
    latest.answers, latest.total = dict(result.answers), result.total
    latest.band, latest.flags = result.band or "", list(result.flags)
    latest.save(update_fields=["answers", "total", "band", "flags"])
    raise_safety_alert(
        client=latest.partnership.client,
        partnership=latest.partnership,
        source="phq9_item9",
        evidence={
            "response_id": latest.pk,
            "instrument": "phq9",
            "item9": 1,
            "total": latest.total,
            "session": latest.session_number,
        },
    )
