"""Benchmark: what exporting the largest session's score sheet costs, and how much of it is
ours rather than the spreadsheet library's.

Why: the score sheet is the largest export (every score of a session: 3,000 rows for five
schools on a 50-indicator set with seven experts), and a download link builds it while the
user waits. The target is a full-session export well under a second, with our own work
(the blind-review view, sorting, styling, typing cells as text) at most twice what openpyxl
itself needs to write the same cells.

What it does, in one process, on the database ``bench/scoreboard.py`` builds (same seed):

1. ``build``: ``exports.reports.score_sheet`` as ADMIN: the SQL reads and the shaping.
2. ``xlsx`` and ``csv``: writing that table with ``exports.formats``.
3. Baselines on the same rows: openpyxl appending plain rows and saving (no styles, no
   widths, no explicit types), and the csv module writing them.
4. For scale: the GraphQL query of the same scores (``reviewSession { scores { … } } }``)
   executed in-process, as the nearest other way a client gets this data.

Each step runs ``--repeats`` times; medians are printed. Nothing is asserted about time.
Run: ``.venv/bin/python bench/exports.py`` (``make bench``).
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.xml import LXML
from rich.console import Console
from rich.table import Table as RichTable
from scoreboard import BenchPlugin, build_world, machine
from sqlalchemy import select

from sanquan.api.context import Context
from sanquan.api.ids import global_id
from sanquan.api.schema import build_schema
from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import Principal
from sanquan.db import make_engine, make_session_factory
from sanquan.exports import formats, reports
from sanquan.exports.table import Table
from sanquan.plugins.host import PluginHost

SCORES = """query($id: ID!, $after: String) { reviewSession(id: $id) {
  scores(first: 200, after: $after) { pageInfo { hasNextPage endCursor } nodes {
  institution { code name } indicator source value reported comment evidence status updatedAt
  reviewerInstitution { name } reviewerExpert { name } } } } }"""


def median_ms(action: Callable[[], object], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def plain_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(table.headers)
    for row in table.rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def plain_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    return buffer.getvalue().encode()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    console = Console()
    host = PluginHost.discover(extra=[BenchPlugin()])
    with tempfile.TemporaryDirectory() as directory:
        console.print("building the database (3,000 scores)…")
        world = build_world(Path(directory), host)
        engine = make_engine(world.settings.database_url)
        with make_session_factory(engine)() as db:
            admin = db.scalars(select(Account).where(Account.role == Role.ADMIN)).one()
            actor = Principal(admin.id, admin.name, admin.role, None)
            build_ms, table = median_ms(
                lambda: reports.score_sheet(db, host, actor, world.large_id), args.repeats
            )
            xlsx_ms, xlsx = median_ms(lambda: formats.to_xlsx(table), args.repeats)
            plain_xlsx_ms, _ = median_ms(lambda: plain_xlsx(table), args.repeats)
            csv_ms, text = median_ms(lambda: formats.to_csv(table), args.repeats)
            plain_csv_ms, _ = median_ms(lambda: plain_csv(table), args.repeats)
            schema = build_schema(world.settings)
            context = Context(
                db=db, principal=actor, host=host, settings=world.settings, language="zh"
            )

            def graphql() -> None:
                """Every page of the scores, as a client reads them."""
                context.cache.clear()
                rows, after = 0, None
                while True:
                    variables = {"id": global_id("ReviewSession", world.large_id), "after": after}
                    result = schema.execute_sync(
                        SCORES, variable_values=variables, context_value=context
                    )
                    assert not result.errors and result.data
                    page = result.data["reviewSession"]["scores"]
                    rows += len(page["nodes"])
                    if not page["pageInfo"]["hasNextPage"]:
                        break
                    after = page["pageInfo"]["endCursor"]
                assert rows == len(table.rows)

            graphql_ms, _ = median_ms(graphql, args.repeats)
        engine.dispose()
    rows = len(table.rows)
    out = RichTable(title=f"score sheet export, {rows} rows: median of {args.repeats}")
    for column in ("step", "ms", "bytes", "against"):
        out.add_column(column, justify="left" if column in ("step", "against") else "right")
    out.add_row("build (SQL + shaping)", f"{build_ms:.1f}", "", "")
    out.add_row(
        "to_xlsx", f"{xlsx_ms:.1f}", str(len(xlsx)), f"{xlsx_ms / plain_xlsx_ms:.2f}x plain"
    )
    out.add_row("openpyxl plain rows (baseline)", f"{plain_xlsx_ms:.1f}", "", "")
    out.add_row("to_csv", f"{csv_ms:.1f}", str(len(text)), f"{csv_ms / plain_csv_ms:.2f}x plain")
    out.add_row("csv module (baseline)", f"{plain_csv_ms:.1f}", "", "")
    total = build_ms + xlsx_ms
    out.add_row("build + to_xlsx", f"{total:.1f}", "", f"{total / graphql_ms:.2f}x GraphQL")
    out.add_row("GraphQL scores query, in-process", f"{graphql_ms:.1f}", "", "")
    console.print(out)
    console.print(machine(), highlight=False, soft_wrap=True)
    console.print(
        f"openpyxl {version('openpyxl')}, serialising with "
        + (f"lxml {version('lxml')}" if LXML else "its pure-Python writer (lxml missing)"),
        highlight=False,
    )
    console.print(
        "targets: build + to_xlsx < 1 s; to_xlsx < 2x openpyxl's plain rows",
        highlight=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
