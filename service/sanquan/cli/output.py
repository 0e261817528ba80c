"""Where the command line writes: results on stdout (JSON for scripts, tables that fit the
terminal for people), everything else (progress, warnings, refusals) on stderr, so a
pipeline only ever reads results."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import click

from sanquan.cli import messages as m
from sanquan.cli.core import Problem

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

DEFAULT_WIDTH = 80
"""The width of output that goes to no terminal, unless ``COLUMNS`` says otherwise."""


def say(text: object = "") -> None:
    """A line of result for people."""
    click.echo(str(text))


def note(text: object) -> None:
    """A line about the work, not its result: on stderr."""
    click.echo(str(text), err=True)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def report(problems: Sequence[Problem], as_json: bool) -> None:
    """Refusals on stderr: one line each, or one JSON object ``{"errors": [...]}``."""
    if as_json:
        errors = [p.as_json() for p in problems]
        click.echo(json.dumps({"errors": errors}, ensure_ascii=False), err=True)
        return
    for problem in problems:
        click.secho(m.ERROR_LINE.format(message=problem.message), err=True, fg="red")


def console(stderr: bool = False) -> Console:
    """A Rich console as wide as the terminal; piped, as wide as ``COLUMNS`` or 80."""
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False, highlight=False)


def working(text: object) -> AbstractContextManager[object]:
    """A spinner on stderr while something takes a while (none when stderr is piped)."""
    if not sys.stderr.isatty():
        return nullcontext()
    return console(stderr=True).status(str(text), spinner="dots")


def table(title: object, headers: Sequence[object]) -> Table:
    """A table whose cells never wrap: a name too long for the width is cut with "…", so
    every row stays one line (see :func:`print_table` for the columns never cut)."""
    from rich.table import Table

    made = Table(title=str(title), title_justify="left", expand=False)
    for header in headers:
        made.add_column(str(header), no_wrap=True, overflow="ellipsis", min_width=4)
    return made


def print_table(made: Table, *, keep: Sequence[int] = (0,)) -> None:
    """``made`` on stdout, fitted to the width: the columns at ``keep`` (quarters,
    versions) as wide as their widest cell, the others sharing what is left, the narrow
    ones first, so that only the longest names are cut."""
    from rich.cells import cell_len

    out = console()
    natural = [
        max(cell_len(str(c)) for c in (column.header, *column.cells)) for column in made.columns
    ]
    borders = 3 * len(made.columns) + 1  # a rule and a space either side of each cell
    fixed = sum(natural[i] for i in keep)
    shares = fair_shares(
        [natural[i] for i in range(len(natural)) if i not in keep],
        out.width - borders - fixed,
    )
    widths = iter(shares)
    for index, column in enumerate(made.columns):
        column.width = natural[index] if index in keep else next(widths)
    out.print(made, crop=True)


def fair_shares(wanted: Sequence[int], available: int, minimum: int = 4) -> list[int]:
    """``available`` columns shared out: each gets what it wants, or an equal share of
    what the narrower ones left, and never less than ``minimum``.

    >>> fair_shares([10, 50, 60], 80)
    [10, 35, 35]
    >>> fair_shares([10, 20], 80)
    [10, 20]
    """
    shares = [0] * len(wanted)
    left = available
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    for done, index in enumerate(order):
        share = left // (len(order) - done)
        shares[index] = max(min(wanted[index], share), minimum)
        left -= shares[index]
    return shares
