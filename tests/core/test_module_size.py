"""Modules a newcomer can read: no module of the app (migrations aside) is over 500 lines and
no function or method is over 80. A failure names every offender, so a split can be planned
from one run."""

from __future__ import annotations

import ast
from pathlib import Path

import alliance

PACKAGE = Path(alliance.__file__).resolve().parent
ROOT = PACKAGE.parent
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_walk_finds_the_app_and_skips_migrations():
    names = {_name(p) for p in _modules()}
    assert "alliance/settings.py" in names
    assert not any("/migrations/" in n for n in names)


def test_no_module_is_over_500_lines():
    long = []
    for path in _modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            long.append(f"{_name(path)}: {lines} lines")
    assert not long, f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(long)


def test_no_function_is_over_80_lines():
    long = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{_name(path)}:{node.lineno} {node.name}: {lines} lines")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(sorted(long))
