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


def test_due_on_time_or_allocations():
    assert collector.due(since_last=10, every_seconds=10, new_objects=0, max_new=5) == "schedule"
    assert collector.due(since_last=1, every_seconds=10, new_objects=5, max_new=5) == "allocations"
    assert collector.due(since_last=1, every_seconds=10, new_objects=4, max_new=5) == ""


@given(
    since=st.floats(0, 1e6),
    every=st.floats(0.001, 1e6),
    new=st.integers(0, 10**9),
    max_new=st.integers(1, 10**9),
)
def test_due_exactly_when_a_limit_is_reached(since, every, new, max_new):
    reason = collector.due(since_last=since, every_seconds=every, new_objects=new, max_new=max_new)
    assert bool(reason) == (since >= every or new >= max_new)


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
