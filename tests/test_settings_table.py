"""The README's table of settings lists exactly the ``SANQUAN_*`` variables the service
reads, so that it cannot go stale: a setting added to the code without a row (or a row
left for a setting removed) fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTING = re.compile(r"SANQUAN_[A-Z0-9_]+")
ROW = re.compile(r"^\| `(SANQUAN_[A-Z0-9_]+)` \|", re.MULTILINE)

pytestmark = pytest.mark.engine_independent


def read_by_the_code() -> set[str]:
    """Every string constant of the service's code that is a setting's whole name: how
    ``sanquan.config`` (or any other module) names the variable it reads."""
    found = set()
    for path in (ROOT / "service" / "sanquan").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and SETTING.fullmatch(node.value)
            ):
                found.add(node.value)
    return found


def in_the_readme_table() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return ROW.findall(section)


def test_the_readme_table_lists_exactly_the_settings_the_code_reads() -> None:
    rows = in_the_readme_table()
    assert len(rows) == len(set(rows)), "each setting once"
    assert set(rows) == read_by_the_code()


def test_the_scan_finds_the_settings_of_the_config() -> None:
    """The scan itself sees what ``Settings.from_env`` reads (a scan finding nothing would
    agree with an empty table)."""
    found = read_by_the_code()
    assert {"SANQUAN_DATABASE_URL", "SANQUAN_LOG_FORMAT", "SANQUAN_METRICS_ADDRESS"} <= found
