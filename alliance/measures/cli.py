"""`alliance score` and `alliance change`: the engine from the command line.

No settings, database or environment are needed. Bad input exits with status 2 and a message
on stderr that names the item and the rule.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Sequence
from typing import TextIO

from alliance.measures.change import ChangeResult, NhsOutcome, change_for, nhs_talking_therapies
from alliance.measures.instrument import ClinicalCutoff, Instrument
from alliance.measures.registry import UnknownInstrumentError, get_instrument, instrument_ids
from alliance.measures.schema import InstrumentError
from alliance.measures.scoring import Answer, ScoreResult, ScoringError, score, score_positional

EXIT_BAD_INPUT = 2
MISSING_MARKS = {"-", ""}


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so `*_main` can return a status."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse_answer(instrument: Instrument, item_index: int, text: str) -> Answer:
    """Turn one command-line or CSV cell into an answer; `-` or empty marks it missing."""
    text = text.strip()
    if text in MISSING_MARKS:
        return None
    if item_index < len(instrument.items) and instrument.items[item_index].kind == "text":
        return text
    try:
        return _number(text)
    except ValueError:
        item = instrument.items[item_index].id if item_index < len(instrument.items) else None
        raise ScoringError(item, f"wrong type: answer must be a number, got {text!r}") from None


def rule_of(cut: ClinicalCutoff) -> str:
    """The rule a cut-off follows, as a label names it: NHS Talking Therapies when its source
    cites that rule, else the source's first citation ("Spitzer et al. 2006, Arch Intern Med
    166:1092: ..." gives "Spitzer et al. 2006"). A label that says "above the cut" must say
    which cut: the GAD-7 has two (Spitzer's screening cut >= 10, NHS caseness >= 8)."""
    if "NHS Talking Therapies" in cut.source:
        return "NHS Talking Therapies"
    head = re.split(r"[:;,]", cut.source, maxsplit=1)[0].strip()
    head = re.sub(r"\s+caseness$", "", head, flags=re.IGNORECASE)
    return head[:60] or "source not named"


def _cut(instrument: Instrument, cut: ClinicalCutoff) -> str:
    op = ">=" if instrument.lower_is_better else "<="
    return f"{op} {cut.score:g}, {rule_of(cut)}"


def _human(instrument: Instrument, result: ScoreResult) -> str:
    parts = [f"{instrument.short_name} total {_fmt(result.total)}"]
    parts[0] += f" ({instrument.total_min:g}-{instrument.total_max:g})"
    if result.band_label:
        parts.append(f"band: {result.band_label}")
    if result.screening is not None and instrument.screening_cutoff is not None:
        parts.append(
            f"screening cut ({_cut(instrument, instrument.screening_cutoff)}): "
            + ("positive" if result.screening else "negative")
        )
    if result.caseness is not None and instrument.cutoff is not None:
        parts.append(
            f"caseness ({_cut(instrument, instrument.cutoff)}): "
            + ("yes" if result.caseness else "no")
        )
    for sub_id, value in result.subscales.items():
        parts.append(f"{sub_id} {_fmt(value)}")
    if result.prorated:
        parts.append("prorated (missing: " + ", ".join(result.missing) + ")")
    parts.append("flags: " + (", ".join(result.flags) if result.flags else "none"))
    if result.critical_missing:
        parts.append("unanswered critical items: " + ", ".join(result.critical_missing))
    return "; ".join(parts)


def _read_csv(instrument: Instrument, stream: TextIO) -> list[tuple[int, dict[str, Answer]]]:
    """Rows of answers. A first row made only of item ids is a header (columns by id);
    otherwise every row lists answers in item order."""
    rows = [row for row in csv.reader(stream) if any(cell.strip() for cell in row)]
    ids = [item.id for item in instrument.items]
    columns: list[int] | None = None
    start = 0
    if rows and all(cell.strip() in ids for cell in rows[0]):
        columns = [ids.index(cell.strip()) for cell in rows[0]]
        start = 1
    parsed: list[tuple[int, dict[str, Answer]]] = []
    for number, row in enumerate(rows[start:], start=start + 1):
        indexes = columns if columns is not None else list(range(len(row)))
        if len(row) != len(indexes) and columns is not None:
            raise ScoringError(
                None, f"row {number}: has {len(row)} cells, header has {len(indexes)}"
            )
        if len(row) > len(ids):
            raise ScoringError(
                None, f"row {number}: {len(row)} answers, {instrument.id!r} has {len(ids)} items"
            )
        answers: dict[str, Answer] = {}
        for index, cell in zip(indexes, row, strict=True):
            answers[ids[index]] = parse_answer(instrument, index, cell)
        parsed.append((number, answers))
    return parsed


def _load(instrument_id: str) -> Instrument:
    try:
        return get_instrument(instrument_id)
    except UnknownInstrumentError as exc:
        raise _UsageError(str(exc)) from None


def score_main(argv: list[str]) -> int:
    parser = _Parser(
        prog="alliance score",
        description="Score a response to an instrument. Answers are given in item order; "
        "- marks a missing answer.",
    )
    parser.add_argument("instrument", help="instrument id: " + ", ".join(instrument_ids()))
    parser.add_argument("answers", nargs="*", help="answers in item order")
    parser.add_argument("--csv", metavar="FILE", help="score one response per row ('-' = stdin)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    try:
        args = parser.parse_args(argv)
        instrument = _load(args.instrument)
        if args.csv:
            if args.answers:
                raise _UsageError("alliance score: give answers or --csv, not both")
            return _score_csv(instrument, args.csv, as_json=args.json)
        values = [parse_answer(instrument, i, text) for i, text in enumerate(args.answers)]
        result = score_positional(instrument, values)
    except (_UsageError, ScoringError, InstrumentError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        print(_human(instrument, result))
    return 0


def _score_csv(instrument: Instrument, path: str, *, as_json: bool) -> int:
    if path == "-":
        rows = _read_csv(instrument, sys.stdin)
    else:
        with open(path, newline="", encoding="utf-8") as stream:
            rows = _read_csv(instrument, stream)
    status = 0
    out: list[dict[str, object]] = []
    for number, answers in rows:
        try:
            result = score(instrument, answers)
        except ScoringError as exc:
            # Keep scoring the other rows; one bad row still makes the run fail.
            print(f"error: row {number}: {exc}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            out.append({"row": number, "error": str(exc)})
            continue
        out.append({"row": number, **result.as_dict()})
        if not as_json:
            print(f"row {number}: {_human(instrument, result)}")
    if as_json:
        print(json.dumps(out))
    return status


def _score_arg(text: str) -> float:
    try:
        return _number(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def change_main(argv: list[str]) -> int:
    parser = _change_parser()
    try:
        args = parser.parse_args(argv)
        instrument = _load(args.instrument)
        result = change_for(
            instrument,
            args.before,
            args.after,
            sd=args.sd,
            reliability=args.reliability,
            cutoff=args.cutoff,
        )
        nhs = _nhs_outcome(instrument, args)
    except (_UsageError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        data: dict[str, object] = result.as_dict()
        if nhs is not None:
            data["nhs_talking_therapies"] = nhs.as_dict()
        print(json.dumps(data))
        return 0
    _print_change(instrument, result, nhs)
    return 0


def _change_parser() -> _Parser:
    parser = _Parser(
        prog="alliance change",
        description="Reliable change (Jacobson & Truax 1991) between two totals; with both "
        "PHQ-9 and GAD-7 also the NHS Talking Therapies flags, e.g. "
        "`alliance change phq9 18 7 --gad7 14 5`.",
    )
    parser.add_argument("instrument", help="instrument id: " + ", ".join(instrument_ids()))
    parser.add_argument("before", type=_score_arg, help="total at the first measure")
    parser.add_argument("after", type=_score_arg, help="total at the last measure")
    for other in ("phq9", "gad7"):
        parser.add_argument(
            f"--{other}",
            nargs=2,
            type=_score_arg,
            metavar=("BEFORE", "AFTER"),
            help=f"{other} totals too, for the NHS Talking Therapies flags",
        )
    parser.add_argument("--sd", type=float, help="reference SD (overrides the instrument's)")
    parser.add_argument("--reliability", type=float, help="reliability (overrides)")
    parser.add_argument("--cutoff", type=float, help="clinical cut-off (overrides)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _nhs_outcome(instrument: Instrument, args: argparse.Namespace) -> NhsOutcome | None:
    """The NHS Talking Therapies flags when both PHQ-9 and GAD-7 totals were given."""
    pairs = {instrument.id: (args.before, args.after)}
    for other in ("phq9", "gad7"):
        given = getattr(args, other)
        if given is not None:
            if other == instrument.id:
                raise _UsageError(f"alliance change: --{other} repeats the instrument")
            change_for(get_instrument(other), *given)  # range check
            pairs[other] = (given[0], given[1])
    nhs = None
    if "phq9" in pairs and "gad7" in pairs:
        whole = [v for pair in pairs.values() for v in pair]
        if not all(float(v).is_integer() for v in whole):
            raise _UsageError("alliance change: PHQ-9 and GAD-7 totals are whole numbers")
        nhs = nhs_talking_therapies(
            int(pairs["phq9"][0]),
            int(pairs["phq9"][1]),
            int(pairs["gad7"][0]),
            int(pairs["gad7"][1]),
        )
    elif len(pairs) > 1:
        raise _UsageError("alliance change: the NHS flags need both phq9 and gad7")
    return nhs


def _print_change(instrument: Instrument, result: ChangeResult, nhs: NhsOutcome | None) -> None:
    print(
        f"{instrument.short_name} {_fmt(result.pre)} -> {_fmt(result.post)} "
        f"(change {result.difference:+g}); RCI {result.rci:.2f}; "
        f"reliable change needs more than {result.threshold_95:.2f} points at 95% "
        f"({result.threshold_90:.2f} at 90%); "
        f"reliable at 95%: {'yes' if result.reliable_95 else 'no'}; "
        f"Jacobson & Truax: {result.classification.value}"
    )
    if nhs is not None:
        flags = [
            name.replace("_", " ")
            for name in ("recovery", "reliable_improvement", "reliable_deterioration")
            if getattr(nhs, name)
        ]
        if nhs.reliable_recovery:
            flags.append("reliable recovery")
        print(
            "NHS Talking Therapies: caseness at first "
            f"{'yes' if nhs.caseness_first else 'no'}, at last "
            f"{'yes' if nhs.caseness_last else 'no'}; " + (", ".join(flags) or "no change flags")
        )


def _main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - for python -m
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "change":
        return change_main(args[1:])
    return score_main(args[1:] if args and args[0] == "score" else args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())
