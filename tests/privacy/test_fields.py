from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection, transaction
from django.test import override_settings

from alliance.care.models import CaseNote
from alliance.care.services import add_case_note
from alliance.privacy import keys
from alliance.privacy.fields import UNREADABLE
from alliance.privacy.models import ClientKey

pytestmark = pytest.mark.django_db
SECRET = "I have been feeling hopeless since the move"


def raw_text(note_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM care_casenote WHERE id = %s", [note_id])
        return cursor.fetchone()[0]


def test_encrypted_text_round_trips_and_is_not_stored_in_clear(partnership, their_therapist):
    note = add_case_note(partnership=partnership, author=their_therapist, text=SECRET)
    stored = raw_text(note.pk)
    assert SECRET not in stored
    assert stored.startswith("ck1:")
    keys.forget()
    assert CaseNote.objects.get(pk=note.pk).text == SECRET


def test_each_client_has_their_own_data_key(partnership, their_therapist, jurisdiction):
    from alliance.care.services import start_partnership
    from tests.conftest import make_client

    other_client = make_client("second@example.org", jurisdiction)
    other = start_partnership(client=other_client, therapist=their_therapist)
    a = add_case_note(partnership=partnership, author=their_therapist, text="one")
    b = add_case_note(partnership=other, author=their_therapist, text="two")
    assert raw_text(a.pk).split(":")[1] != raw_text(b.pk).split(":")[1]
    assert ClientKey.objects.count() == 2


def test_rotating_master_keys_rewraps_data_keys_only(partnership, their_therapist, settings):
    note = add_case_note(partnership=partnership, author=their_therapist, text=SECRET)
    ciphertext_before = raw_text(note.pk)
    wrapped_before = bytes(ClientKey.objects.get().wrapped_key)
    new_master = Fernet.generate_key().decode()
    settings.MASTER_KEYS = [new_master, *settings.MASTER_KEYS]
    assert keys.rotate_all() == 1
    assert bytes(ClientKey.objects.get().wrapped_key) != wrapped_before
    assert raw_text(note.pk) == ciphertext_before  # clinical rows untouched
    # Only the new master key is needed from now on.
    with override_settings(MASTER_KEYS=[new_master]):
        keys.forget()
        assert CaseNote.objects.get(pk=note.pk).text == SECRET


def test_rotate_keys_command(partnership, their_therapist, settings):
    from io import StringIO

    from django.core.management import call_command

    add_case_note(partnership=partnership, author=their_therapist, text=SECRET)
    settings.MASTER_KEYS = [Fernet.generate_key().decode(), *settings.MASTER_KEYS]
    out = StringIO()
    call_command("rotate-keys", stdout=out)
    assert "re-wrapped 1 data keys" in out.getvalue()


def test_destroyed_client_key_makes_their_text_unreadable(
    partnership, their_therapist, client_user
):
    note = add_case_note(partnership=partnership, author=their_therapist, text=SECRET)
    assert keys.destroy_key(client_user.pk) == 1
    stored = raw_text(note.pk)
    assert stored.startswith("ck1:")  # ciphertext is still there ...
    assert CaseNote.objects.get(pk=note.pk).text == UNREADABLE  # ... but cannot be read


def test_plain_text_cannot_bypass_encryption_through_update(partnership, their_therapist):
    note = add_case_note(partnership=partnership, author=their_therapist, text=SECRET)
    with pytest.raises(ValueError, match="plain text"), transaction.atomic():
        CaseNote.objects.filter(pk=note.pk).update(text="leaked in clear")
    assert CaseNote.objects.get(pk=note.pk).text == SECRET


def test_encrypted_field_cannot_be_searched(partnership, their_therapist):
    from django.core.exceptions import FieldError

    add_case_note(partnership=partnership, author=their_therapist, text=SECRET)
    with pytest.raises((FieldError, ValueError)), transaction.atomic():
        list(CaseNote.objects.filter(text__icontains="hopeless"))


def test_wrong_master_key_cannot_read(partnership, their_therapist):
    note = add_case_note(partnership=partnership, author=their_therapist, text=SECRET)
    keys.forget()
    with override_settings(MASTER_KEYS=[Fernet.generate_key().decode()]):
        assert CaseNote.objects.get(pk=note.pk).text == UNREADABLE
    keys.forget()
