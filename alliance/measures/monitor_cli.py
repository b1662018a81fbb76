"""`alliance monitor FILE`: one risk per client and the alert budget, from a JSON file.

The file is one caseload (see ``docs/alerts.md`` for the format): each client's check-ins,
outcome scores, attendance, weekly messages, skipped check-ins, goals and safety signals.
The command prints each client's risk of dropout or reliable deterioration within the
model's horizon, whether the client carries a "needs attention" card under the budget,
the reasons ranked, and, separately, whether the safety rule fires. Safety is never part
of the risk or the budget.

No settings, database or environment are needed. Malformed input exits with status 2 and
one line on stderr naming the problem and where it is (``clients[1].checkins[0].bond``).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from alliance.measures.alerts import safety
from alliance.measures.alerts.budget import MISSED_MUST_OPEN, attention
from alliance.measures.alerts.config import RuleConfig
from alliance.measures.alerts.risk import (
    PRIOR,
    RiskModel,
    assess_many,
    frequency,
)
from alliance.measures.monitor_input import (
    EXIT_BAD_INPUT,
    PROG,
    Caseload,
    InputError,
    parse_caseload,
)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``monitor_main`` returns a status."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


# -- evaluating -------------------------------------------------------------------------------


def evaluate_caseload(
    caseload: Caseload, *, model: RiskModel = PRIOR, config: RuleConfig | None = None
) -> dict[str, Any]:
    """Each client's risk, card and reasons, and the budget that decided the cards."""
    cfg = config if config is not None else RuleConfig()
    budget = caseload.budget
    histories = [c.history for c in caseload.clients]
    rows: list[dict[str, Any]] = []
    if histories:
        with warnings.catch_warnings():
            # numpy's nanmean warns about a client with no ratings; the feature is 0 then.
            warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
            found = assess_many(histories, cfg, model)
        risks = [r.probability for r in found]
        must = [r.missed >= MISSED_MUST_OPEN for r in found]
        flags = attention(risks, [c.open for c in caseload.clients], budget, must)
        for i, client in enumerate(caseload.clients):
            n, d = frequency(risks[i])
            rows.append(
                {
                    "id": client.id,
                    "session": found[i].session,
                    "risk": risks[i],
                    "frequency": f"about {n} in {d}",
                    "flag": flags[i],
                    "must_open": must[i],
                    "high": risks[i] >= budget.high_at,
                    "reasons": [
                        {
                            "signal": r.signal,
                            "pillar": r.pillar.value,
                            "contribution": r.contribution,
                            "values": r.values,
                        }
                        for r in found[i].reasons
                    ],
                    "safety": bool(safety.check(client.history, cfg)),
                }
            )
    return {
        "model": {
            "source": model.source,
            "horizon": model.horizon,
            "events": model.events,
        },
        "budget": {
            "share": budget.share,
            "open_at": budget.open_at,
            "close_below": budget.close_below,
            "high_at": budget.high_at,
            "caseload": len(rows),
            "cap": budget.cap(len(rows)),
            "flagged": sum(r["flag"] for r in rows),
        },
        "clients": rows,
    }


# -- printing ---------------------------------------------------------------------------------


def _percent(p: float) -> str:
    return f"{100 * p:.1f}".removesuffix(".0") + "%"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _table(report: dict[str, Any]) -> str:
    b, m = report["budget"], report["model"]
    lines = [
        f"{_count(b['caseload'], 'client')}, {b['flagged']} with a card. Budget "
        f"{_percent(b['share'])}: {_count(b['cap'], 'card')}; three missed sessions open one "
        f"whatever the risk, a high risk (from {_percent(b['high_at'])}) one on top of the "
        f"budget; a card opens at {_percent(b['open_at'])} and closes below "
        f"{_percent(b['close_below'])}.",
        f"Risk of dropout or reliable deterioration within {m['horizon']} sessions; "
        f"model: {m['source'] or 'unnamed'}.",
        "",
    ]
    head = ("client", "session", "risk", "frequency", "card", "safety", "reasons, strongest first")
    body = []
    for c in report["clients"]:
        card = "-"
        if c["flag"]:
            card = "missed" if c["must_open"] else "high" if c["high"] else "yes"
        why = ", ".join(f"{r['signal']} +{r['contribution']:.2f}" for r in c["reasons"])
        body.append(
            (
                str(c["id"]),
                str(c["session"]),
                _percent(c["risk"]),
                c["frequency"],
                card,
                "SAFETY" if c["safety"] else "-",
                why or "-",
            )
        )
    widths = [max(len(row[k]) for row in [head, *body]) for k in range(len(head) - 1)]
    for row in [head, *body]:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    if any(c["safety"] for c in report["clients"]):
        lines += [
            "",
            "SAFETY: the safety rule fires (PHQ-9 item 9, crisis language or the intake "
            "screen); it is an alert of its own, never budgeted or delayed.",
        ]
    return "\n".join(lines)


def _share(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def monitor_main(argv: Sequence[str]) -> int:
    parser = _Parser(
        prog=PROG,
        description="Each client's risk of dropout or reliable deterioration, the "
        "'needs attention' cards the alert budget allows, and the safety rule, from a "
        "caseload in JSON (see docs/alerts.md).",
    )
    parser.add_argument("file", metavar="FILE", help="the caseload as JSON ('-' = stdin)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--share", type=_share, help="share of the caseload that may carry a card (0–1]"
    )
    try:
        args = parser.parse_args(list(argv))
        text = _read(args.file)
        source = "stdin" if args.file == "-" else args.file
        report = evaluate_caseload(parse_caseload(text, share=args.share, source=source))
    except (_UsageError, InputError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(_table(report))
    return 0


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8-sig") as stream:  # a byte-order mark is fine
            return stream.read()
    except OSError as exc:
        raise _UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise _UsageError(f"{path}: not UTF-8 text") from None
