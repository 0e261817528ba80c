"""A table to export: columns with their kind, rows of plain cells, and the file's names.

Every export is built as one :class:`Table` first and only then written as ``.xlsx`` or
CSV, so the two formats cannot disagree about a cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

Cell = str | int | float | None


class ColumnKind(StrEnum):
    TEXT = "TEXT"
    """A short label: a name, a code, a status."""
    LONG_TEXT = "LONG_TEXT"
    """Prose (a comment, a progress note): wrapped, and the column kept readable."""
    NUMBER = "NUMBER"
    """A score or a mean, shown with two decimals in Excel, stored at full precision."""
    INTEGER = "INTEGER"


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColumnKind = ColumnKind.TEXT


@dataclass(frozen=True)
class Table:
    """``title`` names the sheet, ``name`` the file (without suffix); ``slug`` is the
    file's ASCII name, for clients and file systems that mangle Chinese."""

    title: str
    name: str
    slug: str
    columns: tuple[Column, ...]
    rows: Sequence[tuple[Cell, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        width = len(self.columns)
        for number, row in enumerate(self.rows, start=1):
            if len(row) != width:
                raise ValueError(f"row {number} has {len(row)} cells for {width} columns")

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


_UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\s\x00-\x1f\x7f]+')
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(*parts: str) -> str:
    """Parts joined by ``_`` with characters no file system accepts removed.

    >>> file_name("责任分工表", "jingjiaozufa-2019-3", "2026Q4")
    '责任分工表_jingjiaozufa-2019-3_2026Q4'
    >>> file_name("评分表", "a/b: c")
    '评分表_a-b-c'
    """
    return "_".join(_UNSAFE_IN_FILE_NAME.sub("-", p).strip("-") for p in parts if p)


def ascii_name(*parts: str) -> str:
    """Like :func:`file_name`, but only ASCII letters, digits, ``.``, ``_`` and ``-``: the
    plain ``filename=`` of ``Content-Disposition`` takes nothing else safely.

    >>> ascii_name("scores", "session1", "2026Q3"), ascii_name("unit", "校报")
    ('scores_session1_2026Q3', 'unit')
    """
    return (
        "_".join(cleaned for p in parts if (cleaned := _NOT_ASCII_NAME.sub("-", p).strip("-")))
        or "export"
    )


def display_width(text: str) -> int:
    """Columns a string takes in a spreadsheet: East Asian wide characters count two.

    >>> display_width("市教委"), display_width("T01")
    (6, 3)
    """
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
