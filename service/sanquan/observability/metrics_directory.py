"""The directory in which several ``sanquan serve`` processes keep their metrics, so that a
scrape of any one of them counts them all (prometheus-client's multiprocess mode).

Each worker writes its counts to files of its own there (``counter_<pid>.db`` …) and the
exposition adds the files up. Three things make that true and not merely configured:

- The directory is emptied when ``serve`` starts: files left by an earlier run would be
  added to this run's counts (a counter that goes down at a restart is read by Prometheus
  as a reset, but one that starts high is read as requests that never came).
- ``serve --workers N`` (N > 1) without ``PROMETHEUS_MULTIPROC_DIR`` makes a temporary
  directory itself and removes it when it stops: several workers without one would each
  answer a scrape with their own share only.
- The supervisor marks a worker that has gone as dead (:func:`forget`), so that the
  ``livesum`` gauges (the pool's connections) stop counting it; its counters stay, as the
  requests it answered did happen.

prometheus-client reads the variable when it is first imported, to choose where values
live: everything here runs before the service's metrics are imported, and imports
prometheus-client only when a worker has gone.
"""

from __future__ import annotations

import enum
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"
FILES = re.compile(r"(counter|histogram|summary|gauge_[a-z]+)_\d+\.db")
"""The names of the files prometheus-client writes there (its kind of metric and a process
id). A scrape reads every ``*.db`` file of the directory as one of them, so another
program's ``archive.db`` there is refused at start, neither deleted nor left to fail every
scrape; other files are not touched."""


class Problem(enum.Enum):
    """Why a directory cannot hold the metrics: the command line words each in its own
    language (``sanquan.cli.messages``), so the kind travels, not a sentence."""

    NOT_A_DIRECTORY = "not a directory"
    NOT_WRITABLE = "not writable"
    IN_USE = "in use by another sanquan serve: give each serve command a directory of its own"
    FOREIGN_FILE = (
        "holds {name}, which is not prometheus-client's, and a scrape reads every *.db file "
        "there: give the metrics a directory of their own"
    )
    SYSTEM = "{name}"
    """The system refused otherwise; ``name`` is its own words (``strerror``)."""


class MetricsDirectoryError(Exception):
    """``PROMETHEUS_MULTIPROC_DIR`` names something that cannot hold the metrics; ``name``
    is the foreign file, or the system's words for :attr:`Problem.SYSTEM`."""

    def __init__(self, directory: str, problem: Problem, name: str = "") -> None:
        super().__init__(f"{MULTIPROCESS}={directory!r}: {problem.value.format(name=name)}")
        self.directory, self.problem, self.name = directory, problem, name


@contextmanager
def shared_metrics(workers: int) -> Iterator[Path | None]:
    """While ``serve`` runs: the directory the processes share, emptied of old counts
    (``PROMETHEUS_MULTIPROC_DIR``, or a temporary one for more than one worker, removed
    afterwards); ``None`` for one process without the setting, which counts in memory."""
    given = os.environ.get(MULTIPROCESS)
    if given:
        with _owned(Path(given)) as directory:
            yield directory
        return
    if workers <= 1:
        yield None
        return
    made = Path(tempfile.mkdtemp(prefix="sanquan-metrics-"))
    os.environ[MULTIPROCESS] = str(made)  # inherited by every worker the supervisor starts
    try:
        yield made
    finally:
        os.environ.pop(MULTIPROCESS, None)
        shutil.rmtree(made, ignore_errors=True)


LOCK = ".sanquan-serve.lock"
"""Held by the ``serve`` command using the directory, for as long as it runs."""


@contextmanager
def _owned(directory: Path) -> Iterator[Path]:
    """``directory``, made if missing, for this ``serve`` alone and without the metric
    files of an earlier run. Raises :class:`MetricsDirectoryError`, with nothing touched,
    when it is no directory, cannot be written, is held by another ``serve`` (whose counts
    emptying it would wipe, even if this one were then refused its port) or holds another
    program's ``.db`` file. A lock, not a list of process ids: the kernel lets go of it
    however its holder ends, and a process id may be another program's after a restart."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = (directory / LOCK).open("a")
    except FileExistsError:
        raise MetricsDirectoryError(str(directory), Problem.NOT_A_DIRECTORY) from None
    except PermissionError:  # the lock file could not be made there
        raise MetricsDirectoryError(str(directory), Problem.NOT_WRITABLE) from None
    except OSError as error:
        raise MetricsDirectoryError(
            str(directory), Problem.SYSTEM, error.strerror or str(error)
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MetricsDirectoryError(str(directory), Problem.IN_USE) from None
        found = sorted(directory.glob("*.db"))
        foreign = [f.name for f in found if not FILES.fullmatch(f.name)]
        if foreign:
            raise MetricsDirectoryError(str(directory), Problem.FOREIGN_FILE, foreign[0])
        try:
            for stale in found:
                stale.unlink()
        except OSError as error:
            raise MetricsDirectoryError(
                str(directory), Problem.SYSTEM, error.strerror or str(error)
            ) from None
        yield directory


def forget(pids: Iterable[int]) -> None:
    """The worker processes ``pids`` have ended: their ``live*`` gauges no longer count."""
    if not os.environ.get(MULTIPROCESS):
        return
    from prometheus_client.multiprocess import mark_process_dead

    for pid in pids:
        mark_process_dead(pid)  # type: ignore[no-untyped-call]
