"""Time as the rules need it: stored in UTC, deadlines read as dates in Beijing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def beijing_today() -> date:
    """Deadlines are whole days in Beijing: a deadline of 6 May ends at midnight there."""
    return datetime.now(BEIJING).date()


def to_beijing(moment: datetime) -> datetime:
    return moment.astimezone(BEIJING)
