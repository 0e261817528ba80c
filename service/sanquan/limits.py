"""The documented bounds of every input: how long a text, how many entries in a list, which
integers and quarters make sense. One place, so that the schema's descriptions, the API's
argument check and the domain services quote the same numbers.

Every bound is generous for real use and small enough that one request cannot bloat the
database or the audit trail (a score change keeps the old and the new text).
"""

from __future__ import annotations

from collections.abc import Sequence, Sized
from dataclasses import dataclass

from sanquan.errors import DomainError, ErrorCode, invalid
from sanquan.quarter import Quarter

# Texts, in characters (after trimming surrounding blanks).

CODE_LENGTH = 50
"""Codes and keys: institution codes (10 digits), indicator codes, level codes, plan keys,
indicator set keys and versions. Room to spare for a typo to be reported, not stored."""

NAME_LENGTH = 200
"""Names and titles: institutions, aliases, pilot departments, accounts, units and their
owners, session and finding titles, a finding's owner. The longest Chinese institution or
department name is under 40 characters; 200 also fits an English name."""

SHORT_TEXT_LENGTH = 100
"""Short descriptive fields: an institution's authority (主管部门)."""

LABEL_LENGTH = 20
"""One-word labels: an institution's level (本科, 专科) and category (综合, 理工 …)."""

COMMENT_LENGTH = 2000
"""A score's comment and evidence. Evidence names documents or links, it does not carry
them; 2,000 characters is a page of Chinese. Every change keeps the old and the new text in
the audit trail, so a submission of 500 scores can add at most about 4 million characters."""

TEXT_LENGTH = 5000
"""Free text that is read as prose: finding descriptions, progress notes and their
evidence, verification notes, correction reasons, task progress reports.
Two to three pages of Chinese; longer belongs in an attached document."""

NOTE_LENGTH = 200
"""A pin's or blackout's note: one line saying why, as its column stores it."""

SEARCH_LENGTH = 200
"""A search term: part of a name (as long as a name) or a code prefix."""

CURSOR_LENGTH = 500
"""A pagination cursor as this service hands it out (a few encoded keys)."""

GLOBAL_ID_LENGTH = 200
"""A global id as this service hands it out (a blind score's, the longest, has about 80)."""

NODES = 100
"""Ids one ``nodes`` query reads back, as GitHub allows."""

CSV_LENGTH = 300_000
"""An institution CSV: about 3,000 institutions (a national pool) at under 100 characters a
line; it must also fit the request body limit (1 MiB, three bytes a Chinese character)."""

# Lists, in entries.

ALIASES = 20
"""Former names of one institution; Beijing's most renamed school has five."""

PILOT_DEPARTMENTS = 50
"""Pilot departments (试点院系) of one institution."""

SESSION_CODES = 20
"""Institutions named for one session: the rule is 3–5 (checked by the session, with the
numbers in its message); more than 20 is not a session."""

PANEL = 50
"""Experts on one panel, and the most a session may require (``minExperts``)."""

POOL = 5000
"""Institutions named in one request (rotation priorities): a national pool has ~3,000."""

SCORES = 5000
"""Scores in one submission, whatever the configured maximum (default 500) says; the
configured one is checked by the scoring service, with its own error code."""

DRAFT_ITEMS = 200
"""Drafts raised at once: a session's diagnosis of 5 schools × 50 indicators gives fewer."""

LONGEST_LIST = max(ALIASES, PILOT_DEPARTMENTS, SESSION_CODES, PANEL, POOL, SCORES, DRAFT_ITEMS)
"""What any list of a request may hold at all: checked on the raw variables, before any
conversion, so that a longer one costs a count, not a conversion of every entry."""

# Integers, as inclusive ranges.


@dataclass(frozen=True)
class Limit:
    """A bound on an input: ``length`` for a text (each text of a list), ``items`` for a
    list, ``low``–``high`` for an integer (each integer of a list). ``None``: not bounded
    that way.

    >>> Limit(length=200).describe()
    'At most 200 characters.'
    """

    length: int | None = None
    items: int | None = None
    low: int | None = None
    high: int | None = None

    def problems(self, value: int | Sized, path: Sequence[str | int]) -> list[DomainError]:
        """``INVALID_VALUE`` for an integer out of range or a list with too many entries
        at ``path``; nothing when ``value`` is within bounds."""
        if isinstance(value, int):
            low, high = self.low, self.high
            if low is None or high is None or low <= value <= high:
                return []
            return [
                invalid(
                    path,
                    f"应在 {low:,}–{high:,} 之间,收到 {value:,}",
                    f"must be from {low:,} to {high:,}; got {value:,}",
                )
            ]
        if self.items is None or len(value) <= self.items:
            return []
        return [
            invalid(
                path,
                f"最多 {self.items:,} 项,收到 {len(value):,} 项",
                f"at most {self.items:,} entries; got {len(value):,}",
            )
        ]

    def describe(self) -> str:
        """The bound as a sentence for the schema's description."""
        parts = []
        if self.items is not None:
            parts.append(f"At most {self.items:,} entries.")
        if self.length is not None:
            each = "each " if self.items is not None else ""
            parts.append(f"At most {self.length:,} characters {each}".rstrip() + ".")
        if self.low is not None and self.high is not None:
            parts.append(f"From {self.low:,} to {self.high:,}.")
        return " ".join(parts)


GAP = Limit(low=1, high=48)
"""Quarters between two reviews of one school: the rule is 8–16, and 48 (12 years, four
cycles) is beyond any rotation."""

SESSIONS_PER_QUARTER = Limit(low=1, high=100)
"""Sessions in one quarter: Beijing holds 1–2, a national pool of 3,000 needs 50."""

SESSION_SIZE = Limit(low=1, high=20)
"""Institutions per planned session: the rule is 3–5; a meeting cannot diagnose 20."""

SAME_CATEGORY = Limit(low=1, high=20)
"""Institutions of one category in one session: never more than a session holds."""

PANEL_SIZE = Limit(low=0, high=PANEL)
"""Experts planned per session; 0 plans no panels."""

MIN_EXPERTS = Limit(low=1, high=PANEL)
"""Experts who must score every institution of a session (R11; default 5)."""

SESSIONS_PER_YEAR = Limit(low=1, high=12)
"""Sessions one expert sits on in a year; 12 is one a month."""

PILOT_BATCH = Limit(low=0, high=2)
"""National pilot batches: 1 or 2, 0 for none."""

TASK_NUMBER = Limit(low=1, high=999)
"""A task's number in its plan (1–20 for 京教组发[2019]3号)."""

PAGE = Limit(low=0, high=200)
"""Rows per page of a connection."""

# Quarters and dates, relative to today.


@dataclass(frozen=True)
class QuarterWindow:
    """Quarters from ``back`` before to ``ahead`` after the current one.

    >>> QuarterWindow(back=4, ahead=1).bounds(Quarter(2027, 1))
    (Quarter(year=2026, number=1), Quarter(year=2027, number=2))
    """

    back: int
    ahead: int

    def bounds(self, current: Quarter) -> tuple[Quarter, Quarter]:
        return current.plus(-self.back), current.plus(self.ahead)

    def problems(
        self, quarter: Quarter, current: Quarter, path: Sequence[str | int]
    ) -> list[DomainError]:
        """``QUARTER_OUT_OF_RANGE`` for ``quarter`` at ``path`` if it is outside the window
        around ``current``; nothing if it is inside."""
        first, last = self.bounds(current)
        if first <= quarter <= last:
            return []
        return [
            DomainError(
                ErrorCode.QUARTER_OUT_OF_RANGE,
                path,
                value=str(quarter),
                first=str(first),
                last=str(last),
            )
        ]

    def describe(self) -> str:
        """The window as a sentence for the schema's description."""
        return f"From {self.back} quarters before to {self.ahead} after the current one."


SCHEDULE = QuarterWindow(back=12, ahead=24)
"""Sessions, pins and blackouts, due quarters and ``asOf``: one cycle back (to record the
reviews R4 takes into account) and two cycles ahead."""

CYCLE_START = QuarterWindow(back=12, ahead=12)
"""The first quarter of a planned or listed cycle: its 12 quarters then end inside
:data:`SCHEDULE`, so that adopting a plan never creates a session it would refuse."""

PROGRESS = QuarterWindow(back=4, ahead=1)
"""Task progress reports: late reports for the past year, and the next quarter's plans."""

DEADLINE_QUARTERS_AFTER = 4
"""A phase deadline ends at most this many quarters after its session's quarter ends: the
meeting reviews a quarter's work, its scores are not due years later."""

# The bounds as the schema declares them.

CODE = Limit(length=CODE_LENGTH)
NAME = Limit(length=NAME_LENGTH)
SHORT_TEXT = Limit(length=SHORT_TEXT_LENGTH)
LABEL = Limit(length=LABEL_LENGTH)
COMMENT = Limit(length=COMMENT_LENGTH)
TEXT = Limit(length=TEXT_LENGTH)
NOTE = Limit(length=NOTE_LENGTH)
SEARCH = Limit(length=SEARCH_LENGTH)
CURSOR = Limit(length=CURSOR_LENGTH)
CSV = Limit(length=CSV_LENGTH)
GLOBAL_ID = Limit(length=GLOBAL_ID_LENGTH)
NODE_IDS = Limit(items=NODES, length=GLOBAL_ID_LENGTH)
ALIAS_LIST = Limit(items=ALIASES, length=NAME_LENGTH)
DEPARTMENT_LIST = Limit(items=PILOT_DEPARTMENTS, length=NAME_LENGTH)
SESSION_CODE_LIST = Limit(items=SESSION_CODES, length=CODE_LENGTH)
PRIORITY_LIST = Limit(items=POOL, length=CODE_LENGTH)
EXPERT_LIST = Limit(items=PANEL)
SCORE_LIST = Limit(items=SCORES)
SCORE_CODE_LIST = Limit(items=SCORES, length=CODE_LENGTH)
SCORE_COMMENT_LIST = Limit(items=SCORES, length=COMMENT_LENGTH)
DRAFT_LIST = Limit(items=DRAFT_ITEMS)
