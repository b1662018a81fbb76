"""Builders for small histories used across the rule tests."""

from __future__ import annotations

from collections.abc import Sequence

from alliance.measures.alerts import AlertKind, CheckIn, ClientHistory, RuleConfig, evaluate


def checkins(
    *,
    goal: Sequence[float | None] = (),
    task: Sequence[float | None] = (),
    bond: Sequence[float | None] = (),
    start: int = 1,
) -> tuple[CheckIn, ...]:
    """One check-in per position, sessions start, start+1, ...; shorter lists pad with None."""
    n = max(len(goal), len(task), len(bond))

    def at(values: Sequence[float | None], i: int) -> float | None:
        return values[i] if i < len(values) else None

    return tuple(
        CheckIn(start + i, goal=at(goal, i), task=at(task, i), bond=at(bond, i)) for i in range(n)
    )


def kinds(history: ClientHistory, config: RuleConfig | None = None) -> set[AlertKind]:
    return {a.kind for a in evaluate(history, config)}
