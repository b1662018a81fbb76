"""Small helpers shared by the rules. The arithmetic here is mirrored operation for
operation by ``batch.py`` (sums left to right), so both give bit-identical results."""

from __future__ import annotations

from collections.abc import Iterable

from .model import Alert, AlertKind, CheckIn, Evidence, Pillar, Severity
from .texts import CLIENT_PROMPTS, REPAIR_ACTIONS

# Differences of ratings are compared with this slack so that a drop from 1.0 to 0.9 counts
# as the 0.1 it is meant to be, despite binary floating point (1.0 - 0.9 < 0.1).
EPS = 1e-9


def client_series(checkins: Iterable[CheckIn], pillar: Pillar) -> list[tuple[int, float]]:
    """(session, score) of the client's ratings of one pillar, in session order."""
    out: list[tuple[int, float]] = []
    for checkin in sorted(checkins, key=lambda c: c.session):
        value = checkin.client(pillar)
        if value is not None:
            out.append((checkin.session, value))
    return out


def mean_left_to_right(values: Iterable[float]) -> float:
    total = 0.0
    count = 0
    for v in values:
        total = total + v
        count += 1
    return total / count


def baseline(series: list[tuple[int, float]], n: int) -> float | None:
    """The client's own baseline: mean of their first ``n`` ratings, defined only when a
    later rating exists to compare with it."""
    if n < 1 or len(series) < n + 1:
        return None
    return mean_left_to_right(v for _, v in series[:n])


def severity_by_count(count: int, levels: tuple[Severity, ...]) -> Severity:
    """levels[0] for one signal, levels[1] for two, ...; the last level caps."""
    return levels[min(count, len(levels)) - 1]


def make_alert(
    kind: AlertKind,
    severity: Severity,
    pillar: Pillar,
    evidence: list[Evidence],
    explanation: str,
) -> Alert:
    sessions = [e.session for e in evidence if e.session is not None]
    return Alert(
        kind=kind,
        severity=severity,
        pillar=pillar,
        evidence=tuple(evidence),
        explanation=explanation,
        repair_actions=REPAIR_ACTIONS[kind],
        client_prompt=CLIENT_PROMPTS[kind],
        session=max(sessions) if sessions else None,
    )
