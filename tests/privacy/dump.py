"""Read the whole test database as bytes, the way a stolen backup would be read."""

from __future__ import annotations

import subprocess
from pathlib import Path

from django.db import connection


def database_dump() -> bytes:
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        # Read the file and its write-ahead log as they are, as a copied backup would be.
        path = Path(settings["NAME"])
        data = path.read_bytes()
        for suffix in ("-wal", "-journal"):
            extra = Path(str(path) + suffix)
            if extra.exists():
                data += extra.read_bytes()
        return data
    env = {"PGPASSWORD": settings.get("PASSWORD") or ""}
    result = subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            "-h",
            settings.get("HOST") or "127.0.0.1",
            "-p",
            str(settings.get("PORT") or 5432),
            "-U",
            settings.get("USER") or "postgres",
            settings["NAME"],
        ],
        capture_output=True,
        check=True,
        env=env,
    )
    return result.stdout
