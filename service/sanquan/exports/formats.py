"""Writing a :class:`~sanquan.exports.table.Table` as ``.xlsx`` (openpyxl) or CSV.

Both are made for the commission's Excel: the workbook has a bold, frozen, filterable header
and columns as wide as their content (Chinese characters counted double); the CSV is UTF-8
with a byte-order mark, without which Excel reads Chinese as mojibake. Text that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) stays text in both:
a reviewer's comment must never become a live formula on a commission computer.

openpyxl (and the NumPy it brings) is imported when a file is written, not with this module:
it is a fifth of a ``sanquan`` process's start, and serving or a CSV needs none of it.
"""

from __future__ import annotations

import csv
import io
from enum import StrEnum

from sanquan.exports.table import Cell, ColumnKind, Table, display_width


class ExportFormat(StrEnum):
    XLSX = "XLSX"
    CSV = "CSV"

    @property
    def suffix(self) -> str:
        return "." + self.value.lower()

    @property
    def media_type(self) -> str:
        if self is ExportFormat.XLSX:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return "text/csv; charset=utf-8"


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CELL_LIMIT = 32_767
"""Excel's limit on the characters of one cell; openpyxl cuts longer text silently."""
CUT_MARK = "…(已截断)"
MIN_WIDTH, MAX_WIDTH, LONG_TEXT_WIDTH = 6, 40, 60
DECIMALS = 2
NUMBER_FORMAT = "0.00"
SHEET_TITLE_LIMIT = 31
"""Excel refuses longer sheet names."""


def cell_text(text: str) -> str:
    """Text as both formats write it: characters XML cannot hold (stored before inputs were
    checked for them) become U+FFFD, and text longer than a cell takes is cut visibly, so
    that the .xlsx and the CSV never disagree.

    >>> cell_text("a\x01b"), len(cell_text("字" * 40_000)) == CELL_LIMIT
    ('a\ufffdb', True)
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cleaned = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    if len(cleaned) > CELL_LIMIT:
        cleaned = cleaned[: CELL_LIMIT - len(CUT_MARK)] + CUT_MARK
    return cleaned


def render(table: Table, export_format: ExportFormat) -> bytes:
    if export_format is ExportFormat.XLSX:
        return to_xlsx(table)
    return to_csv(table)


def to_xlsx(table: Table) -> bytes:
    """One sheet named after the table; text cells are typed as strings explicitly, since
    openpyxl would otherwise store a string starting with ``=`` as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = _sheet_title(table.title)
    sheet.append(table.headers)
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(vertical="center")
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_number, row in enumerate(table.rows, start=2):
        for column_number, (column, value) in enumerate(zip(table.columns, row, strict=True), 1):
            cell = sheet.cell(row=row_number, column=column_number)
            if isinstance(value, str):
                cell.value = cell_text(value)
                cell.data_type = "s"  # openpyxl took a leading "=" for a formula
            else:
                cell.value = value
            if column.kind is ColumnKind.NUMBER:
                cell.number_format = NUMBER_FORMAT
            elif column.kind is ColumnKind.LONG_TEXT:
                cell.alignment = wrap
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions
    for index in range(len(table.columns)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = _width(table, index)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(table: Table) -> bytes:
    """RFC 4180 CSV (CRLF, quoted where needed) in UTF-8 with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    kinds = [column.kind for column in table.columns]
    writer.writerows(
        [csv_cell(value, kind) for value, kind in zip(row, kinds, strict=True)]
        for row in table.rows
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_cell(value: Cell, kind: ColumnKind = ColumnKind.TEXT) -> str:
    """A cell as CSV text: scores and means with two decimals, as people read them (the
    .xlsx keeps them exact and shows two), formula-like text quoted with ``'``.

    >>> csv_cell(85.76357142857141, ColumnKind.NUMBER), csv_cell(86.0, ColumnKind.NUMBER)
    ('85.76', '86.00')
    >>> csv_cell(3, ColumnKind.INTEGER), csv_cell(None), csv_cell("=SUM(A1:A9)")
    ('3', '', "'=SUM(A1:A9)")
    """
    if value is None:
        return ""
    if isinstance(value, str):
        text = cell_text(value)
        return "'" + text if text.startswith(FORMULA_PREFIXES) else text
    if kind is ColumnKind.NUMBER:
        return f"{value:.{DECIMALS}f}"
    return str(value)


def _sheet_title(title: str) -> str:
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in title)
    return cleaned[:SHEET_TITLE_LIMIT] or "Sheet"


def _width(table: Table, index: int) -> float:
    """Wide enough for the header and the longest line of the column, within bounds."""
    column = table.columns[index]
    longest = display_width(column.header)
    for row in table.rows:
        value = row[index]
        text = f"{value:.2f}" if isinstance(value, float) else "" if value is None else str(value)
        longest = max(longest, *(display_width(line) for line in text.splitlines() or [""]))
    limit = LONG_TEXT_WIDTH if column.kind is ColumnKind.LONG_TEXT else MAX_WIDTH
    return float(min(max(longest + 2, MIN_WIDTH), limit))
