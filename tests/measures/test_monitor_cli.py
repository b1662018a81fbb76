"""`alliance monitor FILE`: risks, cards under the budget and the safety rule, from JSON.

The tests hold to what does not depend on the shipped prior's weights (which are refitted):
the output's shape, the budget's cap, must-open and hysteresis (with thresholds set around
the risks the model gives), and the one-line errors of malformed input.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.cli import ENGINE_COMMANDS, main
from alliance.measures.alerts import ClientHistory, risk
from alliance.measures.monitor_cli import evaluate_caseload
from alliance.measures.monitor_input import MAX_SESSION, InputError, parse_caseload

FIXTURE = Path(__file__).parent / "fixtures" / "monitor_caseload.json"


def _alliance() -> str:
    sibling = Path(sys.executable).with_name("alliance")
    found = str(sibling) if sibling.exists() else shutil.which("alliance")
    assert found, "the alliance console script is not installed"
    return found


def fixture() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return document


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    status = main(["monitor", *args, "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert err == ""
    report: dict[str, Any] = json.loads(out)
    return report


def write(tmp_path: Path, document: object) -> str:
    path = tmp_path / "caseload.json"
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return str(path)


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report["clients"]}


# -- output -----------------------------------------------------------------------------------


def test_monitor_is_an_engine_command():
    assert "monitor" in ENGINE_COMMANDS


def test_json_has_model_budget_and_one_row_per_client_in_file_order(capsys):
    report = run_json(capsys, str(FIXTURE))
    assert set(report) == {"model", "budget", "clients"}
    assert report["model"]["horizon"] == risk.HORIZON
    assert report["model"]["source"] == risk.PRIOR.source
    assert [c["id"] for c in report["clients"]] == [c["id"] for c in fixture()["clients"]]
    for client in report["clients"]:
        assert {"id", "risk", "flag", "frequency", "reasons", "safety"} <= set(client)
        assert 0 < client["risk"] < 1
        assert isinstance(client["flag"], bool) and isinstance(client["safety"], bool)
        n, d = risk.frequency(client["risk"])
        assert client["frequency"] == f"about {n} in {d}"
        assert re.fullmatch(r"about \d+ in 10+", client["frequency"])
        contributions = [r["contribution"] for r in client["reasons"]]
        assert contributions == sorted(contributions, reverse=True)
        for reason in client["reasons"]:
            assert reason["signal"] in risk.SIGNALS
            assert reason["contribution"] > 0
            assert set(reason["values"]) <= set(risk.FEATURE_NAMES)


def test_each_risk_and_its_reasons_are_those_of_assess(capsys):
    report = run_json(capsys, str(FIXTURE))
    caseload = parse_caseload(FIXTURE.read_text(encoding="utf-8"))
    for row, client in zip(report["clients"], caseload.clients, strict=True):
        alone = risk.assess(client.history)
        assert row["risk"] == alone.probability
        assert row["session"] == alone.session
        assert [r["signal"] for r in row["reasons"]] == [r.signal for r in alone.reasons]
        assert [r["values"] for r in row["reasons"]] == [r.values for r in alone.reasons]


@pytest.mark.parametrize("share", ["0.01", "0.2", "0.5", "1"])
def test_new_cards_never_exceed_the_budget(capsys, share):
    report = run_json(capsys, str(FIXTURE), "--share", share)
    clients = report["clients"]
    n = len(clients)
    cap = max(1, math.floor(float(share) * n + 1e-9))
    assert report["budget"]["cap"] == cap
    assert report["budget"]["share"] == float(share)
    was_open = {c["id"] for c in fixture()["clients"] if c.get("open")}
    must = [c for c in clients if c["must_open"]]
    new = [c for c in clients if c["flag"] and not c["must_open"] and c["id"] not in was_open]
    assert len(new) <= cap
    assert sum(c["flag"] for c in clients) <= cap + len(must) + len(was_open)
    assert report["budget"]["flagged"] == sum(c["flag"] for c in clients)


@pytest.mark.parametrize("share", [0.25, 0.5, 1.0])
def test_with_every_client_eligible_the_highest_risks_fill_the_room_left(capsys, tmp_path, share):
    # given thresholds nearly every risk reaches, so that mostly the budget decides
    document = fixture()
    document["budget"] = {"share": share, "open_at": 0.03, "close_below": 0.03}
    # when
    report = run_json(capsys, write(tmp_path, document))
    # then open and must-open cards stay, and the highest other risks take what is left
    clients = report["clients"]
    was_open = {c["id"] for c in document["clients"] if c.get("open")}
    on_top = {i for i, c in enumerate(clients) if c["high"]}
    held = [
        i for i, c in enumerate(clients) if i in on_top or c["must_open"] or c["id"] in was_open
    ]
    # high cards come on top of the budget; must-open and open ones use its room
    room = max(0, report["budget"]["cap"] - sum(1 for i in held if i not in on_top))
    others = sorted(
        (i for i in range(len(clients)) if i not in held), key=lambda i: (-clients[i]["risk"], i)
    )
    expected = set(held) | set(others[:room])
    assert {i for i, c in enumerate(clients) if c["flag"]} == expected


def test_three_missed_sessions_open_a_card_whatever_the_budget(capsys, tmp_path):
    # given a budget whose single card is held by an open card, and thresholds no risk meets
    document = fixture()
    document["budget"] = {"share": 0.01, "open_at": 0.98, "close_below": 0.97}
    # when
    report = run_json(capsys, write(tmp_path, document))
    # then the client with three missed sessions of the last four still has a card
    missed = by_id(report)["three-missed"]
    assert missed["must_open"] is True
    assert missed["flag"] is True
    assert [c["id"] for c in report["clients"] if c["must_open"]] == ["three-missed"]


def test_the_item9_client_is_a_safety_case_and_safety_is_not_in_the_risk(capsys, tmp_path):
    report = run_json(capsys, str(FIXTURE))
    rows = by_id(report)
    assert rows["item9"]["safety"] is True
    assert [c["id"] for c in report["clients"] if c["safety"]] == ["item9"]
    # without the item-9 answer the risk, the reasons and the flag stay as they were
    document = fixture()
    for point in next(c for c in document["clients"] if c["id"] == "item9")["outcomes"]:
        point["item9"] = 0
    calm = by_id(run_json(capsys, write(tmp_path, document)))["item9"]
    assert calm["safety"] is False
    assert {k: v for k, v in calm.items() if k != "safety"} == {
        k: v for k, v in rows["item9"].items() if k != "safety"
    }


@pytest.mark.parametrize(
    "signals",
    [
        {"crisis_flags": 2},
        {"crisis_flags": [{"source": "message"}]},
        {"intake_screen_positive": True},
    ],
)
def test_crisis_flags_and_the_intake_screen_are_safety_not_risk(capsys, tmp_path, signals):
    plain = {"id": "a", "checkins": [{"session": 1, "bond": 0.7}]}
    before = by_id(run_json(capsys, write(tmp_path, {"clients": [plain]})))["a"]
    after = by_id(run_json(capsys, write(tmp_path, {"clients": [{**plain, **signals}]})))["a"]
    assert (before["safety"], after["safety"]) == (False, True)
    assert after["risk"] == before["risk"] and after["flag"] == before["flag"]


def _risk_of(capsys: pytest.CaptureFixture[str], tmp_path: Path, client: dict[str, Any]) -> float:
    return float(
        by_id(run_json(capsys, write(tmp_path, {"clients": [client]})))[client["id"]]["risk"]
    )


def test_an_open_card_stays_open_between_the_thresholds_and_a_closed_one_stays_closed(
    capsys, tmp_path
):
    client = next(c for c in fixture()["clients"] if c["id"] == "falling-bond")
    r = _risk_of(capsys, tmp_path, client)
    budget = {"share": 1.0, "open_at": min(r + 0.05, 0.99), "close_below": max(r - 0.05, 0.01)}
    for was_open in (True, False):
        document = {"budget": budget, "clients": [{**client, "open": was_open}]}
        row = by_id(run_json(capsys, write(tmp_path, document)))["falling-bond"]
        assert row["flag"] is was_open


def test_an_open_card_closes_below_the_close_threshold(capsys, tmp_path):
    client = next(c for c in fixture()["clients"] if c["id"] == "falling-bond")
    r = _risk_of(capsys, tmp_path, client)
    budget = {"share": 1.0, "open_at": min(r + 0.1, 0.99), "close_below": min(r + 0.05, 0.98)}
    document = {"budget": budget, "clients": [{**client, "open": True}]}
    assert by_id(run_json(capsys, write(tmp_path, document)))["falling-bond"]["flag"] is False


def test_an_open_card_is_not_displaced_by_a_higher_new_risk(capsys, tmp_path):
    # given two clients, the second worse on every signal, and a budget of one card
    held = {
        "id": "held",
        "open": True,
        "checkins": [{"session": s, "goal": 0.8, "task": 0.8, "bond": 0.8} for s in (1, 2, 3)],
        "attendance": [{"session": s, "status": "attended"} for s in (1, 2, 3)],
    }
    worse = {
        "id": "worse",
        "checkins": [
            {"session": 1, "goal": 0.8, "task": 0.8, "bond": 0.8},
            {"session": 2, "goal": 0.8, "task": 0.8, "bond": 0.8},
            {"session": 4, "goal": 0.4, "task": 0.4, "bond": 0.4},
        ],
        "attendance": [
            {"session": 1, "status": "attended"},
            {"session": 2, "status": "attended"},
            {"session": 3, "status": "no_show"},
            {"session": 4, "status": "attended", "late_minutes": 20},
        ],
        "outcomes": [
            {"instrument": "phq9", "session": 1, "total": 12},
            {"instrument": "phq9", "session": 4, "total": 20, "on_track": False},
        ],
    }
    r_held = _risk_of(capsys, tmp_path, held)
    r_worse = _risk_of(capsys, tmp_path, worse)
    assert r_worse > r_held
    # the worse risk is eligible but not "high" (twice the opening risk), so it waits
    budget = {"share": 0.01, "open_at": max(r_held, 0.6 * r_worse), "close_below": r_held}
    # when
    report = run_json(capsys, write(tmp_path, {"budget": budget, "clients": [held, worse]}))
    # then the therapist keeps the card already open
    assert [c["flag"] for c in report["clients"]] == [True, False]


def test_share_in_the_file_and_the_option(capsys, tmp_path):
    document = fixture()
    document["budget"] = {"share": 0.5}
    assert run_json(capsys, write(tmp_path, document))["budget"]["cap"] == 4
    assert run_json(capsys, write(tmp_path, document), "--share", "0.25")["budget"]["cap"] == 2


def test_an_empty_caseload_has_no_cards(capsys, tmp_path):
    report = run_json(capsys, write(tmp_path, {"clients": []}))
    assert report["clients"] == []
    assert report["budget"]["cap"] == 0


def test_a_client_with_no_data_has_the_base_risk_and_no_reasons(capsys, tmp_path):
    report = run_json(capsys, write(tmp_path, {"clients": [{"id": 7}]}))
    row = report["clients"][0]
    assert row["id"] == 7
    assert row["reasons"] == [] and row["session"] == 0
    assert row["risk"] == risk.assess(ClientHistory()).probability


def test_reads_stdin_with_a_dash(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(FIXTURE.read_text(encoding="utf-8")))
    assert len(run_json(capsys, "-")["clients"]) == len(fixture()["clients"])


def test_without_json_prints_a_table(capsys):
    assert main(["monitor", str(FIXTURE)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith("8 clients, ")
    header = next(line for line in lines if line.startswith("client"))
    assert "risk" in header and "card" in header and "safety" in header
    for client in fixture()["clients"]:
        assert any(line.startswith(client["id"] + " ") for line in lines)
    item9 = next(line for line in lines if line.startswith("item9 "))
    assert "SAFETY" in item9
    missed = next(line for line in lines if line.startswith("three-missed "))
    assert "missed" in missed.split()


def test_runs_as_a_process_with_no_environment():
    done = subprocess.run(
        [_alliance(), "monitor", str(FIXTURE), "--json"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", os.defpath)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    report = json.loads(done.stdout)
    assert len(report["clients"]) == len(fixture()["clients"])
    assert by_id(report)["three-missed"]["flag"] is True
    assert by_id(report)["item9"]["safety"] is True


def test_a_bad_file_as_a_process_is_one_line_without_a_traceback(tmp_path):
    done = subprocess.run(
        [_alliance(), "monitor", write(tmp_path, '{"clients": [1]}')],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", os.defpath)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert (
        done.stderr
        == "alliance monitor: clients[0]: wrong type: expected an object, got a number\n"
    )


def test_runs_with_django_absent():
    code = (
        "import sys\n"
        "sys.modules['django'] = None\n"
        "from alliance.cli import main\n"
        f"status = main(['monitor', {str(FIXTURE)!r}, '--json'])\n"
        "assert status == 0, status\n"
        "bad = [m for m in sys.modules if m.startswith('django.')]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", os.defpath)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# -- malformed input --------------------------------------------------------------------------


def _client(**fields: Any) -> dict[str, Any]:
    return {"id": "a", **fields}


CHECKIN = {"session": 1, "goal": 0.8, "task": 0.8, "bond": 0.8}
ATTENDED = {"session": 1, "status": "attended"}
PHQ9 = {"instrument": "phq9", "session": 1, "total": 12, "item9": 0}

BAD: list[tuple[str, object, str]] = [
    ("not JSON", '{"clients": [', "caseload.json: not valid JSON: Expecting value (line 1"),
    ("not an object", "[]", "caseload.json: wrong type: expected an object, got a list"),
    ("missing clients", {"budget": {}}, "caseload.json: missing 'clients'"),
    ("unknown top key", {"clients": [], "clinets": []}, "caseload.json: unknown key 'clinets'"),
    ("clients not a list", {"clients": {}}, "clients: wrong type: expected a list, got an object"),
    (
        "non-object client",
        {"clients": [_client(), "b"]},
        "clients[1]: wrong type: expected an object, got a string",
    ),
    (
        "rating above 1",
        {"clients": [_client(), _client(id="b", checkins=[{**CHECKIN, "bond": 1.4}])]},
        "clients[1].checkins[0].bond: 1.4 is not on the 0–1 scale",
    ),
    (
        "rating below 0",
        {"clients": [_client(checkins=[{**CHECKIN, "therapist_task": -0.1}])]},
        "clients[0].checkins[0].therapist_task: -0.1 is not on the 0–1 scale",
    ),
    (
        "rating as text",
        {"clients": [_client(checkins=[{**CHECKIN, "goal": "high"}])]},
        "clients[0].checkins[0].goal: wrong type: expected a number, got a string",
    ),
    (
        "unknown attendance status",
        {"clients": [_client(attendance=[{"session": 1, "status": "absent"}])]},
        'clients[0].attendance[0].status: unknown attendance status "absent"',
    ),
    (
        "negative session",
        {"clients": [_client(checkins=[{**CHECKIN, "session": -1}])]},
        "clients[0].checkins[0].session: session -1 is not a session number",
    ),
    (
        "session zero",
        {"clients": [_client(attendance=[{**ATTENDED, "session": 0}])]},
        "clients[0].attendance[0].session: session 0 is not a session number",
    ),
    (
        "session beyond the bound",
        {"clients": [_client(attendance=[{**ATTENDED, "session": MAX_SESSION + 1}])]},
        f"clients[0].attendance[0].session: session {MAX_SESSION + 1} is beyond",
    ),
    (
        "session as text",
        {"clients": [_client(checkins=[{**CHECKIN, "session": "3"}])]},
        "clients[0].checkins[0].session: wrong type: expected a session number",
    ),
    (
        "session as a fraction",
        {"clients": [_client(outcomes=[{**PHQ9, "session": 1.5}])]},
        "clients[0].outcomes[0].session: wrong type: expected a session number",
    ),
    (
        "duplicate check-in sessions",
        {"clients": [_client(checkins=[CHECKIN, {**CHECKIN, "bond": 0.5}])]},
        "clients[0].checkins[1]: session 1 appears twice (also checkins[0])",
    ),
    (
        "duplicate attendance sessions",
        {"clients": [_client(attendance=[ATTENDED, {"session": 1, "status": "no_show"}])]},
        "clients[0].attendance[1]: session 1 appears twice (also attendance[0])",
    ),
    (
        "duplicate scores",
        {"clients": [_client(outcomes=[PHQ9, {**PHQ9, "total": 14}])]},
        "clients[0].outcomes[1].session: a second phq9 score at session 1 (also outcomes[0])",
    ),
    (
        "duplicate skipped check-ins",
        {"clients": [_client(skipped_checkins=[2, 2])]},
        "clients[0].skipped_checkins[1]: session 2 appears twice",
    ),
    (
        "skipped check-in with a check-in",
        {"clients": [_client(checkins=[CHECKIN], skipped_checkins=[1])]},
        "clients[0].skipped_checkins[0]: session 1 has a check-in",
    ),
    (
        "skipped check-in of a missed session",
        {
            "clients": [
                _client(attendance=[{"session": 1, "status": "no_show"}], skipped_checkins=[1])
            ]
        },
        "clients[0].skipped_checkins[0]: session 1 was not attended (no_show)",
    ),
    (
        "open as text",
        {"clients": [_client(open="yes")]},
        "clients[0].open: wrong type: expected true or false, got a string",
    ),
    (
        "fractional message count",
        {"clients": [_client(messages_per_week=[2, 2.5])]},
        "clients[0].messages_per_week[1]: wrong type: expected a whole number, got a number",
    ),
    (
        "negative message count",
        {"clients": [_client(messages_per_week=[2, -1])]},
        "clients[0].messages_per_week[1]: must be 0 or more, got -1",
    ),
    (
        "goals as a list",
        {"clients": [_client(goals=[True, 3])]},
        "clients[0].goals: wrong type: expected an object, got a list",
    ),
    (
        "goals missing a field",
        {"clients": [_client(goals={"co_agreed": True})]},
        "clients[0].goals: missing 'sessions_since_start'",
    ),
    ("missing id", {"clients": [{"checkins": []}]}, "clients[0]: missing 'id'"),
    (
        "id a boolean",
        {"clients": [{"id": True}]},
        "clients[0].id: wrong type: expected a non-empty",
    ),
    (
        "duplicate id",
        {"clients": [_client(), _client()]},
        'clients[1].id: id "a" is used twice (also clients[0])',
    ),
    (
        "unknown client key",
        {"clients": [_client(bnod=0.5)]},
        "clients[0]: unknown key 'bnod' (expected one of: id, open,",
    ),
    (
        "unknown check-in key",
        {"clients": [_client(checkins=[{**CHECKIN, "bnod": 0.5}])]},
        "clients[0].checkins[0]: unknown key 'bnod'",
    ),
    (
        "key given twice",
        '{"clients": [{"id": "a", "id": "b"}]}',
        "clients[0]: key 'id' is given twice",
    ),
    (
        "NaN",
        '{"clients": [{"id": "a", "checkins": [{"session": 1, "bond": NaN}]}]}',
        "not valid JSON: NaN is not a number in JSON",
    ),
    (
        "overflowing number",
        '{"clients": [{"id": "a", "checkins": [{"session": 1, "bond": 1e400}]}]}',
        "clients[0].checkins[0].bond: inf is not a finite number",
    ),
    (
        "total out of range",
        {"clients": [_client(outcomes=[{**PHQ9, "total": 30}])]},
        "clients[0].outcomes[0].total: 30 is outside the PHQ-9 range 0–27",
    ),
    (
        "unknown instrument",
        {"clients": [_client(outcomes=[{**PHQ9, "instrument": "phq-9"}])]},
        "clients[0].outcomes[0].instrument: unknown instrument 'phq-9'",
    ),
    (
        "item 9 out of range",
        {"clients": [_client(outcomes=[{**PHQ9, "item9": 4}])]},
        "clients[0].outcomes[0].item9: 4 is not an item 9 answer (0–3)",
    ),
    (
        "item 9 on the GAD-7",
        {"clients": [_client(outcomes=[{**PHQ9, "instrument": "gad7", "total": 5, "item9": 1}])]},
        "clients[0].outcomes[0].item9: item 9 belongs to the PHQ-9, not to gad7",
    ),
    (
        "on_track as a number",
        {"clients": [_client(outcomes=[{**PHQ9, "on_track": 1}])]},
        "clients[0].outcomes[0].on_track: wrong type: expected true or false or null",
    ),
    (
        "negative lateness",
        {"clients": [_client(attendance=[{**ATTENDED, "late_minutes": -5}])]},
        "clients[0].attendance[0].late_minutes: must be 0 or more, got -5",
    ),
    (
        "negative crisis count",
        {"clients": [_client(crisis_flags=-1)]},
        "clients[0].crisis_flags: must be 0 or more, got -1",
    ),
    (
        "unknown crisis source",
        {"clients": [_client(crisis_flags=[{"source": "journal"}])]},
        'clients[0].crisis_flags[0].source: unknown source "journal"',
    ),
    (
        "budget share zero",
        {"budget": {"share": 0}, "clients": []},
        "budget: budget share must be in (0, 1], got 0",
    ),
    (
        "budget thresholds crossed",
        {"budget": {"open_at": 0.1, "close_below": 0.2}, "clients": []},
        "budget: budget needs 0 < close_below <= open_at < 1",
    ),
    ("unknown budget key", {"budget": {"cap": 3}, "clients": []}, "budget: unknown key 'cap'"),
]


@pytest.mark.parametrize(
    ("document", "message"), [(d, m) for _, d, m in BAD], ids=[name for name, _, _ in BAD]
)
def test_malformed_input_exits_2_with_one_line_naming_the_problem(
    capsys, tmp_path, document, message
):
    status = main(["monitor", write(tmp_path, document), "--json"])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("alliance monitor: ")
    assert message in err, err


KEYS = ["session", "status", "goal", "bond", "total", "instrument", "item9", "source", "x"]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 30)
    | st.floats(-2, 30, allow_nan=False)
    | st.sampled_from(["phq9", "gad7", "attended", "no_show", "message", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=10,
)


@given(
    st.sampled_from(
        [
            "id",
            "open",
            "checkins",
            "outcomes",
            "attendance",
            "messages_per_week",
            "skipped_checkins",
            "goals",
            "crisis_flags",
            "intake_screen_positive",
        ]
    ),
    json_values,
)
def test_any_value_anywhere_gives_a_report_or_one_input_error(key, value):
    document = fixture()
    document["clients"][7][key] = value
    try:
        report = evaluate_caseload(parse_caseload(json.dumps(document)))
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("clients[7]")
    else:
        assert len(report["clients"]) == len(document["clients"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--share", "1.5"], "--share: budget share must be in (0, 1], got 1.5"),
        (["--share", "0"], "--share: budget share must be in (0, 1], got 0"),
        (["--share", "lots"], "argument --share: not a number: 'lots'"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_options_exit_2_with_one_line(capsys, args, message):
    status = main(["monitor", str(FIXTURE), *args])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("alliance monitor: ")
    assert message in err, err


def test_a_missing_file_exits_2_with_one_line(capsys, tmp_path):
    missing = tmp_path / "nowhere.json"
    status = main(["monitor", str(missing)])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err == f"alliance monitor: {missing}: cannot read: No such file or directory\n"


def test_no_file_exits_2_with_one_line(capsys):
    status = main(["monitor"])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err == "alliance monitor: the following arguments are required: FILE\n"


def test_a_file_that_is_not_text_exits_2_with_one_line(capsys, tmp_path):
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe{}")
    status = main(["monitor", str(path)])
    _, err = capsys.readouterr()
    assert status == 2
    assert err == f"alliance monitor: {path}: not UTF-8 text\n"
