"""The `alliance` console command.

`alliance score`, `alliance change` and `alliance monitor` run the pure measures engine and
need no settings, database or environment; every other sub-command is a Django management
command (`alliance demo`, `alliance serve`, `alliance worker`, `alliance seed-demo`, ...).
"""

from __future__ import annotations

import os
import sys


def _score(args: list[str]) -> int:
    from alliance.measures.cli import score_main

    return int(score_main(args))


def _change(args: list[str]) -> int:
    from alliance.measures.cli import change_main

    return int(change_main(args))


def _monitor(args: list[str]) -> int:
    from alliance.measures.monitor_cli import monitor_main

    return int(monitor_main(args))


# Sub-commands answered by the pure engine, without importing Django (imported when run).
ENGINE_COMMANDS = {"score": _score, "change": _change, "monitor": _monitor}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ENGINE_COMMANDS:
        return ENGINE_COMMANDS[args[0]](args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["alliance", *args])
    except ImproperlyConfigured as exc:
        # A missing or bad setting is the operator's to fix, not a bug: one line that says
        # which, instead of a traceback through Django's start-up.
        print(f"alliance: configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
