"""50 clients choose the same therapist's last free place at once: exactly one gets it.

Each thread has its own database connection. On PostgreSQL the row lock on the therapist's
profile serialises the capacity check; on SQLite the IMMEDIATE transaction mode does (a
writer waits up to the connection timeout, and a "database is locked" error is retried).
"""

from __future__ import annotations

import threading
import time

from django.db import OperationalError, connection

from alliance.care import offers
from alliance.care.models import MatchOffer, Partnership
from tests.care.conftest import submit_intake
from tests.conftest import make_client, make_therapist

CLIENTS = 50


def _choose(client_id: int, offer_id: int, results: list[str], start: threading.Barrier) -> None:
    from alliance.accounts.models import User

    try:
        client = User.objects.get(pk=client_id)
        offer = MatchOffer.objects.get(pk=offer_id)
        start.wait()
        for _attempt in range(20):
            try:
                offers.choose_therapist(client=client, offer=offer)
            except offers.MatchingError:
                results.append("refused")
            except OperationalError as exc:  # SQLite: "database is locked"
                if "locked" not in str(exc):
                    raise
                time.sleep(0.05)
                continue
            else:
                results.append("chosen")
            return
        results.append("gave up")
    finally:
        connection.close()


def test_fifty_concurrent_chooses_of_the_last_place_create_one_partnership(
    transactional_db, jurisdiction
):
    # given a therapist with exactly one free place and 50 clients holding an offer of it
    therapist = make_therapist("last.place@example.org", jurisdiction, name="Dr Last")
    profile = therapist.therapist_profile
    profile.capacity = 1
    profile.save(update_fields=["capacity"])
    offers = []
    for i in range(CLIENTS):
        client = make_client(f"c{i}@example.org", jurisdiction, name=f"Client {i}")
        answers = submit_intake(client)
        offers.append(
            MatchOffer.objects.create(
                client=client,
                therapist=therapist,
                intake=answers,
                rank=1,
                score=0.0,
                weights_version="test",
                index_version="test",
            )
        )
    # when all of them choose at once, each on its own connection
    results: list[str] = []
    start = threading.Barrier(CLIENTS)
    threads = [
        threading.Thread(target=_choose, args=(o.client_id, o.pk, results, start)) for o in offers
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then exactly one partnership exists and everyone else was told
    assert Partnership.objects.filter(therapist=therapist).count() == 1
    assert sorted(results).count("chosen") == 1
    assert results.count("refused") == CLIENTS - 1
