"""The notification settings read at start-up (settings.py): VAPID keys and the Twilio base.

Imported by settings.py, so it imports nothing of Django's models or the app."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_vapid_keys() -> tuple[str, str]:
    """A fresh P-256 pair: (private key as 32 raw bytes, public key as the uncompressed point),
    both base64url: the forms pywebpush and the browser's `applicationServerKey` take."""
    private = ec.generate_private_key(ec.SECP256R1())
    raw = private.private_numbers().private_value.to_bytes(32, "big")
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(raw), _b64url(public)


def vapid_keys(private: str, public: str, dev_file: Path | None) -> tuple[str, str]:
    """The configured pair; with neither set and `dev_file` given (DEBUG and tests), a
    development pair made once and kept there; otherwise ("", ""), and push is off."""
    private, public = private.strip(), public.strip()
    if bool(private) != bool(public):
        raise ImproperlyConfigured(
            "VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY are set together or not at all "
            "(see docs/configuration.md)"
        )
    if private or dev_file is None:
        return private, public
    try:
        stored = json.loads(dev_file.read_text(encoding="utf-8"))
        return str(stored["private"]), str(stored["public"])
    except (OSError, ValueError, KeyError):
        pass
    made_private, made_public = new_vapid_keys()
    # Written whole, then linked into place (which fails if it exists): of parallel test
    # workers the first pair wins, and nobody reads half a file.
    partial = dev_file.with_name(f"{dev_file.name}.{os.getpid()}")
    partial.write_text(json.dumps({"private": made_private, "public": made_public}))
    try:
        os.link(partial, dev_file)
    except FileExistsError:
        pass
    finally:
        partial.unlink()
    return vapid_keys("", "", dev_file)
