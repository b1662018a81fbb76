"""A missing or bad setting is one line on stderr and exit status 2, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

ALLIANCE = str(ROOT / ".venv" / "bin" / "alliance")


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLIANCE_TESTING", "DJANGO_SETTINGS_MODULE"}
        and k not in env
    }
    command = [ALLIANCE] if os.path.exists(ALLIANCE) else [sys.executable, "-m", "alliance.cli"]
    return subprocess.run(
        [*command, *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SECRET_KEY"),
        ({"DEBUG": "1", "SAFETY_ACK_MINUTES": "soon"}, "SAFETY_ACK_MINUTES"),
        ({"DEBUG": "1", "DATABASE_URL": "nonsense://somewhere"}, "DATABASE_URL"),
    ],
)
def test_a_configuration_error_is_one_line(env, named):
    done = run("check", **env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("alliance: configuration error:") and named in lines[0]
    assert "Traceback" not in done.stderr


def test_the_engine_commands_still_need_no_settings():
    done = run("score", "phq9", "0", "0", "0", "0", "0", "0", "0", "0", "0")
    assert done.returncode == 0 and "PHQ-9 total 0" in done.stdout
