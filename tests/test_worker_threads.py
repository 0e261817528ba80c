"""The worker threads' hand-off (``sanquan.api.threads``): the bound, the request's context,
and what a cancelled caller leaves behind (nothing running, nothing started)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any, TypeVar

import pytest

from sanquan.api.threads import WorkerThreads

T = TypeVar("T")

WAIT = 10.0
"""Seconds any step may take before the test calls it hung."""

asked: ContextVar[str] = ContextVar("asked", default="nobody")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on a thread of its own: Playwright's sync API, which the
    browser tests use, keeps an event loop running on the main thread of the pytest
    worker they ran in, and ``asyncio.run`` refuses to start beside it."""
    with ThreadPoolExecutor(1, thread_name_prefix="test-loop") as loop_thread:
        return loop_thread.submit(asyncio.run, main).result()


def test_the_work_sees_the_callers_context() -> None:
    def work() -> tuple[str, str]:
        return asked.get(), threading.current_thread().name

    async def scenario() -> tuple[str, str]:
        threads = WorkerThreads(2)
        asked.set("expert-7")
        return await threads.run(work)

    seen, thread = run(scenario())
    assert seen == "expert-7"
    assert thread.startswith("sanquan-worker"), thread


def test_no_more_calls_run_at_once_than_the_pool_has_threads() -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        threading.Event().wait(0.02)
        with lock:
            running -= 1

    async def scenario() -> None:
        threads = WorkerThreads(2)
        await asyncio.gather(*(threads.run(work) for _ in range(8)))

    run(scenario())
    assert most == 2


def test_a_call_cancelled_while_queued_never_runs() -> None:
    release = threading.Event()
    ran: list[str] = []

    def blocking() -> None:
        release.wait(WAIT)
        ran.append("first")

    async def scenario() -> None:
        threads = WorkerThreads(1)
        first = asyncio.create_task(threads.run(blocking))
        queued = asyncio.create_task(threads.run(lambda: ran.append("queued")))
        await asyncio.sleep(0.05)
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(queued, WAIT)
        release.set()
        await asyncio.wait_for(first, WAIT)
        await asyncio.wait_for(threads.run(lambda: None), WAIT)  # the pool is free again

    run(scenario())
    assert ran == ["first"]


class Held:
    """Work that runs until released (at most :data:`WAIT`), saying when it began and
    when it ended."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()

    def __call__(self) -> None:
        self.started.set()
        self.release.wait(WAIT)
        self.finished.set()

    async def begun(self) -> None:
        while not self.started.is_set():
            await asyncio.sleep(0.01)


def test_a_caller_cancelled_while_its_work_runs_stops_it_and_waits_for_it() -> None:
    work = Held()

    async def scenario() -> bool:
        threads = WorkerThreads(1)
        call = asyncio.create_task(threads.run(work, stop=work.release.set))
        await work.begun()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(call, WAIT)
        return work.finished.is_set()

    assert run(scenario()), "the caller unwound before its work had ended"
    assert work.release.is_set(), "the work was not asked to stop"


def test_an_error_in_the_work_reaches_the_caller() -> None:
    def failing() -> None:
        raise LookupError("no such session")

    async def scenario() -> None:
        await WorkerThreads(1).run(failing)

    with pytest.raises(LookupError, match="no such session"):
        run(scenario())


def test_a_caller_cancelled_twice_still_waits_for_its_work() -> None:
    """uvicorn cancels the requests still running when its graceful shutdown times out,
    and ``asyncio.run`` cancels every task left once more as it ends: the second
    cancellation must not let the caller unwind while its work runs on."""
    work = Held()

    async def scenario() -> bool:
        threads = WorkerThreads(1)
        call = asyncio.create_task(threads.run(work, stop=lambda: None))
        await work.begun()
        call.cancel()
        await asyncio.sleep(0.05)
        call.cancel()
        await asyncio.sleep(0.05)
        unwound_early = call.done()
        work.release.set()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(call, WAIT)
        return not unwound_early and work.finished.is_set()

    assert run(scenario()), "the caller unwound before its work had ended"


def test_closed_threads_end_and_a_later_call_gets_new_ones() -> None:
    """An app's lifespan closes its pool when it ends: the threads go (a test session
    makes hundreds of apps), and an app started again gets threads again."""

    def ours() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("sanquan-worker")}

    before = ours()

    async def scenario() -> None:
        threads = WorkerThreads(2)
        await asyncio.gather(*(threads.run(lambda: threading.Event().wait(0.02)) for _ in range(4)))
        assert len(ours() - before) == 2
        threads.close()
        for thread in ours() - before:
            thread.join(WAIT)
        assert ours() - before == set()
        assert await threads.run(asked.get) == "nobody"  # usable again

    run(scenario())
