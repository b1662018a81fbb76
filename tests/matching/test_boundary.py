from __future__ import annotations

import subprocess
import sys


def test_the_engine_imports_without_django_or_other_parts_of_the_app():
    code = (
        "import sys, alliance.matching, alliance.matching.assign, alliance.matching.learn;"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')"
        " or (m.startswith('alliance.') and not m.startswith('alliance.matching'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
