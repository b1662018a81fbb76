"""ALERT_BUDGET_SHARE: a number above 0 and at most 1, or start-up stops with a message."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def check(value: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ALERT_BUDGET_SHARE"}
    return subprocess.run(
        [sys.executable, "-m", "alliance.cli", "check"],
        cwd=ROOT,
        env={**env, "ALLIANCE_TESTING": "1", "ALERT_BUDGET_SHARE": value},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("value", ["abc", "0", "-0.2", "1.5", "20%", "nan"])
def test_a_bad_share_stops_start_up_with_a_message(value):
    done = check(value)
    assert done.returncode == 2
    assert "ALERT_BUDGET_SHARE must be above 0 and at most 1" in done.stderr
    assert repr(value) in done.stderr


@pytest.mark.parametrize("value", ["0.2", "1", ".5"])
def test_a_share_in_range_starts(value):
    assert check(value).returncode == 0
