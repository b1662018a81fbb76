"""The serving worker's garbage-collection schedule (alliance/core/collector.py) and the
ASGI lifespan that starts it."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
from asgiref.testing import ApplicationCommunicator
from hypothesis import given
from hypothesis import strategies as st

from alliance.core import collector


@pytest.fixture(autouse=True)
def _restore_collector():
    yield
    gc.unfreeze()
    gc.enable()


class Node:
    """Something a reference cycle can be made of, with a weak reference to watch it."""

    def __init__(self) -> None:
        self.me = self


def cycle() -> weakref.ref[Node]:
    return weakref.ref(Node())


def due(since_young=0.0, since_full=0.0, every=10.0, full_every=100.0, new=0, max_new=5):
    return collector.due(
        since_young=since_young,
        since_full=since_full,
        every_seconds=every,
        full_every_seconds=full_every,
        new_objects=new,
        max_new=max_new,
    )


def test_young_on_schedule_full_rarely_or_on_allocations():
    assert due(since_young=10) == (collector.YOUNG, "schedule")
    assert due(since_young=10, since_full=100) == (collector.FULL, "schedule")
    assert due(since_young=1, new=5) == (collector.FULL, "allocations")
    assert due(since_young=1, since_full=99, new=4) is None


@given(
    since_young=st.floats(0, 1e6),
    since_full=st.floats(0, 1e6),
    every=st.floats(0.001, 1e6),
    full_every=st.floats(0.001, 1e6),
    new=st.integers(0, 10**9),
    max_new=st.integers(1, 10**9),
)
def test_due_exactly_when_a_limit_is_reached(
    since_young, since_full, every, full_every, new, max_new
):
    found = due(since_young, since_full, every, full_every, new, max_new)
    full = since_full >= full_every or new >= max_new
    assert (found is not None) == (full or since_young >= every)
    if found is not None:
        assert found[0] == (collector.FULL if full else collector.YOUNG)


def test_zero_leaves_python_in_charge():
    async def main():
        return collector.start(every_seconds=0, max_new_objects=10)

    assert asyncio.run(main()) is None
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_start_freezes_start_up_and_turns_automatic_collection_off():
    async def main():
        task = collector.start(every_seconds=3600, max_new_objects=10**9)
        state = (gc.isenabled(), gc.get_freeze_count())
        collector.stop(task)
        return state, task

    (enabled, frozen), task = asyncio.run(main())
    assert not enabled
    assert frozen > 1000  # everything imported so far
    assert task.cancelled()
    assert gc.isenabled() and gc.get_freeze_count() == 0  # handed back on shutdown


def test_cycles_are_collected_on_schedule():
    async def main():
        task = collector.start(every_seconds=0.05, max_new_objects=10**9, check_seconds=0.01)
        garbage = cycle()
        assert garbage() is not None  # automatic collection is off: the cycle stays
        for _ in range(100):
            await asyncio.sleep(0.01)
            if garbage() is None:
                break
        collector.stop(task)
        return garbage()

    assert asyncio.run(main()) is None


def test_cycles_are_collected_early_when_allocations_pile_up():
    async def main():
        task = collector.start(every_seconds=3600, max_new_objects=5_000, check_seconds=0.01)
        garbage = cycle()
        await asyncio.sleep(0.05)
        untouched = garbage() is not None  # neither limit reached yet
        kept = [[] for _ in range(10_000)]  # more than max_new_objects, alive
        for _ in range(100):
            await asyncio.sleep(0.01)
            if garbage() is None:
                break
        collector.stop(task)
        return untouched, garbage(), len(kept)

    untouched, left, _ = asyncio.run(main())
    assert untouched
    assert left is None


def old_cycle() -> weakref.ref[Node]:
    """A cycle that became garbage after it had lived long enough to reach the old
    generation (a closed socket's objects, say)."""
    node = Node()
    gc.collect(1)  # it survives, so it moves to the oldest generation
    return weakref.ref(node)


def test_young_collections_leave_old_cycles_to_the_full_one():
    async def main(full_every):
        task = collector.start(
            every_seconds=0.02,
            full_every_seconds=full_every,
            max_new_objects=10**9,
            check_seconds=0.01,
        )
        young, old = cycle(), old_cycle()
        for _ in range(30):
            await asyncio.sleep(0.01)
        collector.stop(task)
        return young(), old()

    young, old = asyncio.run(main(full_every=3600))
    assert young is None and old is not None  # several young collections, no full one
    del old
    gc.collect()
    young, old = asyncio.run(main(full_every=0.1))
    assert young is None and old is None


def during_lifespan() -> tuple[bool, int]:
    """Start a worker's lifespan, note the collector's state, shut it down cleanly."""
    from alliance.asgi import application

    async def main():
        life = ApplicationCommunicator(application, {"type": "lifespan"})
        await life.send_input({"type": "lifespan.startup"})
        assert (await life.receive_output(5))["type"] == "lifespan.startup.complete"
        running = (gc.isenabled(), gc.get_freeze_count())
        await life.send_input({"type": "lifespan.shutdown"})
        assert (await life.receive_output(5))["type"] == "lifespan.shutdown.complete"
        await life.wait(5)
        return running

    return asyncio.run(main())


def test_lifespan_starts_and_stops_the_schedule(settings):
    settings.WORKER_GC_EVERY_SECONDS = 300
    enabled, frozen = during_lifespan()
    assert not enabled and frozen > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_lifespan_without_a_schedule_changes_nothing(settings):
    settings.WORKER_GC_EVERY_SECONDS = 0
    enabled, frozen = during_lifespan()
    assert enabled and frozen == 0
