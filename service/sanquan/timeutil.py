"""Time as the rules need it: stored in UTC, deadlines read as dates in Beijing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sanquan.quarter import Quarter

BEIJING = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def beijing_today() -> date:
    """Deadlines are whole days in Beijing: a deadline of 6 May ends at midnight there."""
    return datetime.now(BEIJING).date()


def current_quarter() -> Quarter:
    """The quarter Beijing is in today."""
    return quarter_of(beijing_today())


def quarter_of(day: date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def to_beijing(moment: datetime) -> datetime:
    return moment.astimezone(BEIJING)
