"""Live sockets end with the session that opened them (HIPAA §164.312(a)(2)(iii), automatic
logoff: a log-out or an idle time-out must end access on every channel, not only pages).

Each socket joins two channel-layer groups: one for its session (`session_group`, named by a
hash of the session key, never the key itself) and one for its user (`user_group`). What
ends a session sends a `session.end` event to the right group, after its transaction
commits, and every socket in it closes at once:

- log-out (any call of Django's `logout`, so also the log-out after an erasure): that
  session's sockets only; the person's other sessions (a phone, another browser) stay;
- a password change (the reset and invitation forms, `alliance changepassword`, any
  `set_password` followed by `save`), deactivation (`is_active` set to false, also by an
  erasure) and a second-factor reset (an authenticator or the recovery codes deleted, or
  an authenticator no longer confirmed): every session of that person, because each of
  them was opened with the credential that is now gone.

These are model and auth signals, not explicit calls, on purpose: they are how a credential
changes anywhere (a form, the shell, a management command, an admin page yet to come), and
missing one path would leave a socket open after the person was locked out. The socket also
re-checks its session on a timer (`session_user`, every `CHECK_EVERY_SECONDS`), which is
what closes it when nothing can send: the session expiring or its idle time-out passing.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    load_backend,
    user_logged_out,
)
from django.contrib.sessions.backends.base import UpdateError
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from alliance.accounts.models import User

log = logging.getLogger(__name__)

# How often an open socket re-checks its session. A session that ends without an event
# (its expiry, its idle time-out) closes its sockets within this many seconds.
CHECK_EVERY_SECONDS = 30.0

STAFF_ROLES = {"therapist", "admin"}


# --- groups --------------------------------------------------------------------------


def session_group(session_key: str) -> str:
    # The key is a bearer credential: group names are visible in Redis and in logs, so they
    # carry a hash of it (128 bits of SHA-256 of a random 32-character key).
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:32]
    return f"{settings.CONVERSATION_GROUP_PREFIX}.session.{digest}"


def user_group(user_id: int) -> str:
    return f"{settings.CONVERSATION_GROUP_PREFIX}.user.{user_id}"


def _send_end(group: str, reason: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "session.end", "reason": reason})
    except Exception:  # the socket's own check closes it within CHECK_EVERY_SECONDS
        log.exception("could not send a session end (%s); the sockets' timer will", reason)


def end_session(session_key: str | None, *, reason: str) -> None:
    """Close the sockets of this session once the current transaction commits."""
    if session_key:
        group = session_group(session_key)
        transaction.on_commit(lambda: _send_end(group, reason))


def end_user_sessions(user_id: int, *, reason: str) -> None:
    """Close the sockets of every session of this user once the transaction commits."""
    group = user_group(user_id)
    transaction.on_commit(lambda: _send_end(group, reason))


# --- what ends a session --------------------------------------------------------------


def _on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    end_session(getattr(session, "session_key", None), reason="logged_out")


def _on_user_saved(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    if created:
        return
    if not instance.is_active:
        end_user_sessions(instance.pk, reason="deactivated")
    # `set_password` keeps the new password in `_password` until `save` has run its hooks:
    # seen here, this save changed the password.
    elif getattr(instance, "_password", None) is not None:
        end_user_sessions(instance.pk, reason="password_changed")


def _on_device_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.user_id is not None:
        end_user_sessions(instance.user_id, reason="second_factor_reset")


def _on_device_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # A new unconfirmed authenticator is one being set up; an existing one that is no longer
    # confirmed has been reset.
    if not created and not instance.confirmed and instance.user_id is not None:
        end_user_sessions(instance.user_id, reason="second_factor_reset")


def connect_signals() -> None:
    """Called once from AccountsConfig.ready()."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user_logged_out.connect(_on_logged_out, dispatch_uid="alliance.sockets.logged_out")
    post_save.connect(_on_user_saved, sender=User, dispatch_uid="alliance.sockets.user")
    for model in (TOTPDevice, StaticDevice):
        uid = f"alliance.sockets.{model._meta.label_lower}"
        post_delete.connect(_on_device_deleted, sender=model, dispatch_uid=uid + ".deleted")
        post_save.connect(_on_device_saved, sender=model, dispatch_uid=uid + ".saved")


# --- the socket's check ---------------------------------------------------------------


def has_second_factor(user: Any, session: Any) -> bool:
    """Whether a therapist's or admin's session was verified with an authenticator or
    recovery code of theirs that is still there and confirmed (clients have none)."""
    if getattr(user, "role", None) not in STAFF_ROLES:
        return True
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return (
        device is not None
        and device.user_id == user.pk
        and bool(getattr(device, "confirmed", True))
    )


@dataclass(frozen=True)
class LiveSession:
    user: User
    data: dict[str, Any]  # the session's stored values, as loaded now


def _store(session_key: str) -> Any:
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)


def session_user(session_key: str | None) -> LiveSession | None:
    """The session as it stands now, if it still authenticates its user: it exists and has
    not expired (log-out deletes it; the idle time-out is its expiry), its user is active,
    its password hash is the one the session was opened with, and a staff session's second
    factor is still there. Otherwise None.

    As `django.contrib.auth.get_user` decides, but read-only: that one flushes or rotates the
    session it is given, which here would log the browser out behind its back."""
    if not session_key:
        return None
    store = _store(session_key)
    data = store.load()  # {} and no key when missing or expired
    if store.session_key is None or not data:
        return None
    try:
        user_id = User._meta.pk.to_python(data[SESSION_KEY])
        backend_path = data[BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)  # None when inactive
    if user is None or not user.is_active:
        return None
    stored_hash = data.get(HASH_SESSION_KEY)
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not stored_hash or not any(constant_time_compare(stored_hash, h) for h in hashes):
        return None
    if not has_second_factor(user, data):
        return None
    return LiveSession(user=user, data=data)


def keep_alive(session_key: str) -> bool:
    """Push the session's idle expiry forward, as a page request does
    (SESSION_SAVE_EVERY_REQUEST): the person is chatting or in a call on the socket.
    Never brings back a session that has ended. False when it has."""
    store = _store(session_key)
    model = getattr(store, "get_model_class", None)
    if model is not None:  # database-backed: move the expiry alone, nothing else written
        store.load()
        if store.session_key is None:
            return False
        return bool(
            model()
            .objects.filter(session_key=session_key, expire_date__gt=timezone.now())
            .update(expire_date=store.get_expiry_date())
        )
    store.load()
    if store.session_key is None:
        return False
    store.modified = True
    try:
        store.save()
    except UpdateError:  # ended meanwhile
        return False
    return True
