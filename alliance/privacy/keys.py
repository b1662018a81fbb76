"""Per-client data keys wrapped by master keys (envelope encryption).

Clinical text is encrypted with the owning client's own Fernet key; that key is stored only
wrapped by the master keys from settings (MultiFernet). Rotating master keys re-wraps the
small data keys, never the clinical rows; destroying a client's key shreds their text.
"""

from __future__ import annotations

import threading

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alliance.privacy.models import ClientKey

_cache: dict[int, Fernet] = {}
_lock = threading.Lock()


class KeyDestroyed(Exception):
    """The client's data key was destroyed by an erasure: their text is gone."""


def master() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.MASTER_KEYS])


def key_for_owner(owner_id: int) -> tuple[int, Fernet]:
    """The (key id, Fernet) of a client, creating their key on first use."""
    key = ClientKey.objects.filter(owner_id=owner_id, destroyed_at__isnull=True).first()
    if key is None:
        with transaction.atomic():
            raw = Fernet.generate_key()
            key, _ = ClientKey.objects.get_or_create(
                owner_id=owner_id, defaults={"wrapped_key": master().encrypt(raw)}
            )
    return key.pk, fernet_for_key(key.pk, key)


def fernet_for_key(key_id: int, key: ClientKey | None = None) -> Fernet:
    with _lock:
        cached = _cache.get(key_id)
    if cached is not None:
        return cached
    if key is None:
        key = ClientKey.objects.filter(pk=key_id).first()
    if key is None or key.destroyed_at is not None or not key.wrapped_key:
        raise KeyDestroyed(key_id)
    try:
        fernet = Fernet(master().decrypt(bytes(key.wrapped_key)))
    except InvalidToken as exc:  # no configured master key opens it
        raise KeyDestroyed(key_id) from exc
    with _lock:
        _cache[key_id] = fernet
    return fernet


def destroy_key(owner_id: int) -> int:
    """Shred a client's data key. Returns how many keys were destroyed."""
    keys = list(ClientKey.objects.filter(owner_id=owner_id, destroyed_at__isnull=True))
    for key in keys:
        key.wrapped_key = b""
        key.destroyed_at = timezone.now()
        key.save(update_fields=["wrapped_key", "destroyed_at"])
        forget(key.pk)
    return len(keys)


def forget(key_id: int | None = None) -> None:
    """Drop unwrapped keys from this process's cache (all of them when no id is given)."""
    with _lock:
        if key_id is None:
            _cache.clear()
        else:
            _cache.pop(key_id, None)


def rotate_all() -> int:
    """Re-wrap every live data key with the first master key. Returns the count."""
    fernet = master()
    count = 0
    for key in ClientKey.objects.filter(destroyed_at__isnull=True).iterator():
        key.wrapped_key = fernet.rotate(bytes(key.wrapped_key))
        key.rewrapped_at = timezone.now()
        key.save(update_fields=["wrapped_key", "rewrapped_at"])
        count += 1
    forget()
    return count
