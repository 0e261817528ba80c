"""Backing up and restoring an SQLite database while it is, or is not, being served.

A backup is SQLite's online backup API in one step (:meth:`sqlite3.Connection.backup`): it
copies the database as one read transaction sees it, so the copy holds every commit made
before it began and none made during it, while the service goes on writing (in WAL mode a
reader never blocks a writer). The copy is written beside its destination and renamed into
place only once it passed ``PRAGMA integrity_check``, so an interrupted backup leaves no
half file under the backup's name.

A restore checks the backup first (an SQLite database, intact, of this service, at a
migration revision this version knows), then refuses to touch a database that is open
elsewhere: that is the case when SQLite cannot take it out of WAL mode, which needs every
other connection closed. PostgreSQL is backed up with its own tools (``pg_dump -Fc`` and
``pg_restore``, see the README).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from sanquan.db import MEMORY, in_memory, sqlite_path
from sanquan.errors import Localized


class BackupError(Exception):
    """Why a backup or restore was refused; nothing was changed. ``argument`` names what
    was at fault when one thing was: :data:`FILE` (the command's argument, which the
    command line puts before the message in its language) or :data:`DATABASE_SETTING`
    (which the message names itself, with its value, as other refused settings are)."""

    def __init__(self, code: str, problem: Localized, argument: str | None = None) -> None:
        super().__init__(problem.en)
        self.code, self.problem, self.argument = code, problem, argument

    def message(self, language: str = "zh") -> str:
        return self.problem.text(language)


FILE = "FILE"
DATABASE_SETTING = "SANQUAN_DATABASE_URL"


def file_argument(raw: str, command: str) -> Path:
    """The ``FILE`` of ``sanquan backup``/``restore`` as typed: a name ending in ``/``
    names a folder, which ``Path`` would silently turn into a file of that name, so does
    the name of a folder that exists, and ``:memory:`` is SQLite's name for no file at
    all, so each is refused here."""
    if raw.endswith(("/", os.sep)):
        raise BackupError(
            "FOLDER_NOT_FILE",
            Localized(
                f"“{raw}”以 / 结尾,是目录而不是文件;请给出备份文件的名称,如 {raw}sanquan.sqlite3",
                f"{raw!r} ends with / and so names a folder, not a file; give the backup's "
                f"file name, such as {raw}sanquan.sqlite3",
            ),
            FILE,
        )
    if Path(raw).is_dir():
        example = Path(raw) / "sanquan.sqlite3"
        raise BackupError(
            "FOLDER_NOT_FILE",
            Localized(
                f"“{raw}”是已有的目录而不是文件;请给出备份文件的名称,如 {example}",
                f"{raw!r} is an existing folder, not a file; give the backup's file name, "
                f"such as {example}",
            ),
            FILE,
        )
    if raw == MEMORY:
        raise BackupError(
            "IN_MEMORY",
            Localized(
                f"“{MEMORY}”是 SQLite 对内存数据库的称呼,不是文件;sanquan {command} "
                f"需要文件名(确指此名的文件请写 ./{MEMORY})",
                f"{MEMORY!r} is SQLite's name for a database in memory, not a file; sanquan "
                f"{command} needs a file name (write ./{MEMORY} for a file of that name)",
            ),
            FILE,
        )
    return Path(raw)


@dataclass(frozen=True)
class Copy:
    """A database file written by a backup or restore: where, its migration revision,
    whether that is this version's newest, and its size."""

    path: Path
    revision: str
    current: bool
    size: int


def sqlite_file(url: str) -> Path:
    """The file of an SQLite database URL; refused for any other database, and for an
    SQLite database in memory (a restore would otherwise write a file named ``:memory:``
    and a backup look for one)."""
    if in_memory(url):
        raise BackupError(
            "IN_MEMORY",
            Localized(
                f"{DATABASE_SETTING}={url!r}:指向内存中的 SQLite 数据库:它只存在于打开它的"
                "进程中,没有可备份的文件,也无处恢复;请将其设为 SQLite 文件"
                "(sqlite:///var/sanquan.sqlite3)",
                f"{DATABASE_SETTING}={url!r}: names an SQLite database in memory, which "
                "lives only inside the process "
                "that opened it: there is no file to back up or to restore into; set it to "
                "an SQLite file (sqlite:///var/sanquan.sqlite3)",
            ),
            DATABASE_SETTING,
        )
    path = sqlite_path(url)
    if path is None:
        raise BackupError(
            "NOT_SQLITE",
            Localized(
                "sanquan backup/restore 只处理 SQLite 数据库;PostgreSQL 请用 pg_dump -Fc 与 "
                "pg_restore(见 README“备份与恢复”)",
                "sanquan backup and restore handle SQLite databases; back up PostgreSQL with "
                "pg_dump -Fc and pg_restore (README, Backup and restore)",
            ),
        )
    return path


def backup(source: Path, target: Path, *, force: bool = False) -> Copy:
    """Copy the live database ``source`` to ``target``, consistent as of the moment the
    copy began."""
    if not source.is_file():
        raise BackupError(
            "NO_DATABASE", Localized(f"数据库文件 {source} 不存在", f"{source} does not exist")
        )
    _refuse_the_database_itself(source, target)
    _refuse_existing(target, force)
    partial = target.with_name(f".{target.name}.partial")
    with _writing(target), contextlib.closing(_open_read_only(source)) as reader:
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(partial)) as written:
            reader.backup(written)  # one step: one read transaction, one snapshot
            written.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    return _checked_into_place(partial, target)


def restore(source: Path, target: Path, *, force: bool = False) -> Copy:
    """Make ``target`` a copy of the backup ``source``; ``target`` must not be open
    elsewhere, and is replaced only with ``force``."""
    check(source)
    _refuse_existing(target, force)
    if target.exists():
        _refuse_in_use(target)
    partial = target.with_name(f".{target.name}.partial")
    with _writing(target), contextlib.closing(_open_read_only(source)) as reader:
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(partial)) as written:
            reader.backup(written)
            written.execute("PRAGMA journal_mode=DELETE")
    return _checked_into_place(partial, target)


def check(path: Path) -> Copy:
    """What the backup at ``path`` holds, if it is one this version can serve: an intact
    SQLite database of this service at a migration revision this version knows."""
    if not path.is_file():
        raise BackupError("NO_BACKUP", Localized(f"{path} 不存在", f"{path} does not exist"))
    try:
        with contextlib.closing(_open_read_only(path)) as connection:
            verdict = connection.execute("PRAGMA integrity_check").fetchall()
            has_version = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            revisions = (
                [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
                if has_version
                else []
            )
    except sqlite3.DatabaseError as error:
        if "malformed" in str(error):
            raise _damaged(path, str(error)) from None
        raise BackupError(
            "NOT_A_DATABASE",
            Localized(
                f"{path} 不是 SQLite 数据库({error})", f"{path} is not an SQLite database ({error})"
            ),
        ) from None
    if [row[0] for row in verdict] != ["ok"]:
        raise _damaged(path, str(verdict[0][0]) if verdict else "?")
    if len(revisions) != 1:
        raise BackupError(
            "NOT_SANQUAN",
            Localized(
                f"{path} 不是 sanquan 的数据库(没有迁移版本记录)",
                f"{path} is not a sanquan database (it records no migration revision)",
            ),
        )
    revision = revisions[0]
    scripts = migrations()
    try:
        known = scripts.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            "UNKNOWN_REVISION",
            Localized(
                f"{path} 的迁移版本 {revision} 不是本版本 sanquan 所知的(来自更新的版本?)",
                f"{path} is at migration revision {revision}, which this version of sanquan "
                "does not know (made by a newer one?)",
            ),
        )
    return Copy(path, revision, revision == scripts.get_current_head(), path.stat().st_size)


def _damaged(path: Path, finding: str) -> BackupError:
    return BackupError(
        "DAMAGED", Localized(f"{path} 已损坏:{finding}", f"{path} is damaged: {finding}")
    )


def migrations() -> ScriptDirectory:
    return ScriptDirectory(str(resources.files("sanquan") / "migrations"))


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A reader that waits for a writer's lock rather than failing at once."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


@contextlib.contextmanager
def _writing(target: Path) -> Iterator[None]:
    """A copy that cannot be written (no such folder, no permission, disk full) is refused
    in words, its partial file removed."""
    try:
        yield
    except (OSError, sqlite3.Error) as error:
        target.with_name(f".{target.name}.partial").unlink(missing_ok=True)
        raise BackupError(
            "CANNOT_WRITE",
            Localized(f"无法写入 {target}:{error}", f"cannot write {target}: {error}"),
        ) from None


def _refuse_the_database_itself(source: Path, target: Path) -> None:
    """A copy renamed over the database, or over its journal, would leave a running
    service writing to a file that is no longer there: acknowledged writes lost at the
    next start. No ``--force`` allows it."""
    live = source.resolve()
    own = {live, *(live.with_name(live.name + suffix) for suffix in ("-wal", "-shm", "-journal"))}
    if target.resolve() in own:
        raise BackupError(
            "SAME_FILE",
            Localized(
                f"不能把备份写到数据库本身或其日志文件 {target} 上",
                f"a backup cannot be written over the database or its journal: {target}",
            ),
        )


def _refuse_existing(target: Path, force: bool) -> None:
    if target.exists() and not force:
        raise BackupError(
            "EXISTS",
            Localized(
                f"{target} 已存在;确要覆盖请加 --force",
                f"{target} exists; add --force to replace it",
            ),
        )


def _refuse_in_use(target: Path) -> None:
    """Leaving WAL mode needs every other connection to the database closed: if SQLite
    cannot, someone (a running service) has it open."""
    try:
        with contextlib.closing(sqlite3.connect(target, timeout=0)) as connection:
            connection.execute("PRAGMA journal_mode=DELETE").fetchall()
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        raise BackupError(
            "IN_USE",
            Localized(
                f"{target} 正在被使用(服务仍在运行?):请先停止服务再恢复",
                f"{target} is in use (is the service still running?): stop it before restoring",
            ),
        ) from None


def _checked_into_place(partial: Path, target: Path) -> Copy:
    """Check the copy, make it durable and rename it to ``target`` in one step."""
    try:
        copy = check(partial)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # the rename itself, durable where the OS allows
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return Copy(target, copy.revision, copy.current, copy.size)
