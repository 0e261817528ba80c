"""Throwaway PostgreSQL server for the test suite, safe to start as root.

Why this module exists: pytest-postgresql's own ``postgresql_proc`` fixture runs
``pg_ctl initdb`` / ``pg_ctl start`` as the current user, and PostgreSQL's
``initdb`` and ``postgres`` refuse to run as root ("cannot be run as root").
Our containers and CI jobs run the suite as root, so here we drive
pytest-postgresql's :class:`~pytest_postgresql.executors.PostgreSQLExecutor`
ourselves and, when running as root, point it at a tiny wrapper script that
re-executes ``pg_ctl`` as Debian's unprivileged ``postgres`` system user via
``runuser``.  The data directory, log file and unix socket live in a private
temporary directory owned by that user (under ``/dev/shm`` when it is a roomy
tmpfs, else ``/tmp``; override with ``$SANQUAN_PG_TMPDIR``) -- never under
pytest's root-only ``tmp_path_factory`` base.  The server listens on a free TCP
port on 127.0.0.1 with ``trust`` authentication, superuser ``postgres``, no
password.  A watchdog (:mod:`tests.postgres_watchdog`) stops it and removes its
directories when the test process dies without tearing it down (SIGKILL), so a
killed run leaves no server behind.  Under pytest-xdist the controller starts one
server for all its workers (:func:`shared_server`), each worker a session of its own
with its own databases on it.

Public API:

* :func:`find_pg_bindir` -- locate the PostgreSQL server binaries.
* :func:`postgresql_server` -- session-scoped fixture yielding a running
  :class:`PostgresServer` (skipped when PostgreSQL is not installed, except
  under ``CI=true`` where that is a failure); :func:`throwaway_server`, the
  same as a context manager.
* :func:`fresh_database` -- context manager creating a uniquely named database
  (optionally cloned from a template) and yielding its SQLAlchemy URL.
"""

from __future__ import annotations

import json
import os
import pwd
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
from pytest_postgresql.executors import PostgreSQLExecutor
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy.engine import URL

from tests.required import unavailable

BINDIR_ENV_VAR = "SANQUAN_PG_BINDIR"
TMPDIR_ENV_VAR = "SANQUAN_PG_TMPDIR"
DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
PG_SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
_SHM = Path("/dev/shm")
_MIN_SHM_FREE = 1 << 30

MISSING_BINARIES_MESSAGE = (
    "PostgreSQL binaries not found; install Debian's postgresql package "
    "(apt-get install postgresql) or set SANQUAN_PG_BINDIR to run the "
    "PostgreSQL half of the suite"
)

# Durability is irrelevant for a throwaway server; trade it for speed. Except fsync, which
# the executor turns off (-F) and the durability tests read back: on tmpfs (the usual
# place, see below) it costs nothing.
# synchronous_commit stays off, so those tests show the service turning it on for itself.
# Four workers, and the servers they start, share one server: room for their connections.
_FAST_SERVER_OPTIONS = (
    "-c synchronous_commit=off -c full_page_writes=off -c fsync=on -c max_connections=400"
)


@dataclass(frozen=True)
class PostgresServer:
    """Connection details of a running throwaway PostgreSQL server."""

    host: str
    port: int
    user: str
    password: str | None = None
    maintenance_dbname: str = "postgres"

    def url(self, dbname: str) -> str:
        """Return the SQLAlchemy (psycopg 3) URL of ``dbname`` on this server."""
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            database=dbname,
        ).render_as_string(hide_password=False)


def _has_pg_ctl(bindir: Path) -> bool:
    pg_ctl = bindir / "pg_ctl"
    return pg_ctl.is_file() and os.access(pg_ctl, os.X_OK)


def _version_key(path: Path) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in path.name.split("."))
    except ValueError:
        return (-1,)


def find_pg_bindir() -> Path | None:
    """Locate the directory holding ``pg_ctl`` (and the other server binaries).

    Order: ``$SANQUAN_PG_BINDIR`` if set (no fallback when it is wrong), then
    ``pg_config --bindir`` if that directory has ``pg_ctl``, then the highest
    version under Debian's ``/usr/lib/postgresql/<version>/bin``.  Returns
    ``None`` when nothing usable is found.
    """
    override = os.environ.get(BINDIR_ENV_VAR)
    if override:
        candidate = Path(override)
        return candidate if _has_pg_ctl(candidate) else None

    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        try:
            result = subprocess.run(
                [pg_config, "--bindir"],
                capture_output=True,
                text=True,
                check=False,
                timeout=10,
            )
        except (OSError, subprocess.SubprocessError):
            result = None
        if result is not None and result.returncode == 0 and result.stdout.strip():
            candidate = Path(result.stdout.strip())
            if _has_pg_ctl(candidate):
                return candidate

    if DEBIAN_PG_ROOT.is_dir():
        versions = sorted(
            (p for p in DEBIAN_PG_ROOT.iterdir() if _has_pg_ctl(p / "bin")),
            key=_version_key,
            reverse=True,
        )
        if versions:
            return versions[0] / "bin"
    return None


def _free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _find_runuser() -> str | None:
    found = shutil.which("runuser")
    if found is not None:
        return found
    for candidate in ("/usr/sbin/runuser", "/sbin/runuser"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _server_parent_dir() -> str:
    """Pick where the server's private directory is created.

    ``$SANQUAN_PG_TMPDIR`` if set; else ``/dev/shm`` when it is a writable
    tmpfs with at least 1 GiB free (``CREATE DATABASE`` from a template is
    roughly 10x faster in RAM than on disk); else ``/tmp``.  Deliberately not
    ``$TMPDIR`` or pytest's ``tmp_path_factory`` base: those can be private to
    root (0700), and the ``postgres`` user has to be able to reach the directory.
    """
    override = os.environ.get(TMPDIR_ENV_VAR)
    if override:
        return override
    try:
        shm = os.statvfs(_SHM)
        usable = (
            _SHM.is_dir()
            and os.access(_SHM, os.W_OK | os.X_OK)
            and bool(_SHM.stat().st_mode & stat.S_IXOTH)
            and shm.f_bavail * shm.f_frsize >= _MIN_SHM_FREE
        )
    except OSError:
        usable = False
    return str(_SHM) if usable else "/tmp"


def _write_pg_ctl_wrapper(directory: Path, pg_ctl: Path, runuser: str, user: str) -> Path:
    """Write a script (ours, never writable by ``user``) running ``pg_ctl`` as ``user``."""
    wrapper = directory / "pg_ctl"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"# Generated by {__name__}: initdb/postgres refuse to run as root.\n"
        "cd / || exit 1\n"
        f'exec {shlex.quote(runuser)} -u {shlex.quote(user)} -- {shlex.quote(str(pg_ctl))} "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


_WATCHDOG = Path(__file__).with_name("postgres_watchdog.py")


@contextmanager
def _watched(pg_ctl: Path, datadir: Path, directories: list[Path]) -> Iterator[None]:
    """Have a watchdog stop the server and remove ``directories`` once this process is gone,
    even killed outright: ``pg_ctl start`` detaches the server from us (see
    :mod:`tests.postgres_watchdog`). In a session of its own, so that a Ctrl-C reaches only
    the run, which then stops the server itself; the watchdog is let go when the block ends."""
    read_end, write_end = os.pipe()  # not inheritable: only this process holds write_end
    with subprocess.Popen(
        [sys.executable, str(_WATCHDOG), str(pg_ctl), str(datadir), *map(str, directories)],
        stdin=read_end,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    ) as watchdog:
        os.close(read_end)
        try:
            yield
        finally:
            os.close(write_end)
            watchdog.wait()


SHARED_SERVER = "sanquan_postgresql_server"
"""The key, in a pytest-xdist worker's ``workerinput``, of the run's one server: the
controller starts it (:func:`shared_server`) for all of its workers."""


@pytest.fixture(scope="session")
def postgresql_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    """The throwaway PostgreSQL server of the whole test session: the run's one server
    under pytest-xdist, else one started here.

    Skips (or, with ``CI=true``, fails) when the PostgreSQL binaries are missing.
    """
    shared = getattr(request.config, "workerinput", {}).get(SHARED_SERVER)
    if shared is not None:
        yield PostgresServer(**json.loads(shared))
        return
    with throwaway_server() as server:
        yield server


def shared_server(stack: ExitStack) -> PostgresServer | None:
    """A server for the workers of a pytest-xdist run to share, started by the controller
    until ``stack`` closes: one server start, and one build of each template, instead of
    one a worker. ``None`` where none can be started: the workers then skip, or fail, as
    their own start would."""
    try:
        return stack.enter_context(throwaway_server())
    except (pytest.skip.Exception, pytest.fail.Exception):
        return None


def encode(server: PostgresServer) -> str:
    """``server`` as a worker's ``workerinput`` carries it (see :data:`SHARED_SERVER`)."""
    return json.dumps(asdict(server))


@contextmanager
def throwaway_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server while the block runs, watched (see :func:`_watched`);
    skipped (or, with ``CI=true``, failed) when the PostgreSQL binaries are missing."""
    bindir = find_pg_bindir()
    if bindir is None:
        unavailable(MISSING_BINARIES_MESSAGE)
    pg_ctl = bindir / "pg_ctl"

    run_as_root = os.geteuid() == 0
    owner: pwd.struct_passwd | None = None
    runuser: str | None = None
    if run_as_root:
        try:
            owner = pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            unavailable(
                f"running as root but there is no {PG_SYSTEM_USER!r} system user "
                "to run PostgreSQL as; "
                "install Debian's postgresql package (apt-get install postgresql)"
            )
        runuser = _find_runuser()
        if runuser is None:
            unavailable("running as root but runuser (util-linux) was not found to drop privileges")

    # The wrapper lives in a private directory of ours; the server's own files
    # (data directory, log, unix socket) in a directory owned by the server user.
    bin_dir = Path(tempfile.mkdtemp(prefix="sanquan-pg-bin-"))
    run_dir = Path(tempfile.mkdtemp(prefix="sanquan-pg-", dir=_server_parent_dir()))
    executor: PostgreSQLExecutor | None = None
    with ExitStack() as watch:  # let the watchdog go once the server is stopped
        try:
            if owner is not None and runuser is not None:
                os.chown(run_dir, owner.pw_uid, owner.pw_gid)
                executable = _write_pg_ctl_wrapper(bin_dir, pg_ctl, runuser, owner.pw_name)
            else:
                executable = pg_ctl

            watch.enter_context(_watched(executable, run_dir / "data", [run_dir, bin_dir]))
            port = _free_port()
            logfile = run_dir / "postgresql.log"
            executor = PostgreSQLExecutor(
                executable=str(executable),
                host=HOST,
                port=port,
                datadir=str(run_dir / "data"),
                unixsocketdir=str(run_dir),
                logfile=str(logfile),
                startparams="-w",
                dbname="postgres",
                user=SUPERUSER,
                password=None,
                postgres_options=_FAST_SERVER_OPTIONS,
            )
            try:
                executor.start()
            except Exception as exc:
                log_tail = logfile.read_text(errors="replace")[-2000:] if logfile.is_file() else ""
                raise RuntimeError(
                    f"could not start PostgreSQL from {bindir} on {HOST}:{port}: {exc}\n"
                    f"--- {logfile} (tail) ---\n{log_tail}"
                ) from exc
            yield PostgresServer(host=HOST, port=port, user=SUPERUSER, password=None)
        finally:
            try:
                if executor is not None and executor.running():
                    executor.stop()
            finally:
                shutil.rmtree(run_dir, ignore_errors=True)
                shutil.rmtree(bin_dir, ignore_errors=True)


@contextmanager
def fresh_database(server: PostgresServer, template: str | None = None) -> Iterator[str]:
    """Create a uniquely named database and yield its SQLAlchemy URL.

    The database is cloned from ``template`` when given (``CREATE DATABASE ...
    TEMPLATE``; any open connections to the template are terminated first, as
    PostgreSQL requires), otherwise from the server's default ``template1``.
    It is dropped, with its connections terminated, when the block exits.  The
    database name is ``make_url(url).database``.
    """
    dbname = f"sanquan_{uuid.uuid4().hex[:16]}"
    with janitor(server, dbname, template):
        yield server.url(dbname)


def create_database(server: PostgresServer, dbname: str, template: str | None = None) -> str:
    """Create ``dbname`` (cloned from ``template`` when given) to last as long as the
    server, as a template does; its SQLAlchemy URL."""
    janitor(server, dbname, template).init()
    return server.url(dbname)


def drop_database(server: PostgresServer, dbname: str) -> None:
    janitor(server, dbname).drop()


def janitor(server: PostgresServer, dbname: str, template: str | None = None) -> DatabaseJanitor:
    return DatabaseJanitor(
        user=server.user,
        host=server.host,
        port=server.port,
        password=server.password,
        dbname=dbname,
        template_dbname=template,
        maintenance_dbname=server.maintenance_dbname,
        connection_timeout=10,
    )
