"""Twenty waiting-list runs at once make one offer per client: runs take a database lock one
at a time, an undecided offer per client is unique, and accepting closes the others."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from alliance.care import offers, waitlist
from alliance.care.models import MatchOffer, WaitlistRound
from tests.care.conftest import submit_intake
from tests.conftest import make_client, make_therapist

RUNS = 20
CLIENTS = 12


def _run(results: list[object], start: threading.Barrier) -> None:
    try:
        start.wait()
        for _attempt in range(50):
            try:
                results.append(waitlist.run_assignment())
            except OperationalError as exc:  # SQLite: "database is locked" past its timeout
                if "locked" not in str(exc):
                    raise
                time.sleep(0.05)
                continue
            return
        results.append("gave up")
    except Exception as exc:  # reported by the test, not lost in a thread
        results.append(exc)
    finally:
        connection.close()


def waiting_clients(jurisdiction, count: int) -> list[object]:
    clients = []
    for i in range(count):
        client = make_client(f"waiting{i}@example.org", jurisdiction, name=f"Waiting {i}")
        waitlist.join_waitlist(client=client, intake=submit_intake(client))
        clients.append(client)
    return clients


def test_twenty_concurrent_runs_make_one_offer_per_client(transactional_db, jurisdiction):
    # given 12 waiting clients and room for all of them
    for n in range(3):
        therapist = make_therapist(f"room{n}@example.org", jurisdiction, name=f"Dr Room {n}")
        therapist.therapist_profile.capacity = 5
        therapist.therapist_profile.save(update_fields=["capacity"])
    clients = waiting_clients(jurisdiction, CLIENTS)
    # when 20 runs start at once, each on its own connection
    results: list[object] = []
    start = threading.Barrier(RUNS)
    threads = [threading.Thread(target=_run, args=(results, start)) for _ in range(RUNS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then every run finished, and each client holds exactly one offer
    assert len(results) == RUNS
    assert all(isinstance(r, waitlist.RunReport) for r in results), results
    offers = MatchOffer.objects.filter(source="waitlist")
    assert offers.count() == CLIENTS
    assert sorted(offers.values_list("client_id", flat=True)) == sorted(c.pk for c in clients)
    assert sum(r.offered for r in results) == CLIENTS  # type: ignore[union-attr]
    # one run made them all; the others found every client already holding an offer
    assert WaitlistRound.objects.count() == 1
    assert WaitlistRound.objects.get().offered == CLIENTS
    assert set(offers.values_list("waitlist_round", flat=True)) == {WaitlistRound.objects.get().pk}


@pytest.mark.django_db
def test_a_second_open_waitlist_offer_for_a_client_is_refused(jurisdiction):
    therapist = make_therapist("only@example.org", jurisdiction, name="Dr Only")
    (client,) = waiting_clients(jurisdiction, 1)
    assert waitlist.run_assignment().offered == 1
    offer = MatchOffer.objects.get(source="waitlist")
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchOffer.objects.create(
            client=client,
            therapist=therapist,
            intake=offer.intake,
            source="waitlist",
            rank=1,
            score=0.0,
            weights_version="x",
            index_version="x",
        )


@pytest.mark.django_db
def test_accepting_an_offer_withdraws_the_clients_other_offers(jurisdiction):
    therapist = make_therapist("a@example.org", jurisdiction, name="Dr A")
    other = make_therapist("b@example.org", jurisdiction, name="Dr B")
    (client,) = waiting_clients(jurisdiction, 1)
    waitlist.run_assignment()
    held = MatchOffer.objects.get(source="waitlist")
    live = MatchOffer.objects.create(
        client=client,
        therapist=other if held.therapist_id == therapist.pk else therapist,
        intake=held.intake,
        rank=1,
        score=0.0,
        weights_version="x",
        index_version="x",
    )
    waitlist.accept_offer(client=client, offer=held)
    live.refresh_from_db()
    held.refresh_from_db()
    assert held.status == "chosen" and live.status == "withdrawn" and live.decided_at
    # a withdrawn offer can no longer be chosen
    with pytest.raises(offers.MatchingError):
        offers.choose_therapist(client=client, offer=live)


@pytest.mark.django_db
def test_a_run_with_nobody_waiting_records_no_round(jurisdiction):
    assert waitlist.run_assignment().offered == 0
    assert not WaitlistRound.objects.exists()
