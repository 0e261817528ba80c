"""Quarters, written ``2027Q1``: the unit of the review calendar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import total_ordering

_PATTERN = re.compile(r"(\d{4})Q([1-4])")
MIN_YEAR, MAX_YEAR = 2000, 2199


class QuarterError(ValueError):
    """A string that is not a quarter; keeps the offending text for the error message."""

    def __init__(self, text: str) -> None:
        super().__init__(f"{text!r} is not a quarter: write the year and quarter like 2027Q1")
        self.text = text


@total_ordering
@dataclass(frozen=True)
class Quarter:
    """A calendar quarter.

    >>> Quarter.parse("2027Q4").next()
    Quarter(year=2028, number=1)
    """

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _PATTERN.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None or not MIN_YEAR <= int(match[1]) <= MAX_YEAR:
            raise QuarterError(str(text))
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quarter):
            return NotImplemented
        return self.index < other.index

    @property
    def index(self) -> int:
        """Quarters since year 0, so that differences are gaps in quarters."""
        return self.year * 4 + self.number - 1

    def first_day(self) -> date:
        return date(self.year, self.number * 3 - 2, 1)

    def next(self) -> Quarter:
        return self.plus(1)

    def plus(self, quarters: int) -> Quarter:
        index = self.index + quarters
        return Quarter(index // 4, index % 4 + 1)
