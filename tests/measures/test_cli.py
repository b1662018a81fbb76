"""The `alliance score` / `alliance change` command line, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLIANCE = ROOT / ".venv" / "bin" / "alliance"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [str(ALLIANCE), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_score_prints_total_band_and_flags():
    done = run("score", "phq9", "3", "3", "3", "2", "2", "2", "1", "1", "1")
    assert done.returncode == 0, done.stderr
    assert "PHQ-9 total 18" in done.stdout
    assert "Moderately severe" in done.stdout
    assert "phq9_item9" in done.stdout


@pytest.mark.parametrize(
    ("answers", "screening", "caseness"),
    [
        (["1", "1", "1", "1", "2", "1", "1"], "negative", "yes"),  # 8
        (["2", "2", "2", "1", "1", "1", "1"], "positive", "yes"),  # 10
        (["1", "1", "1", "1", "1", "1", "1"], "negative", "no"),  # 7
    ],
)
def test_score_text_shows_both_gad7_cuts_each_naming_its_rule(answers, screening, caseness):
    done = run("score", "gad7", *answers)
    assert done.returncode == 0, done.stderr
    assert f"screening cut (>= 10, Spitzer et al. 2006): {screening}" in done.stdout
    assert f"caseness (>= 8, NHS Talking Therapies): {caseness}" in done.stdout
    as_json = json.loads(run("score", "gad7", *answers, "--json").stdout)
    assert as_json["screening"] is (screening == "positive")
    assert as_json["caseness"] is (caseness == "yes")


def test_score_text_shows_both_phq9_cuts():
    done = run("score", "phq9", "2", "1", "2", "1", "1", "0", "1", "0", "1")
    assert "screening cut (>= 10, Kroenke et al. 2001): negative" in done.stdout
    assert "caseness (>= 10, NHS Talking Therapies): no" in done.stdout


def test_score_text_has_no_cut_for_an_instrument_without_one():
    done = run("score", "alliance_checkin", "6", "5", "5", "4", "6", "6")
    assert "screening" not in done.stdout and "caseness" not in done.stdout


def test_score_json_has_total_subscales_band_and_flags():
    done = run("score", "gad7", "1", "1", "1", "1", "1", "0", "0", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["total"] == 5
    assert data["subscales"] == {}
    assert data["band"] == "mild"
    assert data["flags"] == []


def test_score_dash_marks_a_missing_answer_and_prorates():
    done = run("score", "phq9", "2", "2", "2", "2", "2", "2", "2", "-", "-", "--json")
    data = json.loads(done.stdout)
    assert data["total"] == 18 and data["prorated"] is True
    assert data["missing"] == ["phq9_8", "phq9_9"]


def test_score_checkin_reports_subscales():
    done = run("score", "alliance_checkin", "6", "4", "5", "5", "3", "4", "--json")
    data = json.loads(done.stdout)
    assert data["subscales"] == {"goal": 5.0, "task": 5.0, "bond": 3.5}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["phq9", "0", "4", "0", "0", "0", "0", "0", "0", "0"],
            "item 'phq9_2': value 4 is out of range",
        ),
        (["phq9", "0", "x", "0", "0", "0", "0", "0", "0", "0"], "item 'phq9_2': wrong type"),
        (["phq9", "0", "-", "-", "-", "0", "0", "0", "0", "0"], "too many missing items"),
        (["gad7", "0", "0"], "too few answers"),
        (["nope", "1"], "unknown instrument 'nope'"),
    ],
)
def test_score_bad_input_exits_2_with_a_message_naming_item_and_rule(args, message):
    done = run("score", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""


def test_score_csv_with_header_maps_columns_by_item_id(tmp_path: Path):
    path = tmp_path / "answers.csv"
    ids = ",".join(f"gad7_{n}" for n in range(7, 0, -1))  # reversed column order
    path.write_text(f"{ids}\n3,0,0,0,0,0,0\n1,1,1,1,1,1,-\n", encoding="utf-8")
    done = run("score", "gad7", "--csv", str(path), "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["total"] for r in rows] == [3, 7]
    assert rows[1]["missing"] == ["gad7_1"]


def test_score_csv_without_header_reads_item_order_and_fails_on_a_bad_row(tmp_path: Path):
    path = tmp_path / "answers.csv"
    path.write_text("0,0,0,0,0,0,0\n0,0,0,9,0,0,0\n1,1,1,1,1,1,1\n", encoding="utf-8")
    done = run("score", "gad7", "--csv", str(path))
    assert done.returncode == 2
    assert "row 1: GAD-7 total 0" in done.stdout
    assert "row 3: GAD-7 total 7" in done.stdout
    assert "row 2: item 'gad7_4': value 9 is out of range" in done.stderr


def test_change_reports_rci_and_classification():
    done = run("change", "phq9", "18", "7")
    assert done.returncode == 0, done.stderr
    assert "RCI -3.91" in done.stdout
    assert "recovered" in done.stdout


def test_change_json_with_both_measures_adds_nhs_flags():
    done = run("change", "phq9", "18", "7", "--gad7", "14", "5", "--json")
    data = json.loads(done.stdout)
    assert data["classification"] == "recovered"
    assert data["reliable_95"] is True
    assert data["nhs_talking_therapies"]["reliable_recovery"] is True


def test_change_can_start_from_gad7():
    done = run("change", "gad7", "14", "12", "--phq9", "18", "7", "--json")
    data = json.loads(done.stdout)
    assert data["classification"] == "unchanged"
    assert data["nhs_talking_therapies"]["recovery"] is False  # GAD-7 12 is still a case


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["phq9", "30", "2"], "before score 30 is out of range"),
        (["phq9", "x", "2"], "not a number"),
        (["alliance_checkin", "3", "5"], "no reference SD"),
        (["phq9", "18", "7", "--phq9", "1", "2"], "repeats the instrument"),
    ],
)
def test_change_bad_input_exits_2(args, message):
    done = run("change", *args)
    assert done.returncode == 2
    assert message in done.stderr
