"""Reads of the check-in part: progress charts, per-partnership figures for other parts,
the caseload ordered by risk, alert visibility, alert evaluation failures.

Every score read here is a current one (`Response.objects.current()`): a corrected response
is kept, superseded, and no longer counts in a chart, figure or sparkline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import formats
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.checkins import charts
from alliance.checkins import instruments as lookup
from alliance.checkins.history import trajectory_model
from alliance.checkins.models import (
    CHECKIN,
    CHECKIN_THERAPIST,
    Alert,
    AlertEvaluationFailure,
    CheckinRequest,
    Response,
)
from alliance.measures.change import reliable_threshold_for
from alliance.schedule.queries import next_appointments

PILLARS = ("goal", "task", "bond")
OUTCOMES = ("phq9", "gad7")
CHART_FIELDS = ("partnership_id", "instrument_id", "session_number", "total", "subscales", "band")


def _pillar_names() -> dict[str, str]:
    return {"goal": _("Goals"), "task": _("Tasks"), "bond": _("Bond")}


# --- progress charts ---------------------------------------------------------------------


def _alliance_chart(
    rows: list[Response], *, title: str, description: str, chart_id: str
) -> dict[str, Any]:
    names = _pillar_names()
    series = [
        charts.Series(
            names[p],
            p,
            [(r.session_number, float(r.subscales[p])) for r in rows if p in r.subscales],
        )
        for p in PILLARS
    ]
    chart = charts.Chart(
        title=title,
        description=description,
        y_min=0,
        y_max=6,
        series=series,
        y_ticks=(0, 2, 4, 6),
        x_label=_("Session"),
    )
    table = [
        {"session": r.session_number, **{p: r.subscales.get(p) for p in PILLARS}} for r in rows
    ]
    return {"svg": charts.render(chart, chart_id=chart_id), "table": table, "empty": not rows}


def _outcome_chart(
    instrument_id: str, rows: list[Response], *, for_client: bool, chart_id: str
) -> dict[str, Any] | None:
    if not rows:
        return None
    inst = lookup.instrument(instrument_id)
    intake = rows[0]
    first_session = intake.session_number
    model = trajectory_model(instrument_id)
    band_points: list[tuple[float, float, float]] = []
    expected: dict[int, tuple[float, float, float]] = {}
    if model is not None:
        last = max(r.session_number for r in rows)
        sessions = range(first_session, last + 3)
        # One vectorised call for every session (one call per session cost ~2 ms a page).
        means, lows, highs, _n, _w = model.expected_arrays(
            [intake.total] * len(sessions), [s - first_session + 1 for s in sessions]
        )
        for s, e, lo, hi in zip(
            sessions, means.tolist(), lows.tolist(), highs.tolist(), strict=True
        ):
            band_points.append((s, lo, hi))
            expected[s] = (e, lo, hi)
    try:
        threshold = reliable_threshold_for(inst)
    except ValueError:
        threshold = None
    markers = []
    table = []
    for r in rows:
        change = r.total - intake.total
        reliable = ""
        if threshold is not None and r is not intake and abs(change) > threshold:
            better = (change < 0) == inst.lower_is_better
            reliable = "better" if better else "worse"
            if for_client:
                title = _("A clear change for the better") if better else _("A clear change")
            else:
                title = _("Reliable improvement") if better else _("Reliable deterioration")
            markers.append(charts.Marker(r.session_number, r.total, reliable, title))
        exp = expected.get(r.session_number)
        table.append(
            {
                "session": r.session_number,
                "total": r.total,
                "expected_low": exp[1] if exp else None,
                "expected_high": exp[2] if exp else None,
                "reliable": reliable,
                "band": "" if for_client else lookup.band_label(inst, r.band),
            }
        )
    band_label = _("The range we would expect by now") if for_client else _("Expected range")
    title = inst.short_name
    description = _(
        "%(name)s scores by session; lower is better. The shaded area is the range "
        "expected for people who started at a similar score."
    ) % {"name": inst.short_name}
    chart = charts.Chart(
        title=title,
        description=description,
        y_min=inst.total_min,
        y_max=inst.total_max,
        series=[
            charts.Series(inst.short_name, "score", [(r.session_number, r.total) for r in rows])
        ],
        band=charts.Band(band_label, band_points) if band_points else None,
        markers=markers,
        x_label=_("Session"),
    )
    return {
        "instrument": instrument_id,
        "name": inst.short_name,
        "svg": charts.render(chart, chart_id=chart_id),
        "table": table,
        "threshold": threshold,
    }


def progress_context(partnership: Partnership, *, viewer: User) -> dict[str, Any]:
    """Everything `checkins/_progress_charts.html` renders: goal/task/bond from the client's
    and the therapist's side, and each outcome measure with its expected band and
    reliable-change markers. The client sees no clinical labels (no bands, no "deterioration").
    """
    for_client = viewer.pk == partnership.client_id
    rows = list(
        Response.objects.current()
        .filter(partnership=partnership)
        # Only what the charts draw: loading answers and the encrypted comment of every
        # session was a third of this function's time.
        .only(*CHART_FIELDS)
        .order_by("session_number", "id")
    )
    client_rows = [r for r in rows if r.instrument_id == CHECKIN]
    therapist_rows = [r for r in rows if r.instrument_id == CHECKIN_THERAPIST]
    pid = partnership.pk
    client_chart = _alliance_chart(
        client_rows,
        title=_("How the client rated the sessions")
        if not for_client
        else _("How you rated the sessions"),
        description=_("Goals, tasks and bond by session, 0 (strongly disagree) to 6."),
        chart_id=f"ci-client-{pid}",
    )
    therapist_chart = _alliance_chart(
        therapist_rows,
        title=_("How the therapist rated the sessions"),
        description=_("Goals, tasks and bond by session, 0 (strongly disagree) to 6."),
        chart_id=f"ci-therapist-{pid}",
    )
    outcomes = []
    by_instrument: dict[str, list[Response]] = defaultdict(list)
    for r in rows:
        if r.instrument_id not in (CHECKIN, CHECKIN_THERAPIST):
            by_instrument[r.instrument_id].append(r)
    for inst_id, inst_rows in sorted(by_instrument.items()):
        found = _outcome_chart(
            inst_id, inst_rows, for_client=for_client, chart_id=f"oc-{inst_id}-{pid}"
        )
        if found:
            outcomes.append(found)
    return {
        "partnership": partnership,
        "for_client": for_client,
        "client_chart": client_chart,
        "therapist_chart": therapist_chart,
        "outcome_charts": outcomes,
        "pillar_names": _pillar_names(),
    }


# --- figures for matching and therapist records ------------------------------------------


def _unit_mean(subscales: dict[str, Any]) -> float | None:
    inst = lookup.instrument(CHECKIN)
    values = []
    for sub in inst.subscales:
        v = subscales.get(sub.id)
        if v is not None:
            values.append((float(v) - sub.min) / (sub.max - sub.min))
    return sum(values) / len(values) if values else None


def early_alliance_by_partnership(partnership_ids: Iterable[int]) -> dict[int, float]:
    """The client's early alliance: the mean of goal, task and bond (0–1 scale) at the
    session-3 check-in, or the next one up to session 5 (early alliance, sessions 3–5,
    predicts outcome; Flückiger et al. 2018)."""
    rows = (
        Response.objects.current()
        .filter(
            partnership_id__in=list(partnership_ids),
            instrument_id=CHECKIN,
            respondent_role="client",
            session_number__gte=3,
            session_number__lte=5,
        )
        .order_by("partnership_id", "session_number", "id")
        .values_list("partnership_id", "subscales")
    )
    out: dict[int, float] = {}
    for pid, subscales in rows:
        if pid in out:
            continue
        value = _unit_mean(subscales or {})
        if value is not None:
            out[pid] = value
    return out


# The check-in's subscales named as the matching engine names the pillars.
PILLAR_OF_SUBSCALE = {"goal": "goals", "task": "tasks", "bond": "bond"}


def early_pillars_by_partnership(partnership_ids: Iterable[int]) -> dict[int, dict[str, float]]:
    """Each pillar (bond, goals, tasks) of the client's early check-in (session 3, or the next
    up to 5) on a 0–1 scale; matching uses it to shift weight after a switch for that pillar."""
    inst = lookup.instrument(CHECKIN)
    ranges = {sub.id: (sub.min, sub.max) for sub in inst.subscales}
    rows = (
        Response.objects.current()
        .filter(
            partnership_id__in=list(partnership_ids),
            instrument_id=CHECKIN,
            respondent_role="client",
            session_number__gte=3,
            session_number__lte=5,
        )
        .order_by("partnership_id", "session_number", "id")
        .values_list("partnership_id", "subscales")
    )
    out: dict[int, dict[str, float]] = {}
    for pid, subscales in rows:
        if pid in out:
            continue
        pillars = {
            PILLAR_OF_SUBSCALE[name]: (float(value) - ranges[name][0])
            / (ranges[name][1] - ranges[name][0])
            for name, value in (subscales or {}).items()
            if name in PILLAR_OF_SUBSCALE and name in ranges and value is not None
        }
        if pillars:
            out[pid] = pillars
    return out


def outcome_change_by_partnership(partnership_ids: Iterable[int]) -> dict[int, float]:
    """Change relative to the expected trajectory for the intake score, in units of the
    instrument's reference SD (PHQ-9 6.0, GAD-7 5.0), averaged over PHQ-9 and GAD-7 when
    both exist. Positive = better than expected. Needs at least two scores."""
    rows = (
        Response.objects.current()
        .filter(partnership_id__in=list(partnership_ids), instrument_id__in=OUTCOMES)
        .order_by("partnership_id", "instrument_id", "session_number", "id")
        .values_list("partnership_id", "instrument_id", "session_number", "total")
    )
    series: dict[tuple[int, str], list[tuple[int, float]]] = defaultdict(list)
    for pid, inst_id, session, total in rows:
        series[(pid, inst_id)].append((session, total))
    per: dict[int, list[float]] = defaultdict(list)
    models = {i: trajectory_model(i) for i in OUTCOMES}
    for (pid, inst_id), points in series.items():
        model = models.get(inst_id)
        inst = lookup.instrument(inst_id)
        if model is None or len(points) < 2 or inst.reliable_change is None:
            continue
        (s0, intake), (s1, last) = points[0], points[-1]
        expected = model.expected(intake, s1 - s0 + 1).expected
        diff = (expected - last) if inst.lower_is_better else (last - expected)
        per[pid].append(diff / inst.reliable_change.sd)
    return {pid: sum(v) / len(v) for pid, v in per.items()}


# --- alerts ---------------------------------------------------------------------------------


def open_alerts_for(partnership: Partnership) -> QuerySet[Alert]:
    return Alert.objects.filter(
        Q(partnership=partnership) | Q(kind="safety", client_id=partnership.client_id),
        is_open=True,
    ).order_by("-severity_rank", "-updated_at")


def client_prompts(partnership: Partnership) -> list[str]:
    """What the client is invited to talk about: the most pressing open alert's prompt only
    (every prompt opens with the same question, so two read as one thing said twice)."""
    return list(
        open_alerts_for(partnership)
        .exclude(kind="safety")
        .values_list("client_prompt", flat=True)[:1]
    )


def alert_for(user: User, pk: int) -> Alert:
    """The alert if this user may open it: the client's current therapist, or an on-call
    clinician for an open safety alert (only while it is open). 404 otherwise."""
    alert = (
        Alert.objects.select_related("partnership", "client", "client__client_profile")
        .filter(pk=pk)
        .first()
    )
    if alert is None or not user.is_therapist:
        raise Http404("no such alert")
    partnership = alert.partnership
    if partnership is not None and partnership.is_active and partnership.therapist_id == user.pk:
        return alert
    if alert.is_safety and alert.is_open:
        if user.is_on_call:
            return alert
        current = Partnership.objects.filter(
            client_id=alert.client_id, therapist=user, status=Partnership.Status.ACTIVE
        ).exists()
        if current:
            return alert
    raise Http404("no such alert")


def current_therapist_names(client_ids: Iterable[int]) -> dict[int, str]:
    """{client id: the name of the therapist they work with now}, for those who have one."""
    active = Partnership.objects.filter(
        client_id__in=list(client_ids), status=Partnership.Status.ACTIVE
    ).select_related("therapist")
    return {p.client_id: p.therapist.name for p in active}


def open_safety_alerts_of(client_id: int) -> QuerySet[Alert]:
    return Alert.objects.filter(client_id=client_id, kind="safety", is_open=True)


def open_safety_alerts() -> QuerySet[Alert]:
    return (
        Alert.objects.filter(kind="safety", is_open=True)
        .select_related("client", "client__client_profile__jurisdiction", "partnership__therapist")
        .order_by("created_at")
    )


def caseload_by_risk(therapist: User) -> list[dict[str, Any]]:
    """The therapist's active clients ordered by risk: the highest open alert severity,
    then the number of open alerts, then name. A fixed number of queries for any size."""
    partnerships = list(
        Partnership.objects.filter(therapist=therapist, status=Partnership.Status.ACTIVE)
        .select_related("client", "client__client_profile__jurisdiction")
        .order_by("client__display_name", "id")
    )
    ids = [p.pk for p in partnerships]
    client_ids = [p.client_id for p in partnerships]
    alerts: dict[int, list[Alert]] = defaultdict(list)
    by_client = {p.client_id: p.pk for p in partnerships}
    for a in Alert.objects.filter(
        Q(partnership_id__in=ids) | Q(kind="safety", client_id__in=client_ids), is_open=True
    ).order_by("-severity_rank", "-updated_at"):
        pid = a.partnership_id if a.partnership_id in ids else by_client[a.client_id]
        alerts[pid].append(a)
    spark = _alliance_trends(ids)
    last_outcome = _last_outcomes(ids)
    # Each instrument looked up once (a practice's own is a query).
    instruments = {i: lookup.instrument(i) for i in {o[0] for o in last_outcome.values()}}
    next_at = dict(next_appointments(ids) or {}) if ids else {}
    pending = set(
        CheckinRequest.objects.filter(partnership_id__in=ids, completed_at__isnull=True)
        .values_list("partnership_id", flat=True)
        .distinct()
    )
    rows: list[dict[str, Any]] = []
    for p in partnerships:
        open_here = alerts.get(p.pk, [])
        top = max((a.severity_rank for a in open_here), default=0)
        outcome = last_outcome.get(p.pk)
        values = spark.get(p.pk, [])[-10:]
        rows.append(
            {
                "partnership": p,
                "client": p.client,
                "alerts": open_here,
                "top_rank": top,
                "top_severity": open_here[0].severity if open_here else "",
                "sparkline": charts.sparkline(
                    values,
                    label=_("Alliance trend over the last %(n)s check-ins, latest %(v)s of 1")
                    % {"n": len(values), "v": formats.number_format(values[-1], 2)}
                    if values
                    else "",
                ),
                "latest_alliance": values[-1] if values else None,
                "last_outcome": {
                    "instrument": outcome[0],
                    "name": instruments[outcome[0]].short_name,
                    "total": outcome[1],
                    "band": lookup.band_label(instruments[outcome[0]], outcome[2]),
                    "session": outcome[3],
                }
                if outcome
                else None,
                "next_appointment": next_at.get(p.pk),
                "checkin_pending": p.pk in pending,
            }
        )
    rows.sort(key=lambda r: (-int(r["top_rank"]), -len(r["alerts"])))
    return rows


def _alliance_trends(ids: list[int]) -> dict[int, list[float]]:
    """Partnership id -> the client's check-in means (0-1), oldest first."""
    spark: dict[int, list[float]] = defaultdict(list)
    for pid, subscales in (
        Response.objects.current()
        .filter(partnership_id__in=ids, instrument_id=CHECKIN, respondent_role="client")
        .order_by("partnership_id", "session_number", "id")
        .values_list("partnership_id", "subscales")
    ):
        value = _unit_mean(subscales or {})
        if value is not None:
            spark[pid].append(value)
    return spark


def _last_outcomes(ids: list[int]) -> dict[int, tuple[str, float, str, int]]:
    """Partnership id -> (instrument, total, band, session) of its latest outcome score,
    the PHQ-9's once it has one."""
    last_outcome: dict[int, tuple[str, float, str, int]] = {}
    for pid, inst_id, total, band, session in (
        Response.objects.current()
        .filter(partnership_id__in=ids, instrument_id__in=OUTCOMES)
        .order_by("partnership_id", "session_number", "id")
        .values_list("partnership_id", "instrument_id", "total", "band", "session_number")
    ):
        if inst_id == "phq9" or pid not in last_outcome or last_outcome[pid][0] != "phq9":
            last_outcome[pid] = (inst_id, total, band, session)
    return last_outcome


# --- alert evaluation failures ----------------------------------------------------------------


def open_evaluation_failures() -> QuerySet[AlertEvaluationFailure]:
    """Partnerships whose alerts cannot be evaluated now (active ones: an ended one is
    evaluated no more), the latest failure first, with the client and therapist."""
    return (
        AlertEvaluationFailure.objects.filter(
            resolved_at__isnull=True, partnership__status=Partnership.Status.ACTIVE
        )
        .select_related("partnership__client", "partnership__therapist")
        .order_by("-last_failed_at", "-id")
    )


def open_evaluation_failure_count() -> int:
    """How many partnerships' alerts cannot be evaluated now: one query (`/health/`)."""
    return AlertEvaluationFailure.objects.filter(
        resolved_at__isnull=True, partnership__status=Partnership.Status.ACTIVE
    ).count()
