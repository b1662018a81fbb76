"""When a serving worker looks for reference cycles.

CPython's collector runs when allocations outnumber deallocations by a threshold, and a
young collection walks every object that entered the young generation since the last one.
A worker holding many websockets re-creates each socket's waiting tasks, futures and
contexts whenever that socket wakes, and they enter the young generation without counting
towards the threshold. With a thousand sockets open at 200 messages a second, young
collections walked 16,000–79,000 such live objects and took 10–56 ms, and older
generations 54–71 ms, holding up every socket of the worker at once; they were the
latency tail of live chat (docs/conversations.md). The chat path makes almost no cyclic
garbage (reference counting frees what it allocates), so a serving worker, at start-up:

- freezes what loading the application made (Django, the URLconf, models, settings): no
  collection walks it again (it is still freed by reference counting when dropped);
- turns automatic collection off;
- every `every_seconds` collects the young generations (what was allocated since the last
  collection and its survivors): the garbage a websocket handshake leaves is found there;
- every `full_every_seconds` collects everything (cycles that formed among long-lived
  objects, such as a closed socket's), and so does a collection called for by allocations:
  once `max_new_objects` more objects have been allocated than freed since the last
  collection (cycles piling up); both looked at every `check_seconds`.

A full collection walks every live object of the worker (about 1 µs each; 300,000–400,000
with a thousand sockets open, 0.3–0.4 s on the 2-core development machine, holding up every
socket meanwhile), a young one only the objects that are new since the last one (mostly
each socket's current waiting tasks and futures: 40–75 ms there). So young collections run
often enough to keep a handshake's garbage short-lived, full ones rarely. Started from the
ASGI lifespan (alliance/asgi.py), so only in server processes; `every_seconds` 0 leaves
Python's own collector as it is.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)


YOUNG, FULL = 1, 2  # the generations gc.collect() is asked for


def start(
    *,
    every_seconds: float,
    max_new_objects: int,
    full_every_seconds: float = 3600.0,
    check_seconds: float = 1.0,
) -> asyncio.Task[None] | None:
    """Freeze start-up objects, switch automatic collection off and collect on a schedule
    from the running loop. Returns the scheduling task, or None when left to Python."""
    if every_seconds <= 0:
        return None
    gc.collect()
    gc.freeze()
    gc.disable()
    log.info(
        "froze %d objects; young collections every %ss, full ones every %ss",
        gc.get_freeze_count(),
        every_seconds,
        full_every_seconds,
    )
    return asyncio.get_running_loop().create_task(
        _collect_on_schedule(every_seconds, full_every_seconds, max_new_objects, check_seconds),
        name="collector",
    )


def stop(task: asyncio.Task[None] | None) -> None:
    """Hand collection back to Python (the worker is shutting down)."""
    if task is None:
        return
    task.cancel()
    gc.unfreeze()
    gc.enable()


def due(
    *,
    since_young: float,
    since_full: float,
    every_seconds: float,
    full_every_seconds: float,
    new_objects: int,
    max_new: int,
) -> tuple[int, str] | None:
    """Which collection is due now, and why (None if none is)."""
    if since_full >= full_every_seconds:
        return FULL, "schedule"
    if new_objects >= max_new:
        return FULL, "allocations"
    if since_young >= every_seconds:
        return YOUNG, "schedule"
    return None


async def _collect_on_schedule(every: float, full_every: float, max_new: int, check: float) -> None:
    last_young = last_full = time.monotonic()
    while True:
        await asyncio.sleep(check)
        now = time.monotonic()
        found_due = due(
            since_young=now - last_young,
            since_full=now - last_full,
            every_seconds=every,
            full_every_seconds=full_every,
            new_objects=gc.get_count()[0],
            max_new=max_new,
        )
        if found_due is None:
            continue
        generation, reason = found_due
        started = time.perf_counter()
        found = gc.collect(generation)
        last_young = time.monotonic()
        if generation == FULL:
            last_full = last_young
        log.info(
            "collected %d unreachable objects in %.1f ms (generation %d, %s)",
            found,
            (time.perf_counter() - started) * 1000,
            generation,
            reason,
        )
