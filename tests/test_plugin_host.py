"""Plugins load through the entry-point group; a broken one is reported by name and left
out without taking the others down; two offering the same set is a start-up error."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest

from sanquan.plugins.host import PluginConflict, PluginHost
from sanquan_sdk import ENTRY_POINT_GROUP

ROOT = Path(__file__).resolve().parents[1]
DUPLICATE = "tests.fake_plugins:duplicate"


def installed() -> list[EntryPoint]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def fake(name: str, target: str) -> EntryPoint:
    return EntryPoint(name, target, ENTRY_POINT_GROUP)


def test_installed_plugins_are_discovered() -> None:
    host = PluginHost.discover()
    assert host.failures == []
    beijing = next(p for p in host.plugins if p.distribution == "sanquan-plugin-beijing")
    assert beijing.sets == (("beijing-sanquan", "2019.1"),)
    assert beijing.hooks == ("sanquan_indicator_sets",)
    assert host.indicator_set("beijing-sanquan") is not None


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("tests.no_such_module", "cannot be imported: ModuleNotFoundError"),
        ("tests.fake_plugins:invalid_set", "indicator weights add up to 50, not 100"),
        ("tests.fake_plugins:unknown_argument", "breaks the hook contract"),
        ("tests.fake_plugins:newer_contract", "written for hook contract 99"),
        ("tests.fake_plugins:wrapper", "hook wrappers are not part of the contract"),
    ],
)
def test_a_broken_plugin_is_reported_and_left_out(target: str, reason: str) -> None:
    host = PluginHost.discover(entry_points=[*installed(), fake("zz_broken", target)])
    [failure] = host.failures
    assert failure.startswith(f"plugin {target} ")  # named by its entry point's target
    assert reason in failure
    # the others still work
    assert host.indicator_set("beijing-sanquan", "2019.1") is not None
    assert [p.name for p in host.plugins if p.name == "zz_broken"] == []


def test_one_plugin_under_two_entry_points_is_reported_not_fatal() -> None:
    twice = [fake("zz_a", "tests.fake_plugins:quiet"), fake("zz_b", "tests.fake_plugins:quiet")]
    host = PluginHost.discover(entry_points=[*installed(), *twice])
    [failure] = host.failures
    assert "tests.fake_plugins:quiet cannot be registered" in failure
    assert [p.name for p in host.plugins if p.name.startswith("zz_")] == ["zz_a"]


def test_two_plugins_offering_the_same_set_stop_the_start() -> None:
    with pytest.raises(PluginConflict, match=r"beijing-sanquan 2019\.1 is offered by both"):
        PluginHost.discover(
            entry_points=[*installed(), fake("zz_dup", "tests.fake_plugins:duplicate")]
        )


def installed_next_to_the_service(tmp_path: Path, name: str, target: str) -> dict[str, str]:
    """The environment of a ``sanquan`` command that also finds distribution ``name``,
    whose one plugin is ``target``: an installed package's metadata, without packaging."""
    info = tmp_path / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nzz = {target}\n")
    return {
        "COLUMNS": "200",
        "PATH": "",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "SANQUAN_DATA_DIR": str(tmp_path / "var"),
    }


def sanquan(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sanquan", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_serve_refuses_two_plugins_offering_one_set_before_serving(tmp_path: Path) -> None:
    env = installed_next_to_the_service(tmp_path, "sanquan-plugin-dup", DUPLICATE)
    served = sanquan("serve", "--port", "0", env=env)
    assert served.returncode != 0
    assert served.stdout == ""  # no address printed: nothing was ever served
    assert "Traceback" not in served.stderr
    [line] = served.stderr.splitlines()
    assert "beijing-sanquan 2019.1" in line
    assert "sanquan-plugin-beijing" in line
    assert "sanquan-plugin-dup" in line
    assert not (tmp_path / "var").exists()  # not even the database was touched


def test_plugins_list_fails_on_a_conflict_in_one_line(tmp_path: Path) -> None:
    listed = sanquan(
        "plugins", "list", env=installed_next_to_the_service(tmp_path, "dup", DUPLICATE)
    )
    assert listed.returncode != 0
    assert "Traceback" not in listed.stderr
    [line] = listed.stderr.splitlines()
    assert "sanquan-plugin-beijing" in line


def test_plugins_list_reports_a_broken_plugin_once_and_fails(tmp_path: Path) -> None:
    env = installed_next_to_the_service(tmp_path, "sanquan-plugin-broken", "tests.no_such_module")
    listed = sanquan("plugins", "list", env=env)
    assert listed.returncode != 0
    assert "sanquan-plugin-beijing" in listed.stdout  # the others are still listed
    output = listed.stdout + listed.stderr
    assert output.count("sanquan-plugin-broken") == 1
    [line] = [x for x in output.splitlines() if "sanquan-plugin-broken" in x]
    assert line.startswith("错误:插件 sanquan-plugin-broken 无法导入:ModuleNotFoundError")
    assert "Traceback" not in output
    english = sanquan("plugins", "list", "--lang", "en", env=env).stderr
    assert english.startswith("error: plugin sanquan-plugin-broken cannot be imported: Module")


def test_plugins_list_command_shows_distributions_sets_and_hooks() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "sanquan", "plugins", "list"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200", "PATH": ""},
    ).stdout
    assert "sanquan-plugin-beijing" in listed
    assert "beijing-sanquan 2019.1" in listed
    assert "sanquan_indicator_sets" in listed


def test_plugins_new_writes_a_package(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "sanquan", "plugins", "new"]
    made = subprocess.run(
        [*run, "my-set", "--directory", str(tmp_path)], capture_output=True, text=True, check=True
    )
    root = tmp_path / "sanquan-plugin-my-set"
    assert f"已写入 {root}" in made.stdout
    pyproject = (root / "pyproject.toml").read_text()
    assert 'my_set = "sanquan_my_set.plugin"' in pyproject
    assert (root / "tests" / "test_sanquan_my_set.py").exists()
    again = subprocess.run(
        [*run, "my-set", "--directory", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert again.returncode == 2
    assert "已存在" in again.stderr
    bad = subprocess.run([*run, "My Set"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2


def test_a_new_plugin_in_its_named_folder_passes_its_tests_and_mypy_before_it_is_installed(
    tmp_path: Path,
) -> None:
    """The tutorial's order: write the package, then test it and type-check it straight
    away, without installing it and without setting MYPYPATH."""
    root = tmp_path / "src" / "sanquan-plugin-first-set"
    made = subprocess.run(
        [sys.executable, "-m", "sanquan", "plugins", "new", str(root), "--lang", "en"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert made.stdout.startswith(f"wrote {root}. Next: cd {root}")
    assert 'first_set = "sanquan_first_set.plugin"' in (root / "pyproject.toml").read_text()
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "3 passed" in tested.stdout
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), "."],
        cwd=root,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
