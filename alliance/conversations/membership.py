"""Who may write in a conversation: a member of its partnership while it is open, with the
client's data key loaded once (`Author`). Messages, read receipts and calls all check this."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import Fernet
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.core.errors import DomainError
from alliance.privacy import fields, keys


class ConversationError(DomainError):
    """Refused input; `code` is stable for clients, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Author:
    """One person writing in one conversation, with the client's data key: what storing a
    message needs that does not change while a socket is open (loaded by `author_for`)."""

    partnership: Partnership
    sender: User
    sender_name: str
    key_id: int
    fernet: Fernet

    @property
    def is_client(self) -> bool:
        return bool(self.sender.pk == self.partnership.client_id)

    @property
    def recipient_id(self) -> int:
        p = self.partnership
        return int(p.therapist_id if self.sender.pk == p.client_id else p.client_id)

    def encrypt(self, text: str) -> fields.Ciphertext:
        # The EncryptedTextField format, with the key loaded once instead of per message.
        token = self.fernet.encrypt(text.encode("utf-8")).decode("ascii")
        return fields.Ciphertext(f"{fields.PREFIX}{self.key_id}:{token}")

    def reload_key(self) -> None:
        self.key_id, self.fernet = keys.key_for_owner(int(self.partnership.client_id))


def author_for(*, partnership: Partnership, sender: User) -> Author:
    """Check membership and load the client's data key (one query, cached per socket)."""
    check_member(partnership, sender)
    try:
        key_id, fernet = keys.key_for_owner(int(partnership.client_id))
    except keys.KeyDestroyed as exc:  # the client's data was erased: nothing more is written
        raise ConversationError(
            "ended", _("This conversation has ended; it can be read, not added to.")
        ) from exc
    return Author(partnership, sender, sender.name, key_id, fernet)


def check_member(partnership: Partnership, user: User) -> None:
    if user.pk not in (partnership.client_id, partnership.therapist_id):
        raise ConversationError("not_found", _("No such conversation."))


def check_open(partnership: Partnership) -> None:
    # Re-read the status: a socket may outlive the partnership it was opened for.
    if not Partnership.objects.filter(pk=partnership.pk, status=Partnership.Status.ACTIVE).exists():
        raise ConversationError(
            "ended", _("This conversation has ended; it can be read, not added to.")
        )
