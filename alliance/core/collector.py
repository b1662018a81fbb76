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
- collects everything else every `every_seconds`, or sooner once `max_new_objects` more
  objects have been allocated than freed since the last collection (cycles piling up),
  looked at every `check_seconds`.

One full collection then walks the worker's live objects (about 0.6–1 µs each; some
100,000–150,000 with a thousand sockets open), instead of many collections walking the
same ones again and again. Started from the ASGI lifespan (alliance/asgi.py), so only in
server processes; `every_seconds` 0 leaves Python's own collector as it is.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)


def start(
    *, every_seconds: float, max_new_objects: int, check_seconds: float = 1.0
) -> asyncio.Task[None] | None:
    """Freeze start-up objects, switch automatic collection off and collect on a schedule
    from the running loop. Returns the scheduling task, or None when left to Python."""
    if every_seconds <= 0:
        return None
    gc.collect()
    gc.freeze()
    gc.disable()
    log.info("froze %d objects; collecting every %ss", gc.get_freeze_count(), every_seconds)
    return asyncio.get_running_loop().create_task(
        _collect_on_schedule(every_seconds, max_new_objects, check_seconds),
        name="collector",
    )


def stop(task: asyncio.Task[None] | None) -> None:
    """Hand collection back to Python (the worker is shutting down)."""
    if task is None:
        return
    task.cancel()
    gc.unfreeze()
    gc.enable()


def due(*, since_last: float, every_seconds: float, new_objects: int, max_new: int) -> str:
    """Why a collection is due now ("" if it is not)."""
    if since_last >= every_seconds:
        return "schedule"
    if new_objects >= max_new:
        return "allocations"
    return ""


async def _collect_on_schedule(every: float, max_new: int, check: float) -> None:
    last = time.monotonic()
    while True:
        await asyncio.sleep(check)
        reason = due(
            since_last=time.monotonic() - last,
            every_seconds=every,
            new_objects=gc.get_count()[0],
            max_new=max_new,
        )
        if not reason:
            continue
        started = time.perf_counter()
        found = gc.collect()
        last = time.monotonic()
        log.info(
            "collected %d unreachable objects in %.1f ms (%s)",
            found,
            (time.perf_counter() - started) * 1000,
            reason,
        )
