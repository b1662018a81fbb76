"""Shared output helper: one JSON object per line, as every benchmark prints."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit(
    benchmark: str,
    metric: str,
    value: float,
    unit: str,
    params: dict[str, Any],
    baseline: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Print one result line; with a baseline, "ratio" = baseline / value."""
    line: dict[str, Any] = {
        "benchmark": benchmark,
        "metric": metric,
        "value": value,
        "unit": unit,
        "params": params,
    }
    if baseline is not None:
        line["baseline"] = baseline
        line["ratio"] = round(baseline / value, 3) if value else None
    line.update(extra)
    print(json.dumps(line), flush=True)
    sys.stdout.flush()
    return line
