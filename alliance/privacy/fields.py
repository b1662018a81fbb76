"""An encrypted text field for all clinical free text.

The column holds `ck1:<key id>:<Fernet token>`; the key id names the owning client's data key
(see keys.py). Plain text can only reach the database through `pre_save`, which encrypts it,
so `QuerySet.update(field="...")` with plain text is refused rather than stored in clear.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

# keys.py needs the models, and models.py needs SealableTextField: keys is imported where used.

PREFIX = "ck1:"
UNREADABLE = "[This text was erased and can no longer be read.]"


class Ciphertext(str):
    """A value already encrypted for the database."""


class Unreadable(str):
    """Text whose data key was destroyed (erasure)."""


def encrypt(plaintext: str, owner_id: int) -> Ciphertext:
    from alliance.privacy import keys

    key_id, fernet = keys.key_for_owner(owner_id)
    token = fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")
    return Ciphertext(f"{PREFIX}{key_id}:{token}")


def decrypt(stored: str) -> str:
    from alliance.privacy import keys

    if not stored.startswith(PREFIX):
        raise ValueError("not an Alliance ciphertext")
    key_id_text, token = stored[len(PREFIX) :].split(":", 1)
    try:
        fernet = keys.fernet_for_key(int(key_id_text))
    except keys.KeyDestroyed:
        return Unreadable(UNREADABLE)
    return fernet.decrypt(token.encode("ascii")).decode("utf-8")


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Clinical free text, encrypted with the data key of the client it belongs to.

    `owner` is an attribute path from the model instance to the client's user id, e.g.
    `"partnership.client_id"` or `"client_id"`.
    """

    def __init__(self, *args: Any, owner: str = "", **kwargs: Any) -> None:
        if not owner:
            raise ImproperlyConfigured("EncryptedTextField needs owner='path.to.client_id'")
        self.owner = owner
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["owner"] = self.owner
        return name, path, args, kwargs

    def owner_id(self, instance: models.Model) -> int:
        value: Any = instance
        for part in self.owner.split("."):
            value = getattr(value, part)
        if value is None:
            raise ValueError(f"{type(instance).__name__}.{self.name}: no client to encrypt for")
        return int(value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if value is None or isinstance(value, Ciphertext | Unreadable):
            return value
        return encrypt(str(value), self.owner_id(model_instance))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Ciphertext):
            return str(value) if value is not None else None
        if isinstance(value, Unreadable):
            raise ValueError("erased text cannot be saved back")
        if isinstance(value, str) and value.startswith(PREFIX):
            return value
        raise ValueError(
            f"{self.name}: plain text reaches the database only through model.save() "
            "(it encrypts); filtering or updating an encrypted field is not supported"
        )

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in {"isnull"}:
            return None  # ciphertext cannot be searched
        return super().get_lookup(lookup_name)


class Opened(str):
    """Text read from a `SealableTextField` that was stored sealed: reads as its plain text
    (or `UNREADABLE` after erasure) and is written back as the ciphertext it came from."""

    stored: str
    erased: bool

    def __new__(cls, text: str, *, stored: str, erased: bool) -> Opened:
        opened = super().__new__(cls, text)
        opened.stored = stored
        opened.erased = erased
        return opened


class SealableTextField(models.TextField):  # type: ignore[type-arg]
    """Text that is plain in some rows and sealed in others: a value written as a
    `Ciphertext` (see `encrypt`) is stored sealed with that client's data key and reads back
    decrypted, or as `UNREADABLE` once the key is destroyed; plain text is stored and
    searched as it is. The audit log's reason is one: its fixed labels stay plain (the log
    filters on them), a person's free-text reason (break glass) is sealed.
    """

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Opened):
            return value.stored
        if value is None or isinstance(value, Ciphertext):
            return None if value is None else str(value)
        if isinstance(value, Unreadable):
            raise ValueError("erased text cannot be saved back")
        text = str(value)
        if text.startswith(PREFIX):
            raise ValueError(f"{self.name}: plain text cannot start with {PREFIX!r}")
        return text

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not isinstance(value, str) or not value.startswith(PREFIX):
            return value
        text = decrypt(value)
        return Opened(text, stored=value, erased=isinstance(text, Unreadable))
