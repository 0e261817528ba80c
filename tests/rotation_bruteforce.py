"""An exhaustive search for a plan of a tiny request: the oracle that checks the planner's
infeasibility claims (issue 4), independent of the planner and of OR-Tools.

Every institution gets an allowed set of quarters (gap window R4, pins and blackouts R5,
started sessions R8). Institutions with the same category and the same allowed quarters
are interchangeable, so they form a class and the search places classes' members, not
named codes. At each step it takes the most constrained decision, as in exact cover:
either "where does the next member of this class go" (over the quarters it may enter) or
"which class fills the next missing seat of this quarter" (a quarter below its minimum
must get someone). Once no one can enter a quarter any more, the quarter is checked by
trying every split of it into ``k`` sessions (sizes R2, composition R6, started sessions
R8). The search is exhaustive; only these prunings, each a necessary condition, keep it
small:

- a quarter never takes more than its sessions can hold, nor, under the mix policy, more of
  one category than its sessions allow;
- the institutions still to place must be able to bring every quarter up to its minimum
  and must fit in the room left, overall and per category (bipartite matchings);
- failed states are remembered, up to swapping quarters that no rule tells apart.

Only categories matter inside a quarter, so a state is the remaining members per class and
the category counts per quarter. The search gives up with :class:`SearchTooLarge` past a
node budget rather than run for minutes: keep requests tiny (about 12–28 institutions,
sessions of 1–3, ``k`` ≤ 2, a few institutions of slack over the cycle's minimum).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sanquan.quarter import Quarter
from sanquan.rotation.model import (
    CYCLE_QUARTERS,
    Plan,
    PlannedSession,
    PlanRequest,
    Policy,
)

Resource = TypeVar("Resource", bound=Hashable)
Vector = tuple[int, ...]
"""Institutions per category, in the order of :attr:`_Problem.categories`."""


class SearchTooLarge(Exception):
    """The request is too large for exhaustive search; the caller must not read this as
    "no plan"."""


def window(request: PlanRequest, code: str) -> list[Quarter]:
    """The quarters of the cycle R4 allows ``code`` in: all of them without a last review or
    when already overdue, else those at a gap within the bounds."""
    last = request.last_reviewed.get(code)
    shortest, longest = request.gap
    if last is None or last.index + longest < request.start.index:
        return request.quarters
    return [q for q in request.quarters if shortest <= q.index - last.index <= longest]


def find_plan(request: PlanRequest, budget: int = 200_000) -> Plan | None:
    """A plan satisfying R1, R2, R4, R5, R6 and R8 for ``request``, or ``None`` when there is
    none. Raises :class:`SearchTooLarge` after ``budget`` search nodes."""
    problem = _problem(request)
    if problem is None:
        return None
    search = _Search(problem, budget)
    return _plan(search) if search.run() else None


@dataclass(frozen=True)
class _Class:
    """Interchangeable institutions: one category, the same allowed quarters."""

    category: int
    allowed: tuple[int, ...]
    codes: tuple[str, ...]


@dataclass(frozen=True)
class _Problem:
    request: PlanRequest
    categories: tuple[str, ...]
    classes: tuple[_Class, ...]
    fixed: tuple[tuple[Vector, ...], ...]
    """Per quarter offset, the category vectors of its started sessions."""
    fixed_codes: tuple[tuple[tuple[str, ...], ...], ...]
    """Per quarter offset, the codes of its started sessions, sorted."""


def _problem(request: PlanRequest) -> _Problem | None:
    """The request as classes with allowed quarters; ``None`` when a rule fails before any
    search: a code twice in the pool or in started sessions, a pin on a code outside the
    pool, a started session outside the cycle, naming a code outside the pool, breaking
    the sizes or the mix policy by itself, or more started sessions than a quarter holds."""
    cycle = request.quarters
    offset = {quarter: i for i, quarter in enumerate(cycle)}
    pool_codes = [member.code for member in request.pool]
    if len(set(pool_codes)) != len(pool_codes):
        return None
    categories = tuple(sorted({member.category for member in request.pool}))
    category_of = {m.code: categories.index(m.category) for m in request.pool}

    allowed = {code: {offset[q] for q in window(request, code)} for code in pool_codes}
    for pin in request.pins:
        if pin.code not in allowed:
            return None
        allowed[pin.code] &= {offset[pin.quarter]} if pin.quarter in offset else set()
    for blackout in request.blackouts:
        if blackout.code in allowed:
            allowed[blackout.code].discard(offset.get(blackout.quarter, -1))

    fixed: list[list[Vector]] = [[] for _ in cycle]
    fixed_codes: list[list[tuple[str, ...]]] = [[] for _ in cycle]
    in_fixed: set[str] = set()
    for session in request.fixed:
        codes = session.codes
        if (
            session.quarter not in offset
            or any(code not in allowed or code in in_fixed for code in codes)
            or len(set(codes)) != len(codes)
        ):
            return None
        in_fixed |= set(codes)
        where = offset[session.quarter]
        for code in codes:
            allowed[code] &= {where}
        vector = _vector((category_of[c] for c in codes), len(categories))
        if not _sized(request, vector) or not _composed(request, [vector], 0):
            return None
        fixed[where].append(vector)
        fixed_codes[where].append(tuple(sorted(codes)))
    if any(len(sessions) > request.sessions_per_quarter for sessions in fixed):
        return None
    if any(not quarters for quarters in allowed.values()):
        return None

    members: dict[tuple[int, tuple[int, ...]], list[str]] = defaultdict(list)
    for code in sorted(pool_codes):
        members[category_of[code], tuple(sorted(allowed[code]))].append(code)
    return _Problem(
        request=request,
        categories=categories,
        classes=tuple(_Class(c, a, tuple(codes)) for (c, a), codes in sorted(members.items())),
        fixed=tuple(tuple(v) for v in fixed),
        fixed_codes=tuple(tuple(c) for c in fixed_codes),
    )


def _vector(categories: Iterable[int], width: int) -> Vector:
    counts = [0] * width
    for category in categories:
        counts[category] += 1
    return tuple(counts)


def _total(vectors: Sequence[Vector], width: int) -> Vector:
    return tuple(sum(v[c] for v in vectors) for c in range(width))


class _Search:
    """Depth-first search with memory of failed states. ``left[x]`` is how many members of
    class ``x`` are still to place, ``counts[q]`` quarter ``q``'s category counts so far,
    ``path`` the placements made, as (class, quarter)."""

    def __init__(self, problem: _Problem, budget: int) -> None:
        request = problem.request
        self.problem = problem
        self.budget = budget
        self.nodes = 0
        self.width = len(problem.categories)
        k = request.sessions_per_quarter
        low, high = request.session_size
        m = request.max_same_category
        # Bounds per quarter: started sessions as they are, the free ones within the sizes
        # and, under the mix policy, at most m of a category each.
        self.least: list[int] = []
        self.most: list[int] = []
        self.caps: list[list[int]] = []
        for started in problem.fixed:
            held, free = _total(started, self.width), k - len(started)
            self.least.append(sum(held) + free * low)
            self.most.append(sum(held) + free * high)
            unlimited = sum(held) + free * high
            self.caps.append(
                [h + free * m if request.policy is Policy.MIX else unlimited for h in held]
            )
        self.left = [len(c.codes) for c in problem.classes]
        self.counts = [[0] * self.width for _ in range(CYCLE_QUARTERS)]
        self.path: list[tuple[int, int]] = []
        # Quarters no rule tells apart: the same classes allowed, no started session.
        users: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for q in range(CYCLE_QUARTERS):
            allowing = tuple(x for x, c in enumerate(problem.classes) if q in c.allowed)
            users[(-q - 1,) if problem.fixed[q] else allowing].append(q)
        self.groups = [tuple(quarters) for quarters in users.values()]
        self.failed: set[Hashable] = set()
        self.splits: dict[tuple[int, Vector], tuple[Vector, ...] | None] = {}

    def run(self) -> bool:
        return self._search()

    def split(self, q: int, counts: Vector) -> tuple[Vector, ...] | None:
        """Memoised :func:`_split`."""
        if (q, counts) not in self.splits:
            self.splits[q, counts] = _split(self.problem, q, counts)
        return self.splits[q, counts]

    def _enters(self, x: int, q: int) -> bool:
        """Whether a member of class ``x`` may go to quarter ``q`` now."""
        counts = self.counts[q]
        category = self.problem.classes[x].category
        return sum(counts) < self.most[q] and counts[category] < self.caps[q][category]

    def _search(self) -> bool:
        self.nodes += 1
        if self.nodes > self.budget:
            raise SearchTooLarge(f"more than {self.budget} search nodes")
        classes = self.problem.classes
        open_classes = [x for x, n in enumerate(self.left) if n]
        entrants = [
            [x for x in open_classes if q in classes[x].allowed and self._enters(x, q)]
            for q in range(CYCLE_QUARTERS)
        ]
        for q, who in enumerate(entrants):
            if not who and self.split(q, tuple(self.counts[q])) is None:
                return False
        if not open_classes:
            return True
        key = (tuple(self.left), self._canonical())
        if key in self.failed or not self._can_finish(entrants):
            self.failed.add(key)
            return False
        for x, q in self._choices(open_classes, entrants):
            self._place(x, q, +1)
            found = self._search()
            if found:
                return True
            self._place(x, q, -1)
        self.failed.add(key)
        return False

    def _place(self, x: int, q: int, step: int) -> None:
        self.left[x] -= step
        self.counts[q][self.problem.classes[x].category] += step
        if step > 0:
            self.path.append((x, q))
        else:
            self.path.pop()

    def _choices(self, open_classes: list[int], entrants: list[list[int]]) -> list[tuple[int, int]]:
        """The branches of the most constrained decision: a class's next member over the
        quarters it may enter, or a quarter's next missing seat over the classes that may
        fill it; either way, every plan extending this state lies in one branch."""
        where = [
            [(x, q) for q in self.problem.classes[x].allowed if x in entrants[q]]
            for x in open_classes
        ]
        seats = [
            [(x, q) for x in entrants[q]]
            for q in range(CYCLE_QUARTERS)
            if sum(self.counts[q]) < self.least[q]
        ]
        return min([*where, *seats], key=len)

    def _canonical(self) -> tuple[tuple[Vector, ...], ...]:
        return tuple(tuple(sorted(tuple(self.counts[q]) for q in group)) for group in self.groups)

    def _can_finish(self, entrants: list[list[int]]) -> bool:
        """Necessary conditions for the members still to place, each a relaxation of the
        real problem: they can bring every quarter up to its minimum (per quarter, then as a
        bipartite matching); they fit in the room quarters have left, overall and per
        category."""
        classes = self.problem.classes
        totals = [sum(counts) for counts in self.counts]
        deficits = [max(0, least - total) for least, total in zip(self.least, totals, strict=True)]
        for q, deficit in enumerate(deficits):
            if deficit and self._most_entering(q, entrants[q]) < deficit:
                return False
        if not _saturates(
            [entrants[q] for q, deficit in enumerate(deficits) for _ in range(deficit)],
            dict(enumerate(self.left)),
        ):
            return False
        members = [x for x, n in enumerate(self.left) for _ in range(n)]
        room = {
            q: most - total for q, (most, total) in enumerate(zip(self.most, totals, strict=True))
        }
        if not _saturates([classes[x].allowed for x in members], room):
            return False
        return _saturates(
            [[(q, classes[x].category) for q in classes[x].allowed] for x in members],
            {
                (q, c): min(cap[c] - counts[c], room[q])
                for q, (cap, counts) in enumerate(zip(self.caps, self.counts, strict=True))
                for c in range(self.width)
            },
        )

    def _most_entering(self, q: int, entrants: list[int]) -> int:
        """How many of the remaining members quarter ``q`` could still take."""
        per_category: Counter[int] = Counter()
        for x in entrants:
            per_category[self.problem.classes[x].category] += self.left[x]
        counts, caps = self.counts[q], self.caps[q]
        room = self.most[q] - sum(counts)
        return min(room, sum(min(n, caps[c] - counts[c]) for c, n in per_category.items()))


def _saturates(wants: Sequence[Sequence[Resource]], capacity: Mapping[Resource, int]) -> bool:
    """Whether every want can take one unit of a different resource it accepts, resource
    ``r`` having ``capacity[r]`` units: Kuhn's augmenting paths."""
    holders: dict[Resource, list[int]] = defaultdict(list)

    def augment(want: int, seen: set[Resource]) -> bool:
        for resource in wants[want]:
            if resource in seen or capacity[resource] <= 0:
                continue
            seen.add(resource)
            held = holders[resource]
            if len(held) < capacity[resource]:
                held.append(want)
                return True
            for k, other in enumerate(held):
                if augment(other, seen):
                    held[k] = want
                    return True
        return False

    return all(augment(want, set()) for want in range(len(wants)))


def _split(problem: _Problem, q: int, counts: Vector) -> tuple[Vector, ...] | None:
    """The category vectors of quarter ``q``'s sessions, started ones first, for a quarter
    holding ``counts``; ``None`` when no split into ``k`` sessions satisfies R2, R6 and R8."""
    request = problem.request
    fixed = problem.fixed[q]
    held = _total(fixed, len(counts))
    rest = tuple(c - h for c, h in zip(counts, held, strict=True))
    if any(c < 0 for c in rest):
        return None
    for free in _splits(rest, request.sessions_per_quarter - len(fixed)):
        sessions = (*fixed, *free)
        if all(_sized(request, s) for s in sessions) and _composed(request, sessions, len(fixed)):
            return sessions
    return None


def _splits(counts: Vector, parts: int) -> Iterator[tuple[Vector, ...]]:
    """Every way to cut a category vector into ``parts`` ordered vectors."""
    if parts == 0:
        if not any(counts):
            yield ()
        return
    if parts == 1:
        yield (counts,)
        return
    for first in itertools.product(*(range(c + 1) for c in counts)):
        rest = tuple(c - f for c, f in zip(counts, first, strict=True))
        for others in _splits(rest, parts - 1):
            yield (first, *others)


def _sized(request: PlanRequest, session: Vector) -> bool:
    low, high = request.session_size
    return low <= sum(session) <= high


def _composed(request: PlanRequest, sessions: Sequence[Vector], started: int) -> bool:
    """R6 for one quarter's sessions, the first ``started`` of them started, read straight
    from the rule: mix bounds every session; group bounds the scattering of the sessions
    still to be composed, as a started session is kept whatever it holds."""
    if request.policy is Policy.MIX:
        return all(c <= request.max_same_category for s in sessions for c in s)
    free = sessions[started:]
    if not free:
        return True
    pairs = sum(1 for s in free for c in s if c)
    distinct = sum(1 for c in _total(free, len(free[0])) if c)
    return pairs <= distinct + len(free) - 1


def _plan(search: _Search) -> Plan:
    """Codes for what the search found: each class's members go to the quarters its
    placements name; started sessions keep their codes, the other sessions take the
    quarter's remaining codes category by category, as the quarter's split says."""
    problem = search.problem
    width = len(problem.categories)
    unplaced = [list(c.codes) for c in problem.classes]
    by_quarter: list[list[list[str]]] = [[[] for _ in range(width)] for _ in range(CYCLE_QUARTERS)]
    for x, q in search.path:
        by_quarter[q][problem.classes[x].category].append(unplaced[x].pop())
    sessions: list[PlannedSession] = []
    for q, quarter in enumerate(problem.request.quarters):
        started = problem.fixed_codes[q]
        in_started = {code for codes in started for code in codes}
        free = [[c for c in codes if c not in in_started] for codes in by_quarter[q]]
        split = search.split(q, tuple(len(codes) for codes in by_quarter[q]))
        assert split is not None, "the search accepted a quarter it cannot split"
        for index, session in enumerate(split):
            if index < len(started):
                codes = started[index]
            else:
                codes = tuple(
                    sorted(free[c].pop() for c, n in enumerate(session) for _ in range(n))
                )
            sessions.append(PlannedSession(quarter, index, codes))
    return Plan(problem.request, tuple(sessions))
