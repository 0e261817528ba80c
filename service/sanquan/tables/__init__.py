"""Responsibility tables (职责"一张表"): the plan's tasks and their responsible units (R19–R21).

The twenty tasks of 京教组发[2019]3号 ship as data in ``data/`` and are imported from the
document's own text (:mod:`sanquan.tables.plan_text`), so the table can always be traced back to
the source; the unit names are normalised through :mod:`sanquan.tables.units`.
"""
