"""Responsibility tables (职责"一张表"): the plan's tasks and their responsible units (R19–R21).

The shipped plans (:mod:`sanquan.tables.shipped`: 京教组发[2019]3号 and a school's 22
ideology-work measures) ship as text in ``data/`` and are imported from that text
(:mod:`sanquan.tables.plan_text`), so each table can always be traced back to its source; unit
names are normalised through the owner's alias table (:mod:`sanquan.tables.units` for the
municipal units, :mod:`sanquan.tables.school_units` for the school's).
"""
