"""Practice-level reports for admins: Check-in reliability and percentile bands.

Never clinical content of one client: aggregates over the practice only, of current scores
(a corrected response no longer counts).
"""

from __future__ import annotations

from typing import Any

from alliance.checkins import instruments as lookup
from alliance.checkins.history import stored_rating
from alliance.checkins.models import CHECKIN, Response
from alliance.measures.reliability import alpha_for, percentile_bands


def reliability_report() -> dict[str, Any]:
    inst = lookup.instrument(CHECKIN)
    rows = list(
        Response.objects.current()
        .filter(instrument_id=CHECKIN, respondent_role="client")
        .values_list("partnership__client_id", "answers", "subscales", "total")
    )
    answers = [a for _, a, _, _ in rows]
    alphas = []
    for label, sub in (
        ("Whole check-in", None),
        ("Goals", "goal"),
        ("Tasks", "task"),
        ("Bond", "bond"),
    ):
        try:
            est = alpha_for(inst, answers, subscale=sub)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            est = None
        alphas.append({"label": label, "estimate": est})
    bands = []
    for label, key in (
        ("Whole check-in", None),
        ("Goals", "goal"),
        ("Tasks", "task"),
        ("Bond", "bond"),
    ):
        ratings = (
            [(c, float(total)) for c, _, _, total in rows]
            if key is None
            else [(c, r) for c, _, subs, _ in rows if (r := stored_rating(subs, key)) is not None]
        )
        bands.append({"label": label, "bands": percentile_bands(inst, ratings)})
    return {
        "alphas": alphas,
        "bands": bands,
        "responses": len(rows),
        "clients": len({c for c, *_ in rows}),
        "min_clients": inst.percentile_bands.min_clients if inst.percentile_bands else 200,
    }
