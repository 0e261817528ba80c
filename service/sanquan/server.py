"""The service's processes: one listening socket, served by one process or by several
identical ones (uvicorn's supervisor), each answering without Nagle's delay and each
finishing the requests it holds when told to stop.

Why the socket is bound here and not by uvicorn: asyncio sets ``TCP_NODELAY`` on an accepted
connection only when the listening socket says its protocol is ``IPPROTO_TCP``, and
uvicorn's own ``bind_socket`` (used for ``--workers`` above 1) makes it with protocol 0, so
every response then waits for the client's delayed ACK: about 40 ms each (bench/RESULTS.md,
"A pitfall found while measuring"). A connection accepted from the socket made here gets
``TCP_NODELAY`` in every worker; ``tests/test_workers.py`` reads it back from the workers'
own sockets.

Why several processes may serve one database: all the state that must agree lives in
PostgreSQL (scores, sessions, tokens, export links, the live progress through
``LISTEN``/``NOTIFY``); what each process keeps for itself only saves work and may differ
(README, "Several processes")."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from contextlib import suppress
from pathlib import Path
from types import FrameType

import uvicorn
from uvicorn.supervisors import Multiprocess

from sanquan.observability.metrics_directory import forget

log = logging.getLogger("sanquan.server")

APP = "sanquan.app:create_app"
"""The factory each worker process calls: it reads the same settings from the environment
and discovers the same plugins as the command that started it."""


PARENT_CHECK_SECONDS = 1.0
"""How often a worker looks whether its supervisor is still there."""


class WorkerConfig(uvicorn.Config):
    """uvicorn's configuration, which in a worker process also starts :func:`_watch_parent`.

    Why: a supervisor stopped by SIGKILL (the out-of-memory killer, an operator's
    ``kill -9``) cannot pass its signal on, and its workers would go on serving the port,
    holding database connections, with nothing left to stop them. uvicorn calls
    ``configure_logging`` first thing in each worker it spawns, which is the one hook a
    worker runs before serving."""

    def configure_logging(self) -> None:
        super().configure_logging()
        parent = multiprocessing.parent_process()
        if parent is not None and parent.pid is not None:
            threading.Thread(
                target=_watch_parent, args=(parent.pid,), name="parent-watch", daemon=True
            ).start()


def _watch_parent(parent: int) -> None:
    """Once the supervisor ``parent`` has gone (this process was handed to another parent),
    stop as SIGTERM stops a worker: refuse new connections, finish the requests in flight."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port``, its protocol stated so that connections
    accepted from it get ``TCP_NODELAY``. Raises :class:`OSError` when the address cannot
    be taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class Supervisor(Multiprocess):
    """uvicorn's supervisor of worker processes, which on SIGTERM or SIGINT first lets go of
    its own copy of the listening socket: the socket is closed (new connections refused)
    once the workers have closed theirs too, instead of the kernel queueing connections
    that no process will accept while the workers drain.

    It also tells the shared metrics when a worker has gone (died and replaced, replaced
    on SIGHUP, or stopped), so that the gauges summed over live processes drop it
    (:mod:`sanquan.observability.metrics_directory`)."""

    def __init__(
        self, config: uvicorn.Config, sockets: list[socket.socket], pin: bool = False
    ) -> None:
        super().__init__(config, sockets)
        self.known: set[int] = set()
        """The workers started and not yet told to the metrics as gone."""
        self.cpus = sorted(os.sched_getaffinity(0)) if pin and _can_pin() else []
        """The CPUs the workers are pinned to, one each in turn; none: not pinned."""
        if pin and not self.cpus:
            log.warning("SANQUAN_PIN_WORKERS: this system cannot pin threads; not pinned")

    def init_processes(self) -> None:
        super().init_processes()
        self.pin()

    def run(self) -> None:
        try:
            super().run()
        finally:
            self.forget_departed()

    def keep_subprocess_alive(self) -> None:
        """Called every half second of the supervisor's loop, after the signals."""
        super().keep_subprocess_alive()
        self.forget_departed()
        self.pin()

    def pin(self) -> None:
        """Keep every thread of the ``i``-th worker on the ``i``-th CPU (in turn), the
        worker replaced after a death or a SIGHUP included (``SANQUAN_PIN_WORKERS``).

        Why: two SQLite processes hand the write lock to each other hundreds of times a
        second, and the kernel tends to run the one it wakes on the waker's core: for
        moments both ran on one core while the other idled. Pinned, the same two
        processes used 1.6 cores instead of 1.5 and served 15 % more submissions
        (bench/RESULTS.md). A thread a worker starts later takes its starter's CPU; the
        threads already there are pinned here, every half second until all are."""
        for index, process in enumerate(self.processes if self.cpus else ()):
            if process.pid is None or process.exitcode is not None:
                continue
            cpu = {self.cpus[index % len(self.cpus)]}
            with suppress(OSError):  # the worker, or one of its threads, ended meanwhile
                for thread in Path(f"/proc/{process.pid}/task").iterdir():
                    with suppress(OSError):
                        if os.sched_getaffinity(int(thread.name)) != cpu:
                            os.sched_setaffinity(int(thread.name), cpu)

    def forget_departed(self) -> None:
        alive = {p.pid for p in self.processes if p.pid is not None and p.exitcode is None}
        forget(self.known - alive)
        self.known = alive

    def stop_listening(self) -> None:
        for sock in self.sockets:
            sock.close()

    def handle_term(self) -> None:
        self.stop_listening()
        super().handle_term()

    def handle_int(self) -> None:
        self.stop_listening()
        super().handle_int()


def _stopped(signum: int, frame: FrameType | None) -> None:
    """uvicorn raises the signal that stopped it again once it has drained; landing here
    instead of the default handler lets a requested, clean stop exit with status 0."""


def _can_pin() -> bool:
    return hasattr(os, "sched_setaffinity") and Path("/proc/self/task").is_dir()


def run(config: uvicorn.Config, sock: socket.socket, pin: bool = False) -> bool:
    """Serve ``sock`` with ``config`` (in ``config.workers`` processes, each on a CPU of
    its own if ``pin``) until SIGTERM or SIGINT, then stop accepting, let the requests in
    flight finish (within ``config.timeout_graceful_shutdown`` seconds) and return.
    ``False`` when the service failed to start."""
    if config.workers > 1:
        Supervisor(config, sockets=[sock], pin=pin).run()
        return True
    server = uvicorn.Server(config)
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return server.started
