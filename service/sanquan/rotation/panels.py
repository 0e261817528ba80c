"""Expert panels (专家组) for the sessions of a plan (R11), as one min-cost flow: every seat
filled, no conflict of interest, a yearly cap per expert, then least reuse, then even loads.

The network carries one unit of flow per panel seat::

    session ──1──▶ (expert, year) ══ cap ══▶ expert ══ cap × years ══▶ sink
    supply         cost reuse·R + tie        cost j·L                  cost k·L
    panel_size                               (j-th session that year)  (k-th of the cycle)

A session reaches only the experts free of conflict with all of its institutions, and only
through their node for its calendar year, whose ``max_sessions_per_year`` out-arcs bound the
expert's sessions that year; the arc of capacity 1 keeps an expert from taking two seats of
one panel. The parallel arcs of increasing cost make the load cost convex, so the cheapest
flow spreads sessions evenly over the experts inside each year and over the cycle. Costs are
lexicographic (R ≫ L ≫ tie-break): no evenness is bought with one more reuse, and the
tie-break, a rotation of the pool, only chooses among equally good answers, so the same
request gives the same panels whatever order the solver happens to visit arcs in.

>>> from sanquan.quarter import Quarter
>>> from sanquan.rotation.model import Expert, Plan, PlannedSession, PlanRequest
>>> q = Quarter(2027, 1)
>>> plan = Plan(PlanRequest(q, []), (PlannedSession(q, 0, ("A", "B", "C")),))
>>> experts = [Expert(n, f"专家{n}", "A" if n == 1 else None) for n in range(1, 5)]
>>> appoint_panels(PanelRequest(plan, experts, panel_size=3))
(Panel(quarter=Quarter(year=2027, number=1), index=0, expert_ids=(2, 3, 4)),)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from sanquan.quarter import Quarter
from sanquan.rotation.model import (
    Expert,
    Infeasible,
    Panel,
    PanelRequest,
    PlannedSession,
    RuleRef,
)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

CANDIDATES_PER_SEAT = 8
"""On a large network each session first sees only its ``8 × panel_size`` best experts
(least reuse, then its place in the rotation): at national size that network is ~35 times
smaller and solves in ~0.1 s instead of ~1 s. Its answer is kept only when it is provably as
good as the full network's (:meth:`_Problem.certified`); otherwise the full network is
solved. With ``4 × panel_size`` the proof failed on dense histories (loads one off even);
with 8 it held on every synthetic national case tried."""

FULL_NETWORK_BELOW = 100_000
"""Session × expert pairs under which the full network is solved at once (Beijing: 1,440)."""

MAX_SCALED_COST = 2**62
"""The solver multiplies costs by the number of nodes; the product must fit an int64."""

LISTED = 5
"""Sessions named in an error message; the rest are counted."""


def appoint_panels(request: PanelRequest) -> tuple[Panel, ...]:
    """One panel per session of ``request.plan``, in the plan's order, expert ids sorted.

    Raises :class:`Infeasible` (rules of kind ``PANEL``) when the pool cannot staff every
    session, stating the numbers; never a partial set of panels. Raises ``ValueError`` for
    a malformed request (repeated expert ids, a panel size below 1, negative counts).
    """
    problem = _Problem(request)
    problem.precheck()
    if not problem.sessions:
        return ()
    solution = None
    if len(problem.sessions) * len(problem.experts) >= FULL_NETWORK_BELOW:
        restricted = problem.solve(problem.candidates(CANDIDATES_PER_SEAT * problem.size))
        solution = restricted if problem.certified(restricted) else None
    if solution is None:
        solution = problem.solve(problem.candidates(None))
    if not solution.complete:
        raise problem.shortage(solution)
    ids = [e.id for e in problem.experts]
    by_key = {
        (s.quarter, s.index): tuple(ids[int(r)] for r in rows)
        for s, rows in zip(problem.sessions, solution.rows, strict=True)
    }
    return tuple(
        Panel(s.quarter, s.index, by_key[(s.quarter, s.index)]) for s in request.plan.sessions
    )


def panel_violations(request: PanelRequest, panels: Sequence[Panel]) -> list[str]:
    """What is wrong with ``panels`` for ``request`` (empty: nothing), checked without the
    solver or anything of :func:`appoint_panels`, so that the tests and the adoption step
    trust neither the flow model nor its decoding."""
    problems: list[str] = []
    experts = {e.id: e for e in request.experts}
    sessions = {(s.quarter, s.index): s for s in request.plan.sessions}
    seen: set[tuple[Quarter, int]] = set()
    load: dict[tuple[int, int], int] = defaultdict(int)
    for panel in panels:
        where = f"{panel.quarter} session {panel.index + 1}"
        key = (panel.quarter, panel.index)
        if key in seen:
            problems.append(f"{where} has more than one panel")
            continue
        seen.add(key)
        session = sessions.get(key)
        if session is None:
            problems.append(f"{where} is not a session of the plan")
            continue
        distinct = sorted(set(panel.expert_ids))
        if len(distinct) != len(panel.expert_ids):
            problems.append(f"{where} lists an expert twice: {list(panel.expert_ids)}")
        if len(distinct) != request.panel_size:
            problems.append(f"{where} has {len(distinct)} experts, not {request.panel_size}")
        for expert_id in distinct:
            expert = experts.get(expert_id)
            if expert is None:
                problems.append(f"{where}: expert {expert_id} is not in the pool")
            elif expert.affiliation is not None and expert.affiliation in session.codes:
                problems.append(
                    f"{where}: expert {expert_id} is affiliated with {expert.affiliation}, "
                    "an institution of the session (R11)"
                )
            load[(expert_id, panel.quarter.year)] += 1
    for key, session in sessions.items():
        if key not in seen:
            problems.append(f"{session.quarter} session {session.index + 1} has no panel")
    for (expert_id, year), count in sorted(load.items()):
        if count > request.max_sessions_per_year:
            problems.append(
                f"expert {expert_id} sits on {count} sessions in {year}, "
                f"more than {request.max_sessions_per_year}"
            )
    return problems


@dataclass(frozen=True)
class _Solution:
    rows: list[IntArray]
    """Expert rows chosen per session of :attr:`_Problem.sessions`, ascending."""
    complete: bool
    """Every seat filled."""
    reuse: int
    """Past reviews of a session's institutions by its panel, summed over the sessions."""


class _Problem:
    """The request sorted and indexed once, so that everything after is deterministic and
    vectorised: experts by id (their *row*), sessions by quarter and index, years ascending.
    """

    def __init__(self, request: PanelRequest) -> None:
        if request.panel_size < 1:
            raise ValueError(f"panel_size must be at least 1, not {request.panel_size}")
        if request.max_sessions_per_year < 0:
            raise ValueError(
                f"max_sessions_per_year must not be negative: {request.max_sessions_per_year}"
            )
        self.size = request.panel_size
        self.cap = request.max_sessions_per_year
        self.experts: list[Expert] = sorted(request.experts, key=lambda e: e.id)
        ids = [e.id for e in self.experts]
        repeated = sorted(i for i, count in Counter(ids).items() if count > 1)
        if repeated:
            raise ValueError(f"expert ids must be unique; repeated: {repeated}")
        self.sessions: list[PlannedSession] = sorted(
            request.plan.sessions, key=lambda s: (s.quarter, s.index, s.codes)
        )
        self.years: list[int] = sorted({s.quarter.year for s in self.sessions})
        self.year_of: list[int] = [self.years.index(s.quarter.year) for s in self.sessions]
        """Per session, the position of its calendar year in :attr:`years`."""
        self.sessions_in: list[int] = [self.year_of.count(y) for y in range(len(self.years))]
        """Per position in :attr:`years`, the sessions of that calendar year."""
        self.names = {m.code: m.name for m in request.plan.request.pool}

        row = {expert_id: n for n, expert_id in enumerate(ids)}
        affiliated: dict[str, list[int]] = defaultdict(list)
        for n, expert in enumerate(self.experts):
            if expert.affiliation is not None:
                affiliated[expert.affiliation].append(n)
        by_code: dict[str, dict[int, int]] = defaultdict(dict)
        for (expert_id, code), count in request.history.items():
            if count < 0:
                raise ValueError(f"history count for expert {expert_id} and {code} is {count}")
            if expert_id in row and count:  # past experts no longer in the pool don't matter
                by_code[code][row[expert_id]] = count
        history = {
            code: (
                np.array(list(counts), dtype=np.int64),
                np.array(list(counts.values()), dtype=np.int64),
            )
            for code, counts in by_code.items()
        }

        self.free: list[BoolArray] = []
        """Per session, which experts are free of conflict with all its institutions."""
        self.reuse: list[IntArray] = []
        """Per session, each expert's past reviews of its institutions."""
        for session in self.sessions:
            free = np.ones(len(self.experts), dtype=np.bool_)
            reuse = np.zeros(len(self.experts), dtype=np.int64)
            for code in set(session.codes):
                free[affiliated.get(code, [])] = False
                if code in history:
                    rows, counts = history[code]
                    reuse[rows] += counts
            self.free.append(free)
            self.reuse.append(reuse)

    def tie_break(self, ordinal: int) -> IntArray:
        """The pool rotated by ``panel_size`` places per session, so that equally good
        experts are taken in turn rather than always the lowest ids."""
        count = len(self.experts)
        return (np.arange(count, dtype=np.int64) - ordinal * self.size) % max(count, 1)

    def candidates(self, limit: int | None) -> list[IntArray]:
        """Expert rows each session may draw from: every conflict-free one (``limit``
        None), or the ``limit`` best of them by reuse, then rotation."""
        result: list[IntArray] = []
        for ordinal, free in enumerate(self.free):
            rows = np.flatnonzero(free).astype(np.int64)
            if limit is not None and len(rows) > limit:
                order = np.lexsort((self.tie_break(ordinal)[rows], self.reuse[ordinal][rows]))
                rows = np.sort(rows[order[:limit]])
            result.append(rows)
        return result

    # --- the flow ------------------------------------------------------------------------

    def solve(self, candidates: list[IntArray]) -> _Solution:
        """The cheapest maximum flow over ``candidates``; complete when every seat is filled."""
        sessions, experts, years = len(self.sessions), len(self.experts), len(self.years)
        seats = sessions * self.size
        per_year = [min(self.cap, count) for count in self.sessions_in]
        cycle = sum(per_year)
        node_year = sessions  # node of (row, year): node_year + row * years + year
        node_expert = node_year + experts * years
        sink = node_expert + experts
        reuse = [self.reuse[i][rows] for i, rows in enumerate(candidates)]
        top = max((int(r.max()) for r in reuse if len(r)), default=0)

        # Strictly lexicographic weights: the tie-breaks of all seats together stay below one
        # step of load, and all load steps together below one reuse. Should that not fit the
        # solver's range (pools far beyond national size), the tie-break goes first, then
        # reuse counts beyond what fits rank equal.
        for spread in (experts, 1):
            tie_total = seats * (spread - 1)
            step = tie_total + 1
            per_reuse = seats * (max(per_year, default=1) - 1 + cycle - 1) * step + step
            ceiling = (MAX_SCALED_COST // (sink + 2) - spread) // per_reuse
            if top <= ceiling:
                break
        reuse = [np.minimum(r, max(ceiling, 0)) for r in reuse]

        tails = [np.full(len(rows), i, dtype=np.int64) for i, rows in enumerate(candidates)]
        heads = [node_year + rows * years + self.year_of[i] for i, rows in enumerate(candidates)]
        costs = [
            reuse[i] * per_reuse + self.tie_break(i)[rows] % spread
            for i, rows in enumerate(candidates)
        ]
        session_arcs = sum(len(rows) for rows in candidates)
        for y, steps in enumerate(per_year):
            rows = np.repeat(np.arange(experts, dtype=np.int64), steps)
            tails.append(node_year + rows * years + y)
            heads.append(node_expert + rows)
            costs.append(np.tile(np.arange(steps, dtype=np.int64), experts) * step)
        rows = np.repeat(np.arange(experts, dtype=np.int64), cycle)
        tails.append(node_expert + rows)
        heads.append(np.full(len(rows), sink, dtype=np.int64))
        costs.append(np.tile(np.arange(cycle, dtype=np.int64), experts) * step)

        flow = min_cost_flow.SimpleMinCostFlow()
        arc_tails = np.concatenate(tails).astype(np.int32)
        flow.add_arcs_with_capacity_and_unit_cost(
            arc_tails,
            np.concatenate(heads).astype(np.int32),
            np.ones(len(arc_tails), dtype=np.int64),
            np.concatenate(costs).astype(np.int64),
        )
        flow.set_nodes_supplies(
            np.array([*range(sessions), sink], dtype=np.int32),
            np.array([self.size] * sessions + [-seats], dtype=np.int64),
        )
        status = flow.solve_max_flow_with_min_cost()
        if status != flow.OPTIMAL:
            raise RuntimeError(f"the min-cost flow solver returned {status}")
        used: IntArray = np.asarray(
            flow.flows(np.arange(session_arcs, dtype=np.int32)), dtype=np.int64
        )
        chosen: list[IntArray] = []
        total = 0
        offset = 0
        for i, rows in enumerate(candidates):
            taken = rows[used[offset : offset + len(rows)] > 0]
            offset += len(rows)
            chosen.append(taken)
            total += int(self.reuse[i][taken].sum())
        return _Solution(chosen, int(flow.maximum_flow()) == seats, total)

    def certified(self, solution: _Solution) -> bool:
        """Whether ``solution`` is as good as the best over the full pool, by bounds that hold
        for any staffing: every seat filled; reuse equal to the sum of each session's own
        least (its ``panel_size`` least-reusing free experts); and loads even (max − min ≤ 1)
        in every calendar year and over the cycle, which minimises any convex load cost for
        a given number of seats. Only the tie-break can then differ from the full answer."""
        if not solution.complete:
            return False
        floor = sum(
            int(np.sort(reuse[free])[: self.size].sum())
            for reuse, free in zip(self.reuse, self.free, strict=True)
        )
        if solution.reuse != floor:
            return False
        loads = np.zeros((len(self.years), len(self.experts)), dtype=np.int64)
        for year, rows in zip(self.year_of, solution.rows, strict=True):
            loads[year, rows] += 1
        return all(_even(year) for year in loads) and _even(loads.sum(axis=0))

    # --- explanations --------------------------------------------------------------------

    def precheck(self) -> None:
        """Refuse what counting alone shows cannot be staffed, before building anything: a
        pool smaller than a panel, a calendar year that needs more seats than the pool may
        give that year, then sessions with too few experts free of conflict.

        When no institution is reviewed twice in one calendar year (R1 gives once a cycle)
        these counts are exact, not just necessary: an expert then conflicts with at most one
        session of the year, so for any k sessions of a year their free experts offer either
        the sum of the k sessions' free counts (k ≤ cap) or pool × cap seats (k > cap), and
        the max-flow min-cut condition reduces to the two checks here."""
        pool = len(self.experts)
        if self.sessions and pool < self.size:
            raise Infeasible(
                f"每场需要 {self.size} 位专家，但专家库只有 {pool} 人；"
                f"请至少增补 {self.size - pool} 位专家。",
                f"Each session needs {_n(self.size, 'expert')} but the pool has {pool:,}; "
                f"add at least {_n(self.size - pool, 'expert')}.",
                [self._size_rule()],
            )
        for year, count in zip(self.years, self.sessions_in, strict=True):
            if count * self.size > pool * self.cap:
                raise self._year_over(year, count)
        short = [
            (session, int(free.sum()))
            for session, free in zip(self.sessions, self.free, strict=True)
            if free.sum() < self.size
        ]
        if short:
            raise self._too_few_free(short)

    def _year_over(self, year: int, count: int) -> Infeasible:
        pool, seats = len(self.experts), count * self.size
        fixes_zh = [f"允许每位专家每年参加 {-(-seats // pool)} 场"]
        fixes_en = [f"allow {_n(-(-seats // pool), 'session')} a year per expert"]
        if self.cap:
            more = -(-seats // self.cap) - pool
            fixes_zh.insert(0, f"至少增补 {more} 位专家")
            fixes_en.insert(0, f"add at least {_n(more, 'expert')}")
        return Infeasible(
            f"{year} 年有 {count} 场点评，每场 {self.size} 位专家，共需 {seats} 个专家席位；"
            f"但 {pool} 位专家 × 每年最多 {self.cap} 场，至多只有 {pool * self.cap} 个。"
            f"请{'，或'.join(fixes_zh)}。",
            f"{year} has {_n(count, 'session')} that need {_n(seats, 'panel seat')} of "
            f"{_n(self.size, 'expert')}, but {_n(pool, 'expert')} × {_n(self.cap, 'session')} "
            "a year give at most "
            f"{pool * self.cap:,}; {', or '.join(fixes_en)}.",
            [self._size_rule(), self._cap_rule()],
        )

    def _too_few_free(self, short: list[tuple[PlannedSession, int]]) -> Infeasible:
        pool = len(self.experts)
        shown = short[:LISTED]
        more_zh = f"等 {len(short)} 场" if len(short) > LISTED else f"共 {len(short)} 场"
        more_en = f" and {len(short) - LISTED:,} more" if len(short) > LISTED else ""
        zh = "；".join(
            f"{_where_zh(s)}（{self._names(s.codes, '、')}）仅 {free} 人" for s, free in shown
        )
        en = "; ".join(
            f"{_where_en(s)} ({self._names(s.codes, ', ')}) has {free:,}" for s, free in shown
        )
        return Infeasible(
            f"每场需要 {self.size} 位专家，但专家库 {pool} 人中与下列场次的高校无隶属关系"
            f"（无利益冲突）的不足 {self.size} 人：{zh}（{more_zh}）。"
            "请增补不隶属于这些高校的专家。",
            f"Each session needs {_n(self.size, 'expert')}, but of the pool of {pool:,} too few "
            f"are free of conflict with these sessions' institutions: {en}{more_en}. "
            "Add experts not affiliated with them.",
            [self._size_rule()]
            + [
                RuleRef(
                    "PANEL",
                    f"{_where_zh(s)}的专家不得隶属于其受评高校(R11)",
                    f"No expert of {_where_en(s)} may be affiliated with its institutions (R11)",
                    quarter=s.quarter,
                )
                for s, _ in short
            ],
        )

    def shortage(self, solution: _Solution) -> Infeasible:
        """The arithmetic holds but the best flow leaves seats empty: conflicts and the yearly
        cap together starve some sessions. Name them, with the seats missing. (Only a plan
        that reviews an institution twice in one calendar year gets here; see
        :meth:`precheck`.)"""
        short = [
            (s, len(rows))
            for s, rows in zip(self.sessions, solution.rows, strict=True)
            if len(rows) < self.size
        ]
        missing = sum(self.size - got for _, got in short)
        years = sorted({s.quarter.year for s, _ in short})
        shown = short[:LISTED]
        more_en = f" and {len(short) - LISTED:,} more" if len(short) > LISTED else ""
        zh = "；".join(f"{_where_zh(s)}只能安排 {got} 人" for s, got in shown)
        en = "; ".join(f"{_where_en(s)} can get {got}" for s, got in shown)
        return Infeasible(
            f"{'、'.join(map(str, years))} 年有 {missing} 个专家席位无法安排：{zh}"
            f"（共 {len(short)} 场，每场需要 {self.size} 人）。与这些场次的高校无隶属关系的专家"
            f"已排满每年 {self.cap} 场；请增补不隶属于这些高校的专家，或放宽每年场次上限。",
            f"In {', '.join(map(str, years))}, {missing:,} panel seats cannot be filled: "
            f"{en}{more_en} (of {self.size} each). The experts free of conflict with these "
            f"sessions already sit on {_n(self.cap, 'session')} a year; add experts not affiliated "
            "with their institutions, or allow more sessions a year per expert.",
            [self._size_rule(), self._cap_rule(), _CONFLICT_RULE],
        )

    def _size_rule(self) -> RuleRef:
        return RuleRef(
            "PANEL",
            f"每场专家组 {self.size} 人",
            f"Panels of {_n(self.size, 'expert')} per session",
        )

    def _cap_rule(self) -> RuleRef:
        return RuleRef(
            "PANEL",
            f"每位专家每年最多参加 {self.cap} 场",
            f"At most {_n(self.cap, 'session')} a year per expert",
        )

    def _names(self, codes: Iterable[str], separator: str) -> str:
        return separator.join(self.names.get(code, code) for code in codes)


_CONFLICT_RULE = RuleRef(
    "PANEL",
    "专家不得评议其所隶属的高校(R11)",
    "No expert may review the institution they are affiliated with (R11)",
)


def _n(count: int, noun: str) -> str:
    """``1 expert``, ``1,500 experts``: messages state numbers, so they read as English."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _even(loads: IntArray) -> bool:
    return len(loads) == 0 or int(loads.max()) - int(loads.min()) <= 1


def _where_zh(session: PlannedSession) -> str:
    return f"{session.quarter} 第 {session.index + 1} 场"


def _where_en(session: PlannedSession) -> str:
    return f"{session.quarter} session {session.index + 1}"
