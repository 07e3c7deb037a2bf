"""A bounded hand-off from the proxy's forwarding coroutines to the judge.

A forwarding coroutine puts each finished exchange here and goes on; one task of the same
event loop works through them in order, in slices of about a millisecond between forwarding
work, and an item holding a large body on a thread (the loop keeps forwarding meanwhile).
Not a thread for everything: a judging thread holding the GIL makes every socket call of the
loop wait for it (measured: a third of a millisecond per send, 20% fewer requests a second).

Bounded by items and by bytes: when it is full, `put` waits (backpressure: the client's last
bytes wait with it), so memory stays bounded and no exchange is ever dropped. `flush`, from
any other thread, waits until every item put so far is done: whatever reads the results
calls it first, so an answer a client has is always on record. `close` does what is left
on the caller's thread once the loop has stopped.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Generic, TypeVar

__all__ = ["Backlog"]

T = TypeVar("T")
_SLICE_S = 0.001  # judging in the loop yields to forwarding after this long


class Backlog(Generic[T]):
    """Items for `work` (which must not raise), done in order on the loop that puts them.

    `idle` is called whenever the backlog empties; an item of `heavy` bytes or more is done
    on a thread."""

    def __init__(
        self,
        work: Callable[[T], None],
        *,
        most_items: int,
        most_bytes: int,
        heavy: int = 256 * 1024,
        idle: Callable[[], None] = lambda: None,
    ) -> None:
        self.most_items, self.most_bytes, self.heavy = most_items, most_bytes, heavy
        self._work, self._idle = work, idle
        self._queue: deque[tuple[T, int]] = deque()
        self._state = threading.Condition()  # guards the counts, for flush() on other threads
        self._items = 0  # put and not yet done
        self._bytes = 0
        self._room: list[asyncio.Future[None]] = []  # puts waiting for room
        self._ready: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="drun-judge")  # for heavy items

    async def put(self, item: T, size: int) -> None:
        """Hand `item` (holding `size` bytes) over; waits while the backlog is full. An item
        alone is always taken, however large."""
        while self._items and (self._items >= self.most_items or self._bytes + size > self.most_bytes):
            waiter = asyncio.get_running_loop().create_future()
            self._room.append(waiter)
            await waiter
        self._add(item, size)

    def put_nowait(self, item: T) -> None:
        """Hand a small item over without waiting (a note: at most one per exchange in flight)."""
        self._add(item, 0)

    def flush(self, timeout: float) -> int:
        """From another thread: wait (at most `timeout` s) until every item put so far is done;
        how many are not."""
        with self._state:
            self._state.wait_for(lambda: self._items == 0, timeout)
            return self._items

    def close(self) -> None:
        """Once the loop has stopped: do what is left, here."""
        self._thread.shutdown(wait=True)  # a heavy item under way when the loop stopped
        while self._queue:
            item, size = self._queue.popleft()
            self._work(item)
            self._count(size)
        self._idle()

    def _add(self, item: T, size: int) -> None:
        with self._state:
            self._items += 1
            self._bytes += size
        self._queue.append((item, size))
        if self._worker is None or self._worker.done():
            self._ready = asyncio.Event()
            self._worker = asyncio.get_running_loop().create_task(self._run())
        assert self._ready is not None
        self._ready.set()

    async def _run(self) -> None:
        assert self._ready is not None
        while True:
            if not self._queue:
                self._idle()
                self._ready.clear()
                await self._ready.wait()
                continue
            until = time.monotonic() + _SLICE_S
            while self._queue and time.monotonic() < until:
                item, size = self._queue.popleft()
                if size >= self.heavy:
                    done = self._thread.submit(self._work, item)
                    try:
                        await asyncio.wrap_future(done)
                    except asyncio.CancelledError:  # the loop stops: counted once the thread is done
                        done.add_done_callback(partial(self._counted, size))
                        raise
                else:
                    self._work(item)
                self._count(size)
                self._make_room()
            await asyncio.sleep(0)  # forwarding goes on between slices

    def _count(self, size: int) -> None:
        """One item done (on any thread)."""
        with self._state:
            self._items -= 1
            self._bytes -= size
            if not self._items:
                self._state.notify_all()

    def _counted(self, size: int, _: Future[None]) -> None:
        self._count(size)

    def _make_room(self) -> None:
        waiting, self._room = self._room, []
        for waiter in waiting:
            if not waiter.done():  # a put cancelled while it waited
                waiter.set_result(None)
