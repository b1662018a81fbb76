"""The measures engine imports no Django and no other part of Alliance."""

from __future__ import annotations

import subprocess
import sys

MODULES = ["change", "cli", "fhir", "registry", "reliability", "schema", "scoring", "trajectories"]


def test_engine_imports_with_django_blocked():
    code = (
        "import sys\n"
        "sys.modules['django'] = None\n"
        + "".join(f"import alliance.measures.{m}\n" for m in MODULES)
        + "bad = [m for m in sys.modules if m.startswith('alliance.') and not "
        "m.startswith('alliance.measures')]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
