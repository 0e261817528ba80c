"""The planning problem and its answer, as plain values: no database, no solver.

A :class:`PlanRequest` says everything the rules need; a :class:`Plan` is what the planner
returns and what the independent verifier checks. Both are immutable, so the same request
gives the same plan (R7) and a plan can be compared with another.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sanquan.quarter import Quarter

CYCLE_QUARTERS = 12
"""A cycle is three years of quarters (每3年为一个周期)."""


def sessions_to_hold(pool_size: int, session_size: tuple[int, int]) -> int:
    """The fewest sessions a quarter (k) whose sessions of at most ``session_size[1]`` hold
    a pool of ``pool_size`` in one cycle: 92 institutions in sessions of ≤ 5 need 2.

    >>> sessions_to_hold(92, (3, 5)), sessions_to_hold(60, (3, 5)), sessions_to_hold(0, (3, 5))
    (2, 1, 1)
    """
    return max(1, math.ceil(pool_size / (session_size[1] * CYCLE_QUARTERS)))


class Policy(StrEnum):
    """How a session's institutions are composed (R6)."""

    MIX = "MIX"
    """At most ``max_same_category`` institutions of one category per session."""
    GROUP = "GROUP"
    """Institutions of a category kept together as far as the sizes allow."""


@dataclass(frozen=True)
class PoolMember:
    """An active institution to place: its code, name and category (综合, 理工 …)."""

    code: str
    name: str
    category: str


@dataclass(frozen=True)
class Pin:
    """Institution ``code`` must be reviewed in ``quarter`` (R5)."""

    code: str
    quarter: Quarter


@dataclass(frozen=True)
class Blackout:
    """Institution ``code`` must not be reviewed in ``quarter`` (R5)."""

    code: str
    quarter: Quarter


@dataclass(frozen=True)
class FixedSession:
    """A session of the cycle that has started: re-planning keeps it as it is (R8)."""

    quarter: Quarter
    codes: tuple[str, ...]


@dataclass(frozen=True)
class PlanRequest:
    """One cycle to plan, from ``start`` for :data:`CYCLE_QUARTERS` quarters.

    ``last_reviewed`` maps a code to the quarter of its latest review before the cycle,
    held or still to come (a session an earlier, overlapping cycle scheduled); the gap to
    its review in this cycle must lie in ``gap`` (R4). An institution already overdue when
    the cycle starts (last review + ``gap[1]`` before ``start``) cannot keep the gap any
    more: it is placed as early as possible instead, like a priority, and the gap rule does
    not apply to it. ``priorities`` lists codes to place as early as possible, most urgent
    first (e.g. overdue rectification items). ``previous`` is the current schedule of the
    cycle, if any: the planner moves as few institutions away from it as it can.
    """

    start: Quarter
    pool: Sequence[PoolMember]
    sessions_per_quarter: int = 1
    session_size: tuple[int, int] = (3, 5)
    gap: tuple[int, int] = (8, 16)
    policy: Policy = Policy.MIX
    max_same_category: int = 2
    last_reviewed: Mapping[str, Quarter] = field(default_factory=dict)
    pins: Sequence[Pin] = ()
    blackouts: Sequence[Blackout] = ()
    priorities: Sequence[str] = ()
    fixed: Sequence[FixedSession] = ()
    previous: Mapping[str, Quarter] = field(default_factory=dict)

    @property
    def quarters(self) -> list[Quarter]:
        return [self.start.plus(offset) for offset in range(CYCLE_QUARTERS)]


@dataclass(frozen=True)
class PlannedSession:
    """A session of the plan: its quarter, its place among the quarter's sessions, and
    its institutions (codes, sorted)."""

    quarter: Quarter
    index: int
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """Sessions in quarter order, then by index."""

    request: PlanRequest
    sessions: tuple[PlannedSession, ...]

    def quarter_of(self) -> dict[str, Quarter]:
        return {code: s.quarter for s in self.sessions for code in s.codes}


@dataclass(frozen=True)
class Violation:
    """A rule a plan breaks, as the verifier found it."""

    rule: str
    """The rule's number in the spec, e.g. ``R1``."""
    message: str


@dataclass(frozen=True)
class RuleRef:
    """A named rule of the request, as an explanation cites it."""

    kind: str
    """``POOL``, ``CAPACITY``, ``PIN``, ``BLACKOUT``, ``GAP``, ``COMPOSITION`` or ``FIXED``."""
    zh: str
    en: str
    code: str | None = None
    quarter: Quarter | None = None


class Infeasible(Exception):
    """No plan satisfies the request. ``zh``/``en`` explain it in the user's terms;
    ``rules`` are the smallest set of named rules found that cannot hold together."""

    def __init__(self, zh: str, en: str, rules: Sequence[RuleRef] = ()) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.rules = tuple(rules)


@dataclass(frozen=True)
class Expert:
    """An expert of the pool; ``affiliation`` is an institution code (conflict of interest)."""

    id: int
    name: str
    affiliation: str | None = None


@dataclass(frozen=True)
class PanelRequest:
    """Panels for every session of ``plan``: ``panel_size`` experts each, none affiliated
    with an institution of the session, no expert in more than ``max_sessions_per_year``
    sessions of one calendar year. ``history`` counts past reviews of an institution by an
    expert, keyed ``(expert id, institution code)``: reuse is kept as low as the pool allows."""

    plan: Plan
    experts: Sequence[Expert]
    panel_size: int = 5
    max_sessions_per_year: int = 2
    history: Mapping[tuple[int, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Panel:
    quarter: Quarter
    index: int
    expert_ids: tuple[int, ...]


@dataclass(frozen=True)
class PlanChoices:
    """What the commission may choose when planning a cycle. Its defaults (:data:`DEFAULTS`)
    are the ones the command line and GraphQL both offer, so the two cannot drift, and
    under them the shipped pool of 92 Beijing institutions plans:

    - ``sessions_per_quarter`` (k), ``None`` by default: the fewest sessions a quarter that
      hold the active pool (:func:`sessions_to_hold`). That is R2's
      default of 1 for a pool of up to 60 (12 quarters of at most 5), and 2 for Beijing's 92,
      which one session a quarter cannot hold: R3's arithmetic would refuse the plan. A k
      that is given is used as given, and refused with that arithmetic if the pool does not
      fit it.
    - ``panel_size`` 0: the plan appoints no panels. Planning them takes about
      ``panel_size`` × sessions a year ÷ ``max_sessions_per_year`` experts (5 × 8 ÷ 2 = 20
      for Beijing), and no expert pool ships with the data; each adopted session still asks
      R11's minimum of 5 experts, appointed to it (``appointExperts``) before it opens.
    - The rest are the SPEC's: sessions of 3–5 (R2), a gap of 8–16 quarters (R4), mixed
      categories with at most 2 of one in a session (R6), the beijing-sanquan set.
    """

    sessions_per_quarter: int | None = None
    session_size: tuple[int, int] = (3, 5)
    gap: tuple[int, int] = (8, 16)
    policy: Policy = Policy.MIX
    max_same_category: int = 2
    priorities: Sequence[str] = ()
    indicator_set_key: str = "beijing-sanquan"
    indicator_set_version: str | None = None
    panel_size: int = 0
    """Experts per session; 0 plans no panels."""
    max_sessions_per_year: int = 2


DEFAULTS = PlanChoices()
"""The planning defaults, for every edge that offers them."""
