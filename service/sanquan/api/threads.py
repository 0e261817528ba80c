"""The bounded pool of worker threads that runs the blocking part of every request.

A request's database work and CPU (authentication, parsing, validation, execution) run in
one of ``SANQUAN_EXECUTION_THREADS`` threads, each with a database connection, so that the
event loop only moves bytes. HTTP requests and subscriptions share the pool, and with it
the bound on connections.

Built on the event loop's own executor hand-off rather than ``anyio.to_thread``: anyio's
cancel scopes, capacity limiter and task group cost about 125 µs of CPU a request on the
event loop, against about 40 µs for this (``bench/RESULTS.md``, "Worker threads"), of a
submission's 3–4 ms. As with anyio, the work runs in a copy of the caller's context (the
request's record, :mod:`sanquan.observability.requests`). A caller cancelled while its
work runs waits for the thread to finish before it unwinds, however often it is
cancelled (anyio's gave up at the first cancellation from outside anyio, such as
uvicorn's at the end of a graceful shutdown), so that nothing outlives the request that
started it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from contextvars import copy_context
from typing import TypeVar

T = TypeVar("T")


class WorkerThreads:
    """At most ``size`` calls at once, each in a thread of its own; the rest wait in turn."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._executor: ThreadPoolExecutor | None = None

    def close(self) -> None:
        """Let the threads end once the calls already handed over have run (the app's
        lifespan ends it: otherwise each app left its idle threads behind, hundreds in a
        test session). Does not wait; a later call starts new threads."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)

    async def run(self, work: Callable[[], T], stop: Callable[[], None] | None = None) -> T:
        """``work()``'s answer, computed in a worker thread in a copy of this context.
        Cancelled while queued, the work never runs; while running, ``stop`` (if given)
        asks it to end early, and the caller unwinds once it has."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.size, thread_name_prefix="sanquan-worker")
        job = self._executor.submit(copy_context().run, work)
        done = asyncio.wrap_future(job)
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            if not job.cancel():
                # A thread cannot be stopped: the caller unwinds once the work has (a
                # request's deadline bounds how long that is).
                if stop is not None:
                    stop()
                # Cancelled again meanwhile (uvicorn cancels what outlives its graceful
                # shutdown, then ``asyncio.run`` cancels every task left), it still waits.
                while not done.done():
                    with suppress(asyncio.CancelledError):
                        await asyncio.wait([done])
            raise
