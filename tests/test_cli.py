"""The command line as a commission officer and a script meet it, through real ``sanquan``
processes on a real database: one language per run, results on stdout and every refusal
on stderr (as JSON under ``--json``) naming the valid choices and the command's own
options, JSON wherever a table is printed, tables that fit the terminal, and the id of a
new account beside its token. Tests about what a command says run it in this process
(:func:`here`): each command is run as a real process here or elsewhere in the suite, and
another Python start for each run would prove nothing more."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import click
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sanquan.api.ids import global_id
from sanquan.auth.models import Role
from sanquan.cli import root
from sanquan.cli.exports import FORMATS, KINDS, STATUSES
from sanquan.cli.tokens import ROLES
from sanquan.exports.formats import ExportFormat
from sanquan.exports.service import ExportKind
from sanquan.findings.models import ItemStatus
from sanquan.institutions.models import Institution
from tests.commands import in_process
from tests.conftest import Api, World
from tests.serving import SANQUAN

pytestmark = pytest.mark.engine_independent

CHINESE = re.compile(r"[\u4e00-\u9fff]")
LOCALE = ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")


def sanquan(
    *args: str, database_url: str | None = None, **variables: str
) -> subprocess.CompletedProcess[str]:
    """One run of ``sanquan``, a process, piped, in the C locale unless ``variables`` set
    one."""
    return subprocess.run(
        [sys.executable, "-m", "sanquan", *args],
        env=environment(database_url, variables),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def here(
    *args: str, database_url: str | None = None, **variables: str
) -> subprocess.CompletedProcess[str]:
    """The same run as :func:`sanquan`, in this process (:mod:`tests.commands`), for the
    tests about what a command says rather than its process."""
    return in_process(args, environment(database_url, variables))


def environment(database_url: str | None, variables: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LOCALE and k != "COLUMNS"}
    if database_url is not None:
        env["SANQUAN_DATABASE_URL"] = database_url
    return env | variables


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def every_command(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*path, name))
        if isinstance(command, click.Group):
            found.extend(every_command(command, (*path, name)))
    return found


def test_help_speaks_chinese_by_default_and_english_when_asked() -> None:
    """Every command's help, in this process; :func:`test_an_english_locale_speaks_english_
    and_lang_overrides_it` reads help from a real process."""
    for command in [(), *every_command(root)]:
        zh = here(*command, "--help")
        assert zh.returncode == 0, zh.stderr
        assert zh.stdout.startswith("用法: sanquan"), zh.stdout
        assert "选项:" in zh.stdout and "显示此帮助并退出。" in zh.stdout
        assert not re.search(r"Usage|Options|Show this message|default:|required", zh.stdout)
        en = here(*command, "--help", "--lang", "en")
        assert en.returncode == 0, en.stderr
        assert en.stdout.startswith("Usage: sanquan"), en.stdout
        assert "Show this message and exit." in en.stdout
        assert "用法" not in en.stdout and "选项" not in en.stdout
        for text in (zh.stdout, en.stdout):
            assert "``" not in text and "<bool>" not in text and "Nagle" not in text
            assert all(width(line) <= 80 for line in text.splitlines()), text


def test_an_english_locale_speaks_english_and_lang_overrides_it() -> None:
    assert sanquan("--help", LANG="en_US.UTF-8").stdout.startswith("Usage:")
    assert sanquan("--help", LC_ALL="zh_CN.UTF-8", LANG="en_US.UTF-8").stdout.startswith("用法")
    assert sanquan("--lang", "zh", "--help", LANG="en_GB.UTF-8").stdout.startswith("用法")
    refused = sanquan("--lang", "fr", "--help")
    assert refused.returncode == 2
    assert (refused.stdout, refused.stderr) == ("", "错误:--lang 的值“fr”无效;可选:zh, en\n")


def printed_by(probe: str) -> list[str]:
    """The lines ``probe`` prints in a fresh interpreter: what it imported is its own."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.splitlines()


def test_help_imports_nothing_of_the_service() -> None:
    """What keeps ``sanquan --help`` instant: no database, GraphQL, web or solver stack."""
    probe = (
        "from sanquan.cli import main\n"
        "try:\n"
        "    main(['schedule', 'plan', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('sqlalchemy', 'strawberry', 'starlette', 'uvicorn', 'openpyxl', 'ortools',"
        " 'rich', 'sanquan.models')\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    assert printed_by(probe)[-1] == "[]"


def test_serving_imports_no_spreadsheet_or_solver_until_asked() -> None:
    """What keeps every ``sanquan serve`` (and the suite's many) a fifth quicker to start:
    the app imports openpyxl, NumPy and OR-Tools only when an export or a plan needs them,
    and they are still there when one does."""
    probe = (
        "import sanquan.app\n"
        "heavy = ('openpyxl', 'numpy', 'ortools')\n"
        "print([name for name in heavy if name in sys.modules])\n"
        "from sanquan.exports.formats import ExportFormat, render\n"
        "from sanquan.exports.table import Column, ColumnKind, Table\n"
        "table = Table('t', 't', 't', (Column('a', ColumnKind.TEXT),), [('=1',)])\n"
        "print(render(table, ExportFormat.XLSX)[:2])\n"
        "print([name for name in heavy[:2] if name in sys.modules])\n"
    )
    assert printed_by(probe) == ["[]", "b'PK'", "['openpyxl', 'numpy']"]


def test_a_bad_choice_is_refused_on_stderr_with_the_valid_ones() -> None:
    role = sanquan("token", "create", "--role", "SUPERUSER", "--name", "x")
    assert (role.returncode, role.stdout) == (2, "")
    assert role.stderr.splitlines()[0] == (
        "错误:--role:“SUPERUSER”不是可选值;可选:ADMIN, INSTITUTION, EXPERT, UNIT, VIEWER"
    )
    policy = sanquan("schedule", "plan", "--start", "2027Q1", "--policy", "foo", "--lang", "en")
    assert (policy.returncode, policy.stdout) == (2, "")
    assert policy.stderr.splitlines()[0] == "error: --policy: 'foo' is not one of mix, group"
    kind = sanquan("export", "everything")
    assert "plan-table, unit-table, scores, results, rectification" in kind.stderr
    scripted = sanquan("token", "create", "--role", "root", "--name", "x", "--json")
    assert (scripted.returncode, scripted.stdout) == (2, "")
    [error] = json.loads(scripted.stderr)["errors"]
    assert (error["code"], error["option"]) == ("USAGE", "--role")
    assert "ADMIN, INSTITUTION, EXPERT, UNIT, VIEWER" in error["message"]


def test_the_command_lines_choices_are_the_domains() -> None:
    """The choices are named without importing the models (for a fast help); they must
    stay the models' own."""
    assert tuple(Role) == ROLES
    assert tuple(ItemStatus) == STATUSES
    assert set(KINDS.values()) == set(ExportKind)
    assert {f.upper() for f in FORMATS} == set(ExportFormat)


def test_planning_refusals_name_the_command_lines_options(world: World, database_url: str) -> None:
    zero = here(
        "schedule",
        "plan",
        "--start",
        "2027q1",
        "--sessions-per-quarter",
        "0",
        database_url=database_url,
    )
    assert (zero.returncode, zero.stdout) == (2, "")
    assert zero.stderr == "错误:--sessions-per-quarter:至少为 1\n"
    scripted = here(
        "schedule",
        "plan",
        "--start",
        "2027Q1",
        "--sessions-per-quarter",
        "0",
        "--json",
        "--lang",
        "en",
        database_url=database_url,
    )
    assert (scripted.returncode, scripted.stdout) == (2, "")
    assert json.loads(scripted.stderr) == {
        "errors": [
            {
                "code": "INVALID_VALUE",
                "message": "--sessions-per-quarter: must be at least 1",
                "option": "--sessions-per-quarter",
            }
        ]
    }
    one = here(
        "schedule",
        "plan",
        "--start",
        "2027Q1",
        "--sessions-per-quarter",
        "1",
        database_url=database_url,
    )
    assert one.stderr.startswith("错误:92 所高校至少需要 19 次")
    assert "sessionsPerQuarter" not in zero.stderr + scripted.stderr + one.stderr


def test_schedule_plan_json_names_each_school_beside_its_code(
    world: World, database_url: str, db: Session
) -> None:
    done = sanquan("schedule", "plan", "--start", "2027q1", "--json", database_url=database_url)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert (plan["start"], plan["sessionsPerQuarter"], plan["draftPlanId"]) == ("2027Q1", 2, None)
    names = dict(db.execute(select(Institution.code, Institution.name)).all())
    listed = [school for session in plan["sessions"] for school in session["institutions"]]
    assert len(listed) == 92
    assert all(school["name"] == names[school["code"]] for school in listed)


@pytest.mark.parametrize("columns", ["80", "120", None])
def test_tables_fit_the_terminal_and_cut_names_with_an_ellipsis(
    world: World, database_url: str, columns: str | None
) -> None:
    """At 80 and 120 columns and piped (no COLUMNS: 80), every line fits, every quarter
    and version is whole, and only names are cut, visibly."""
    wide = {"COLUMNS": columns} if columns else {}
    limit = int(columns or 80)
    plan = here("schedule", "plan", "--start", "2027Q1", database_url=database_url, **wide)
    assert plan.returncode == 0, plan.stderr
    lines = plan.stdout.splitlines()
    assert all(width(line) <= limit for line in lines)
    rows = [line for line in lines if re.search(r"\d{4}Q\d", line)][1:]  # after the title
    assert len(rows) == 12
    assert all("…" in row for row in rows)  # five schools' names never fit in half a line
    listed = here("plugins", "list", **wide)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert all(width(line) <= limit for line in lines)
    for version in ("2019.1.0", "2023.1.0", "2024.1.0"):
        assert version in listed.stdout
    rows = [line for line in lines if "sanquan-plugin-" in line]
    assert len(rows) == 3
    cut = any("…" in row for row in rows)
    assert cut == (limit < 100)  # the widest row takes 96 columns


def test_plugins_list_as_json() -> None:
    done = sanquan("plugins", "list", "--json")
    assert done.returncode == 0, done.stderr
    listed = {p["distribution"]: p for p in json.loads(done.stdout)}
    assert listed["sanquan-plugin-beijing"]["indicatorSets"] == [
        {"key": "beijing-sanquan", "version": "2019.1"}
    ]
    assert listed["sanquan-plugin-beijing"]["hooks"] == ["sanquan_indicator_sets"]


VIEWER = "{ viewer { id role institution { name } unit { name owner } } }"


def test_token_create_prints_the_account_id_and_what_it_represents(
    world: World, database_url: str
) -> None:
    unit = here(
        "token",
        "create",
        "--role",
        "unit",
        "--name",
        "思政处",
        "--unit",
        "市教委",
        database_url=database_url,
    )
    assert unit.returncode == 0, unit.stderr
    first, represents, token_line = unit.stdout.splitlines()
    account_id = re.fullmatch(r"账号编号 (\S+):思政处\(UNIT\)", first)
    assert account_id is not None, first
    assert represents == "责任单位:市教委"
    token = token_line.removeprefix("令牌 ")
    assert unit.stderr == "令牌只显示这一次,服务端只保存其哈希值。\n"
    seen = Api(world.client, token)(VIEWER)["viewer"]
    assert seen == {
        "id": account_id[1],
        "role": "UNIT",
        "institution": None,
        "unit": {"name": "市教委", "owner": ""},
    }
    school = here(
        "token",
        "create",
        "--role",
        "INSTITUTION",
        "--name",
        "联络人",
        "--institution",
        "4111010003",
        "--json",
        "--lang",
        "en",
        database_url=database_url,
    )
    made: dict[str, Any] = json.loads(school.stdout)
    assert (made["role"], made["represents"]) == ("INSTITUTION", "清华大学")
    seen = Api(world.client, made["token"])(VIEWER)["viewer"]
    assert seen["id"] == made["accountId"]
    assert (seen["institution"], seen["unit"]) == ({"name": "清华大学"}, None)


def test_one_run_speaks_one_language_service_errors_included(
    world: World, database_url: str
) -> None:
    english = here(
        "token",
        "create",
        "--role",
        "INSTITUTION",
        "--name",
        "x",
        "--lang",
        "en",
        database_url=database_url,
    )
    assert (english.returncode, english.stdout) == (2, "")
    assert english.stderr == (
        "error: --institution: an INSTITUTION account must name the school it represents\n"
    )
    chinese = here(
        "token",
        "create",
        "--role",
        "EXPERT",
        "--name",
        "x",
        "--institution",
        "4111019999",
        database_url=database_url,
    )
    assert chinese.stderr == "错误:--institution:没有学校标识码为“4111019999”的高校\n"
    assert not CHINESE.search(here("plugins", "list", "--lang", "en").stdout.split("\n")[0])


def test_export_refusals_go_to_stderr_and_results_to_stdout(
    world: World, database_url: str, tmp_path: Path
) -> None:
    wrong = here("export", "results", "--plan", "x", "--lang", "en", database_url=database_url)
    assert (wrong.returncode, wrong.stdout) == (2, "")
    assert wrong.stderr.splitlines() == [
        "error: --session: sanquan export results needs it",
        "error: --plan: sanquan export results does not use it",
    ]
    unknown = here("export", "scores", "--session", "999", database_url=database_url)
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr == "错误:--session:没有这个点评工作会\n"
    by_global_id = here(
        "export", "scores", "--session", global_id("ReviewSession", 999), database_url=database_url
    )
    assert by_global_id.stderr == unknown.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["export", "results", "--session", "1"],
        ["token", "create", "--role", "ADMIN", "--name", "ops"],
        ["schedule", "plan", "--start", "2027Q1"],
    ],
)
def test_a_command_outside_the_data_folder_says_so_and_makes_no_database(
    tmp_path: Path, command: list[str]
) -> None:
    """Run where its data folder (``var`` by default, relative to where it runs) holds no
    database, a command names the file it looked for and why, and leaves nothing behind:
    it made an empty database there and then pointed at ``sanquan migrate``."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("SANQUAN_DATA_DIR", "SANQUAN_DATABASE_URL")
    }
    ran = subprocess.run(
        [*SANQUAN, "--lang", "en", *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 2, ran.stderr
    expected = tmp_path / "var" / "sanquan.sqlite3"
    assert ran.stderr.startswith(f"error: there is no database file {expected}: SANQUAN_DATA_DIR")
    assert list(tmp_path.iterdir()) == []
