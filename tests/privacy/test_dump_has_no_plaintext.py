"""Plant distinctive clinical text through the real pages (a message, a therapist note, a
journal entry, a check-in comment), commit it, then read the whole database as a backup
would be read: each planted row and its ciphertext are there (the positive control), and
the plaintext is not."""

from __future__ import annotations

from alliance.care.models import CaseNote
from alliance.checkins.models import Response
from alliance.checkins.services import request_checkin
from alliance.conversations.models import Message
from alliance.journal.models import JournalEntry
from tests.conftest import logged_in
from tests.privacy.dump import database_dump

PLANTED = {
    "message": "Plant-Message-Okapi-7731: I keep thinking about the crash",
    "note": "Plant-Note-Narwhal-4410: worked on grief after the funeral",
    "journal": "Plant-Journal-Axolotl-9902: wrote to my sister at last",
    "comment": "Plant-Comment-Quokka-1187: please slow down next time",
}


def stored(model, pk: int, column: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_clinical_text_is_never_in_a_dump(
    transactional_db, partnership, client_user, their_therapist
):
    client = logged_in(client_user)
    therapist = logged_in(their_therapist)
    # given clinical text written through each real flow
    assert client.post(
        f"/conversations/{partnership.pk}/",
        {"body": PLANTED["message"], "client_id": "plant-message-0001"},
    ).status_code in {200, 302}
    assert (
        therapist.post(
            f"/care/partnerships/{partnership.pk}/", {"text": PLANTED["note"]}
        ).status_code
        == 302
    )
    assert client.post("/journal/", {"body": PLANTED["journal"], "mood": "6"}).status_code in {
        200,
        302,
    }
    checkin = request_checkin(partnership=partnership)
    answers = {
        f"item_{name}": "5" for name in ("goal_1", "goal_2", "task_1", "task_2", "bond_1", "bond_2")
    }
    client.post(
        f"/checkins/requests/{checkin.pk}/",
        {
            "instrument_id": "alliance_checkin",
            "idempotency_key": "plant-comment-1",
            "item_better_today": PLANTED["comment"],
            **answers,
        },
    )
    rows = {
        "message": (Message, Message.objects.get().pk, "body"),
        "note": (CaseNote, CaseNote.objects.get().pk, "text"),
        "journal": (JournalEntry, JournalEntry.objects.get().pk, "body"),
        "comment": (Response, Response.objects.get(instrument_id="alliance_checkin").pk, "comment"),
    }
    # the application reads them back
    assert Message.objects.get().body == PLANTED["message"]
    assert Response.objects.get(instrument_id="alliance_checkin").comment == PLANTED["comment"]
    # when the database is dumped
    dump = database_dump()
    # then each planted row's ciphertext is in the dump, and none of the plaintext is
    for kind, (model, pk, column) in rows.items():
        ciphertext = stored(model, pk, column)
        assert ciphertext.startswith("ck1:"), kind
        assert ciphertext.encode() in dump, f"positive control failed for the {kind}"
        assert PLANTED[kind].encode() not in dump, f"the {kind} is in the dump in clear"
        assert PLANTED[kind].split(":")[0].encode() not in dump, f"the {kind} marker leaked"
