"""Hypothesis strategies for rotation requests (R1–R8): pools, histories and the rules a
commission would set, feasible or not, for the planner's property tests.

:func:`witnessed_requests` knows the answer before the planner is asked: it draws a plan
first and the request around it (so the request is feasible, and the plan shows it), and
now and then breaks the request in one known way (so the refusal can be checked).

Histories come in two shapes: the even spread a previous cycle leaves behind (so most
requests have a plan), and scattered last reviews that crowd gap windows (so some do not).
Pins, blackouts and started sessions are drawn at random, and sometimes made to contradict
each other on purpose.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from hypothesis import strategies as st

from sanquan.quarter import Quarter
from sanquan.rotation.model import (
    CYCLE_QUARTERS,
    Blackout,
    FixedSession,
    Pin,
    Plan,
    PlannedSession,
    PlanRequest,
    Policy,
    PoolMember,
)
from tests.rotation_bruteforce import window

CATEGORIES = ("综合", "理工", "师范", "医药", "艺术")
GAPS = ((8, 16), (10, 14), (6, 18), (8, 12), (6, 10), (12, 12))


def code_of(number: int) -> str:
    """A 10-digit code shaped like a Beijing MOE code (4111010001 …)."""
    return f"41110{10001 + number}"


def starts() -> st.SearchStrategy[Quarter]:
    return st.builds(Quarter, st.integers(2025, 2030), st.integers(1, 4))


@st.composite
def pools(draw: st.DrawFn, size: int, categories: int) -> list[PoolMember]:
    """``size`` institutions over the first ``categories`` categories."""
    names = draw(st.lists(st.sampled_from(CATEGORIES[:categories]), min_size=size, max_size=size))
    return [PoolMember(code_of(i), f"高校{i + 1}", name) for i, name in enumerate(names)]


@st.composite
def histories(draw: st.DrawFn, codes: list[str], start: Quarter) -> dict[str, Quarter]:
    """Last reviews within the 12 quarters before ``start``: none, the even spread of a
    previous cycle (some codes new to the pool), or scattered."""
    shape = draw(st.sampled_from(["none", "even", "even", "scattered"]))
    if shape == "none":
        return {}
    if shape == "even":
        order = draw(st.permutations(codes))
        known = draw(st.integers(len(codes) // 2, len(codes)))
        return {
            code: start.plus(i % CYCLE_QUARTERS - CYCLE_QUARTERS)
            for i, code in enumerate(order[:known])
        }
    before = draw(
        st.lists(
            st.none() | st.integers(1, CYCLE_QUARTERS), min_size=len(codes), max_size=len(codes)
        )
    )
    return {code: start.plus(-b) for code, b in zip(codes, before, strict=True) if b}


@st.composite
def rules(
    draw: st.DrawFn,
    request: PlanRequest,
    *,
    most_pins: int = 3,
    most_blackouts: int = 5,
) -> PlanRequest:
    """``request`` with pins, blackouts, priorities and now and then a started session and a
    previous schedule. Pins and started sessions mostly respect the gap windows, as a careful
    commission's would; now and then a pin lands anywhere or is made to contradict a
    blackout or another pin."""
    codes = [member.code for member in request.pool]
    cycle = request.quarters
    pins: list[Pin] = []
    for code in draw(st.lists(st.sampled_from(codes), max_size=most_pins)):
        anywhere = draw(st.integers(0, 3)) == 0
        pins.append(Pin(code, draw(st.sampled_from(cycle if anywhere else window(request, code)))))
    placements = st.tuples(st.sampled_from(codes), st.sampled_from(cycle))
    blackouts = [Blackout(c, q) for c, q in draw(st.lists(placements, max_size=most_blackouts))]
    if pins and draw(st.integers(0, 4)) == 0:
        pin = pins[0]
        if draw(st.booleans()):
            blackouts.append(Blackout(pin.code, pin.quarter))
        else:
            pins.append(Pin(pin.code, draw(st.sampled_from(cycle))))
    priorities = draw(st.lists(st.sampled_from(codes), unique=True, max_size=4))
    fixed: list[FixedSession] = []
    if draw(st.integers(0, 4)) == 0:
        quarter = draw(st.sampled_from(cycle))
        fits = [c for c in codes if quarter in window(request, c)]
        low, high = request.session_size
        if len(fits) >= low:
            size = draw(st.integers(low, min(high, len(fits))))
            members = draw(
                st.lists(st.sampled_from(fits), min_size=size, max_size=size, unique=True)
            )
            fixed.append(FixedSession(quarter, tuple(members)))
    previous: dict[str, Quarter] = {}
    if draw(st.integers(0, 3)) == 0:
        previous = {code: last.plus(CYCLE_QUARTERS) for code, last in request.last_reviewed.items()}
    return replace(
        request,
        pins=tuple(pins),
        blackouts=tuple(blackouts),
        priorities=tuple(priorities),
        fixed=tuple(fixed),
        previous=previous,
    )


@st.composite
def sized(draw: st.DrawFn, fewest: int, most: int, slack: int) -> int:
    """A pool size that mostly fits between ``fewest`` and ``most`` (at most ``slack`` above
    ``fewest``), and one in eight times misses by one either side (R3)."""
    if draw(st.integers(0, 7)) == 0:
        return draw(st.sampled_from([fewest - 1, most + 1]))
    return draw(st.integers(fewest, min(most, fewest + slack)))


@st.composite
def plan_requests(draw: st.DrawFn) -> PlanRequest:
    """Small-to-medium requests: 9–70 institutions, ``k`` in {1, 2}, sessions of 1–5. The
    pool mostly fits the cycle; now and then it misses by one or two (R3)."""
    k = draw(st.sampled_from([1, 2]))
    sizes = [(3, 5), (2, 4), (3, 4), (2, 5), (1, 3)]
    low, high = draw(st.sampled_from([s for s in sizes if CYCLE_QUARTERS * k * s[0] <= 70]))
    fewest, most = CYCLE_QUARTERS * k * low, CYCLE_QUARTERS * k * high
    size = max(9, min(70, draw(sized(fewest, most, slack=70))))
    start = draw(starts())
    pool = draw(pools(size, draw(st.integers(2, len(CATEGORIES)))))
    history = draw(histories([m.code for m in pool], start))
    request = PlanRequest(
        start=start,
        pool=pool,
        sessions_per_quarter=k,
        session_size=(low, high),
        gap=draw(st.sampled_from(GAPS)),
        policy=draw(st.sampled_from(Policy)),
        max_same_category=draw(st.sampled_from([1, 2, 2, 3])),
        last_reviewed=history,
    )
    return draw(rules(request))


TINY_SHAPES = (
    # (k, session size, slack: how many institutions beyond the cycle's smallest capacity)
    (1, (1, 1), 0),
    (1, (1, 2), 4),
    (1, (1, 3), 3),
    (1, (2, 2), 0),
    (2, (1, 1), 0),
    (2, (1, 2), 3),
)
"""Shapes whose pool is at most a few institutions above the cycle's smallest capacity:
exhaustive search stays small, and the slack is where infeasibility hides."""


@st.composite
def tiny_requests(draw: st.DrawFn) -> PlanRequest:
    """Requests small enough for :mod:`tests.rotation_bruteforce` to decide exhaustively."""
    k, (low, high), slack = draw(st.sampled_from(TINY_SHAPES))
    fewest, most = CYCLE_QUARTERS * k * low, CYCLE_QUARTERS * k * high
    start = draw(starts())
    categories = draw(st.sampled_from([1, 2, 2, 3, 3]))
    pool = draw(pools(draw(sized(fewest, most, slack)), categories))
    history = draw(histories([m.code for m in pool], start))
    request = PlanRequest(
        start=start,
        pool=pool,
        sessions_per_quarter=k,
        session_size=(low, high),
        gap=draw(st.sampled_from(GAPS)),
        policy=draw(st.sampled_from(Policy)),
        max_same_category=draw(st.sampled_from([1, 2])),
        last_reviewed=history,
    )
    return draw(rules(request, most_pins=3, most_blackouts=6))


@st.composite
def unfit_requests(draw: st.DrawFn) -> PlanRequest:
    """Pools that cannot fit the cycle with the default session sizes (R3): fewer than
    3·12·k or more than 5·12·k institutions."""
    k = draw(st.integers(1, 3))
    low, high = 3, 5
    size = draw(
        st.integers(1, CYCLE_QUARTERS * k * low - 1)
        | st.integers(CYCLE_QUARTERS * k * high + 1, CYCLE_QUARTERS * k * high + 30)
    )
    pool = draw(pools(size, 3))
    return PlanRequest(start=draw(starts()), pool=pool, sessions_per_quarter=k)


SHAPES = ((3, 5), (2, 4), (3, 4), (2, 5), (1, 3))
"""Session sizes (R2) of the generated requests."""
MOST_INSTITUTIONS = 70


KINDS = ("feasible",) * 13 + ("contradiction",) * 2 + ("pool size",)
"""What :func:`witnessed_requests` draws, feasible first: Hypothesis leans to the first."""


@dataclass(frozen=True)
class Witnessed:
    """A request and what is known about it without the planner: ``witness``, a plan that
    satisfies every rule of it; or, when the request was made impossible on purpose, the
    rules ``added`` to do so (every conflict must involve one of them, since the rest has
    a plan) or, with ``added`` empty, a pool that misses R3's arithmetic."""

    request: PlanRequest
    witness: Plan | None = None
    added: tuple[Pin | Blackout, ...] = ()

    @property
    def kind(self) -> str:
        if self.witness is not None:
            return "feasible"
        return "contradiction" if self.added else "pool size"


@st.composite
def witnessed_requests(draw: st.DrawFn) -> Witnessed:
    """Requests of up to 70 institutions with ``k`` in {1, 2}, drawn around a plan — pool
    size, sessions, categories, histories, pins, blackouts and started sessions all
    consistent with it — of which one in fifteen is then made impossible with a pin that
    contradicts a blackout or another pin; and one in sixteen with a pool one too small or
    too large for the cycle (R3)."""
    k = draw(st.sampled_from([1, 2]))
    shapes = [s for s in SHAPES if CYCLE_QUARTERS * k * s[0] <= MOST_INSTITUTIONS]
    low, high = draw(st.sampled_from(shapes))
    sessions = CYCLE_QUARTERS * k
    fewest, most = sessions * low, sessions * high
    start = draw(starts())
    kind = draw(st.sampled_from(KINDS))
    if kind == "pool size":
        size = draw(st.sampled_from([fewest - 1, most + 1]))
        request = PlanRequest(
            start=start,
            pool=draw(pools(size, 3)),
            sessions_per_quarter=k,
            session_size=(low, high),
        )
        return Witnessed(request)
    witness = draw(_witness_plans(start, k, (low, high), min(most, MOST_INSTITUTIONS)))
    request = draw(_rules_kept_by(witness))
    witness = replace(witness, request=request)
    if kind == "feasible":
        return Witnessed(request, witness=witness)
    code = draw(st.sampled_from([m.code for m in request.pool]))
    quarter, other = draw(st.permutations(request.quarters))[:2]
    pin = Pin(code, quarter)
    added: tuple[Pin | Blackout, ...] = (
        (pin, Blackout(code, quarter)) if draw(st.booleans()) else (pin, Pin(code, other))
    )
    pins = (*request.pins, *(a for a in added if isinstance(a, Pin)))
    blackouts = (*request.blackouts, *(a for a in added if isinstance(a, Blackout)))
    return Witnessed(replace(request, pins=pins, blackouts=blackouts), added=added)


@st.composite
def _witness_plans(
    draw: st.DrawFn, start: Quarter, k: int, size: tuple[int, int], most: int
) -> Plan:
    """A plan of ``12·k`` sessions of sizes within ``size``, holding between the cycle's
    smallest capacity and ``most`` institutions, with categories that satisfy the policy:
    under MIX at most ``max_same_category`` alike per session, under GROUP one category
    per session. Its request holds the pool and these parameters only."""
    low, high = size
    sessions = CYCLE_QUARTERS * k
    # R3's bounds themselves half the time: a full cycle and the smallest one.
    total = draw(st.sampled_from([sessions * low, most]) | st.integers(sessions * low, most))
    seats = [s for s in range(sessions) for _ in range(high - low)]
    extra = Counter(draw(st.permutations(seats))[: total - sessions * low])
    numbers = draw(st.permutations(range(total)))
    policy = draw(st.sampled_from(Policy))
    kinds = CATEGORIES[: draw(st.integers(2, len(CATEGORIES)))]
    category: dict[int, str] = {}
    planned: list[PlannedSession] = []
    for s in range(sessions):
        taken = sum(low + extra[earlier] for earlier in range(s))
        members = numbers[taken : taken + low + extra[s]]
        if policy is Policy.GROUP:
            category.update(dict.fromkeys(members, draw(st.sampled_from(kinds))))
        else:
            shift = draw(st.integers(0, len(kinds) - 1))
            category.update((n, kinds[(shift + i) % len(kinds)]) for i, n in enumerate(members))
        codes = tuple(sorted(code_of(n) for n in members))
        planned.append(PlannedSession(start.plus(s // k), s % k, codes))
    pool = [PoolMember(code_of(n), f"高校{n + 1}", category[n]) for n in range(total)]
    by_code = {m.code: m.category for m in pool}
    alike = max(max(Counter(by_code[c] for c in p.codes).values()) for p in planned)
    request = PlanRequest(
        start=start,
        pool=pool,
        sessions_per_quarter=k,
        session_size=size,
        policy=policy,
        max_same_category=alike + draw(st.integers(0, 1)),
    )
    return Plan(request, tuple(planned))


@st.composite
def _rules_kept_by(draw: st.DrawFn, plan: Plan) -> PlanRequest:
    """``plan``'s request with a gap, histories, pins, blackouts, priorities, now and then
    a started session and a previous schedule, every hard rule kept by ``plan``: each last
    review lies at a gap from the planned quarter within the bounds, or is overdue, or
    there is none."""
    request = plan.request
    quarter_of = {code: s.quarter for s in plan.sessions for code in s.codes}
    codes = sorted(quarter_of)
    shortest, longest = draw(st.sampled_from(GAPS))
    history: dict[str, Quarter] = {}
    shapes = st.sampled_from(["new", "kept", "kept", "kept", "overdue"])
    for code, shape in zip(
        codes, draw(st.lists(shapes, min_size=len(codes), max_size=len(codes))), strict=True
    ):
        offset = quarter_of[code].index - request.start.index
        if shape == "kept" and max(shortest, offset + 1) <= longest:
            gap = draw(st.integers(max(shortest, offset + 1), longest))
            history[code] = quarter_of[code].plus(-gap)
        elif shape == "overdue":
            history[code] = request.start.plus(-longest - 1 - draw(st.integers(0, 4)))
    pins = [Pin(c, quarter_of[c]) for c in draw(st.lists(st.sampled_from(codes), max_size=3))]
    placements = st.tuples(st.sampled_from(codes), st.sampled_from(request.quarters))
    blackouts = [
        Blackout(c, q) for c, q in draw(st.lists(placements, max_size=5)) if q != quarter_of[c]
    ]
    fixed: tuple[FixedSession, ...] = ()
    if draw(st.integers(0, 4)) == 0:
        started = draw(st.sampled_from(plan.sessions))
        fixed = (FixedSession(started.quarter, started.codes),)
    previous: dict[str, Quarter] = {}
    if draw(st.integers(0, 3)) == 0:
        previous = dict(zip(codes, draw(st.permutations(list(quarter_of.values()))), strict=True))
    return replace(
        request,
        gap=(shortest, longest),
        last_reviewed=history,
        pins=tuple(pins),
        blackouts=tuple(blackouts),
        priorities=tuple(draw(st.lists(st.sampled_from(codes), unique=True, max_size=4))),
        fixed=fixed,
        previous=previous,
    )
