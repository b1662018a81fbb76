"""50 people try to book one slot at the same moment: exactly one appointment exists.

Each thread has its own database connection; the database's guard (an exclusion
constraint on PostgreSQL, triggers on SQLite) decides, not a Python check that all
threads pass at once.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from alliance.schedule import services
from alliance.schedule.models import Appointment
from tests.schedule.conftest import ny

ATTEMPTS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_attempts_give_one_appointment(partnership, client_user, open_week):
    moment = ny(6, 11)
    barrier = threading.Barrier(ATTEMPTS)
    results: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            barrier.wait(timeout=30)
            services.book_appointment(
                partnership=partnership, starts_at=moment, modality="video", by=client_user
            )
            outcome = "booked"
        except services.SlotTaken:
            outcome = "taken"
        except Exception as exc:  # anything else is a failure of the test
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sorted(set(results)) == ["booked", "taken"], results
    assert results.count("booked") == 1
    assert Appointment.objects.filter(starts_at=moment).count() == 1
