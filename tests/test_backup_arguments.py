"""``sanquan backup`` and ``sanquan restore`` refuse, in words that name the argument or
setting at fault, what would otherwise do something odd: a ``FILE`` ending in ``/`` (a
folder, which would have become a file of that name), ``:memory:`` as ``FILE`` (SQLite's
name for no file), and a database URL that names an SQLite database in memory (a restore
wrote a file called ``:memory:``). Each refusal changes nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sanquan.backup import DATABASE_SETTING, FILE, BackupError, file_argument, sqlite_file
from tests.serving import SANQUAN

pytestmark = pytest.mark.engine_independent


def sanquan(
    directory: Path, database_url: str, *args: str, chinese: bool = False
) -> subprocess.CompletedProcess[str]:
    """The command run in ``directory`` (where a stray file would land), in English, or
    in Chinese as a Chinese locale makes it speak (no ``--lang``)."""
    env = {**os.environ, "SANQUAN_DATABASE_URL": database_url, "SANQUAN_DATA_DIR": str(directory)}
    if chinese:
        env["LANG"] = "zh_CN.UTF-8"
        env.pop("LC_ALL", None)
    return subprocess.run(
        [*SANQUAN, *([] if chinese else ["--lang", "en"]), *args],
        env=env,
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def database(tmp_path: Path) -> str:
    """An SQLite file's URL: the refusals come before the database is opened."""
    return f"sqlite:///{tmp_path / 'live' / 'sanquan.sqlite3'}"


def listing(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_a_file_ending_in_a_slash_is_a_folder_and_refused(
    tmp_path: Path, database: str, command: str
) -> None:
    before = listing(tmp_path)
    refused = sanquan(tmp_path, database, command, "backups/")
    assert refused.returncode == 2
    assert refused.stderr == (
        "error: FILE: 'backups/' ends with / and so names a folder, not a file; give the "
        "backup's file name, such as backups/sanquan.sqlite3\n"
    )
    assert refused.stdout == ""
    assert listing(tmp_path) == before, "no file named backups, no folder either"


def test_the_refusal_names_the_argument_in_chinese_too(tmp_path: Path, database: str) -> None:
    refused = sanquan(tmp_path, database, "backup", "备份/", chinese=True)
    assert refused.returncode == 2
    assert refused.stderr.startswith("错误:文件:“备份/”以 / 结尾,是目录而不是文件")
    assert not (tmp_path / "备份").exists()


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_an_existing_folder_is_refused_in_the_commands_language(
    tmp_path: Path, database: str, command: str
) -> None:
    (tmp_path / "备份").mkdir()
    before = listing(tmp_path)
    refused = sanquan(tmp_path, database, command, "备份")
    assert refused.returncode == 2
    assert refused.stderr == (
        "error: FILE: '备份' is an existing folder, not a file; give the backup's file name, "
        f"such as {Path('备份') / 'sanquan.sqlite3'}\n"
    )
    chinese = sanquan(tmp_path, database, command, "备份", chinese=True)
    assert chinese.returncode == 2
    assert chinese.stderr.startswith("错误:文件:“备份”是已有的目录而不是文件"), chinese.stderr
    assert listing(tmp_path) == before


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_memory_as_the_file_is_refused(tmp_path: Path, database: str, command: str) -> None:
    before = listing(tmp_path)
    refused = sanquan(tmp_path, database, command, ":memory:")
    assert refused.returncode == 2
    assert refused.stderr == (
        "error: FILE: ':memory:' is SQLite's name for a database in memory, not a file; "
        f"sanquan {command} needs a file name (write ./:memory: for a file of that name)\n"
    )
    assert listing(tmp_path) == before


def test_a_file_named_memory_may_still_be_written_by_its_path(
    tmp_path: Path, database: str
) -> None:
    migrated = sanquan(tmp_path, database, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    done = sanquan(tmp_path, database, "backup", "./:memory:")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ":memory:").is_file()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
@pytest.mark.parametrize("command", ["backup", "restore"])
def test_an_in_memory_database_is_refused_naming_the_setting(
    tmp_path: Path, url: str, command: str
) -> None:
    """Before, ``restore`` wrote the backup to a file named ``:memory:`` in the current
    folder, and ``backup`` said that ``:memory:`` does not exist."""
    backup = tmp_path / "b.sqlite3"
    backup.write_bytes(b"")  # the setting is refused before the backup is read
    before = listing(tmp_path)
    refused = sanquan(tmp_path, url, command, str(backup) if command == "restore" else "c.sqlite3")
    assert refused.returncode == 2
    assert refused.stderr == (
        f"error: SANQUAN_DATABASE_URL={url!r}: names an SQLite database in memory, which "
        "lives only inside the process that opened it: there is no file to back up or to "
        "restore into; set it to an SQLite file (sqlite:///var/sanquan.sqlite3)\n"
    )
    assert listing(tmp_path) == before


@pytest.mark.parametrize(
    ("raw", "code"),
    [("dir/", "FOLDER_NOT_FILE"), (f"a{os.sep}", "FOLDER_NOT_FILE"), (":memory:", "IN_MEMORY")],
)
def test_the_file_refusals_are_typed(raw: str, code: str) -> None:
    with pytest.raises(BackupError) as raised:
        file_argument(raw, "backup")
    assert (raised.value.code, raised.value.argument) == (code, FILE)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file::memory:?uri=true",
        "sqlite:///x.db?mode=memory",
    ],
)
def test_every_spelling_of_an_in_memory_database_is_refused(url: str) -> None:
    with pytest.raises(BackupError) as raised:
        sqlite_file(url)
    assert (raised.value.code, raised.value.argument) == ("IN_MEMORY", DATABASE_SETTING)


def test_a_file_argument_is_kept_as_typed() -> None:
    assert file_argument("backups/today.sqlite3", "backup") == Path("backups/today.sqlite3")
    assert sqlite_file("sqlite:///var/sanquan.sqlite3") == Path("var/sanquan.sqlite3")
