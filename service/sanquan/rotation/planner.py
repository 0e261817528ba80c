"""Planning one cycle: the arithmetic of R3 first, then institutions to quarters as a
min-cost flow, then each quarter's institutions dealt into its sessions.

Why a flow and not one big CP-SAT model: placing institutions in quarters under windows
(gaps, pins, blackouts), quarter capacities and per-category caps is a transportation
problem, which a min-cost flow solves exactly, deterministically and in well under a second
for 3,000 institutions. CP-SAT is kept for what it is best at here: finding the smallest set
of rules that cannot hold together when the flow finds no plan (see :mod:`explain`).
Splitting a quarter into sessions needs no search: dealing a category-sorted list gives
balanced sizes and, for the mix policy, at most ⌈n/k⌉ of a category per session.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from sanquan.rotation.model import (
    CYCLE_QUARTERS,
    Infeasible,
    Plan,
    PlannedSession,
    PlanRequest,
    Policy,
    PoolMember,
    RuleRef,
    sessions_to_hold,
)
from sanquan.rotation.windows import (
    free_sessions,
    gap_window,
    offset_of,
    to_place,
    urgency,
)

MOVE_COST = 1_000
"""Re-planning: moving an institution away from its current quarter (outweighs the rest)."""
URGENCY_COST = 50
"""Per quarter of delay, times the institution's urgency."""
SPREAD_COST = 5
"""Per institution above a quarter's minimum, growing: keeps quarter loads even."""
RHYTHM_COST = 1
"""Per quarter away from exactly one cycle after the last review."""


def plan_cycle(request: PlanRequest) -> Plan:
    """The plan for ``request``, or :class:`Infeasible` explaining why there is none."""
    check_fixed(request)  # first: a started session at fault is the real cause to name
    check_arithmetic(request)
    placed = place_in_quarters(request)
    if placed is None:
        # Imported here: CP-SAT brings pandas along, seconds that every start of the service
        # and of the CLI would pay for a request that is rarely infeasible.
        from sanquan.rotation.explain import explain

        raise explain(request)
    return Plan(request, compose_sessions(request, placed))


def check_arithmetic(request: PlanRequest) -> None:
    """R3: the pool must fit the cycle's sessions at all; say by how much it does not and
    what would make it fit."""
    low, high = request.session_size
    k = request.sessions_per_quarter
    free = free_sessions(request)
    if k < 1 or low < 1 or high < low:
        raise Infeasible(
            "每季度至少 1 次点评会,规模下限至少 1、不大于上限",
            "use at least one session a quarter and session sizes 1 ≤ min ≤ max",
            [RuleRef("POOL", "参数", "parameters")],
        )
    if any(f < 0 for f in free):
        raise Infeasible(
            "已开始的点评会多于每季度的场次",
            "more sessions have started in a quarter than the quarter holds",
            [RuleRef("FIXED", "已开始的点评会", "started sessions")],
        )
    n = len(to_place(request))
    sessions = sum(free)
    total = len(request.pool)
    rule = [RuleRef("POOL", f"{total} 所高校", f"{total} institutions")]
    if n > high * sessions:
        needed = math.ceil(n / high)
        k_fit = sessions_to_hold(total, request.session_size)
        fits = low * CYCLE_QUARTERS * k_fit <= total
        hint_zh = f"改为每季度 {k_fit} 次点评会" if fits else "缩小每次点评会的高校数"
        hint_en = f"use k = {k_fit}" if fits else "change the session sizes"
        raise Infeasible(
            f"{n} 所高校至少需要 {needed} 次 {high} 所规模的点评会,而一个周期只有 "
            f"{sessions} 次;请{hint_zh}或只规划其中一部分高校(不超过 {high * sessions} 所)",
            f"{n} institutions need at least {needed} sessions of {high} but a cycle holds "
            f"{sessions}; {hint_en} or a sub-pool of at most {high * sessions}",
            rule,
        )
    if request.policy is Policy.MIX:
        counts = Counter(m.category for m in to_place(request))
        cap = request.max_same_category
        for category, count in sorted(counts.items()):
            if count > cap * sessions:
                raise Infeasible(
                    f"{count} 所{category}类高校至少需要 {math.ceil(count / cap)} 次点评会"
                    f"(每次同类不超过 {cap} 所),而一个周期只有 {sessions} 次;"
                    "请放宽同类上限或改为按类别分组",
                    f"{count} {category} institutions need at least "
                    f"{math.ceil(count / cap)} sessions at {cap} of a category per session, but "
                    f"a cycle holds {sessions}; allow more of a category or group categories",
                    [
                        RuleRef(
                            "COMPOSITION",
                            f"每次同类不超过 {cap} 所",
                            f"at most {cap} of a category per session",
                        )
                    ],
                )
    if n < low * sessions:
        k_fit = total // (low * CYCLE_QUARTERS)
        hint_zh = f"改为每季度 {k_fit} 次点评会" if k_fit >= 1 else "扩大高校范围"
        hint_en = f"use k = {k_fit}" if k_fit >= 1 else "enlarge the pool"
        raise Infeasible(
            f"{n} 所高校最多只能组成 {n // low} 次 {low} 所规模的点评会,而一个周期有 "
            f"{sessions} 次;请{hint_zh}或减小点评会规模下限",
            f"{n} institutions fill at most {n // low} sessions of {low} but a cycle has "
            f"{sessions}; {hint_en} or allow smaller sessions",
            rule,
        )


def check_fixed(request: PlanRequest) -> None:
    """R8 against the other rules: a started session stays as it is, so if it breaks a rule
    (its size, the pool, a second review, a gap, a pin, a blackout, the mix policy) no plan
    exists, and the conflict is named rather than left for the verifier to find."""
    names = {m.code: m.name for m in request.pool}
    low, high = request.session_size
    seen: set[str] = set()
    for session in request.fixed:
        where = f"{session.quarter}"
        started = RuleRef(
            "FIXED",
            f"{where} 已开始的点评会({'、'.join(names.get(c, c) for c in session.codes)})",
            f"the started session of {where} ({', '.join(names.get(c, c) for c in session.codes)})",
            quarter=session.quarter,
        )
        problems: list[tuple[str, str, RuleRef | None]] = []
        offset = offset_of(request, session.quarter)
        if offset is None:
            problems.append(("不在本周期内", "is outside the cycle", None))
        if not low <= len(session.codes) <= high:
            problems.append((f"规模不在 {low}–{high} 之间", f"is not of {low}–{high}", None))
        for code in session.codes:
            name = names.get(code, code)
            if code not in names:
                problems.append((f"{code} 不在高校范围内", f"holds {code}, outside the pool", None))
            if code in seen:
                problems.append((f"{name} 在本周期已有点评", f"reviews {name} a second time", None))
            seen.add(code)
            window = gap_window(request, code)
            if offset is not None and window.offsets is not None and offset not in window.offsets:
                problems.append(
                    (
                        f"与 {name} 的点评间隔冲突",
                        f"breaks {name}'s gap",
                        RuleRef("GAP", f"{name} 的点评间隔", f"{name}'s gap", code=code),
                    )
                )
            for pin in request.pins:
                if pin.code == code and pin.quarter != session.quarter:
                    problems.append(
                        (
                            f"与指定 {name} 在 {pin.quarter} 冲突",
                            f"conflicts with the pin of {name} to {pin.quarter}",
                            RuleRef(
                                "PIN",
                                f"指定 {name} 在 {pin.quarter}",
                                f"pin {name} to {pin.quarter}",
                                code=code,
                                quarter=pin.quarter,
                            ),
                        )
                    )
            for blackout in request.blackouts:
                if blackout.code == code and blackout.quarter == session.quarter:
                    problems.append(
                        (
                            f"与 {name} 不安排在 {blackout.quarter} 冲突",
                            f"conflicts with {name} not in {blackout.quarter}",
                            RuleRef(
                                "BLACKOUT",
                                f"{name} 不安排在 {blackout.quarter}",
                                f"{name} not in {blackout.quarter}",
                                code=code,
                                quarter=blackout.quarter,
                            ),
                        )
                    )
        if request.policy is Policy.MIX:
            categories = Counter(m.category for m in request.pool if m.code in set(session.codes))
            if categories and max(categories.values()) > request.max_same_category:
                cap = request.max_same_category
                problems.append(
                    (
                        f"同类高校超过 {cap} 所",
                        f"holds more than {cap} of a category",
                        RuleRef(
                            "COMPOSITION",
                            f"每次同类不超过 {cap} 所",
                            f"at most {cap} of a category per session",
                        ),
                    )
                )
        if problems:
            zh, en, other = problems[0]
            rules = [started] + ([other] if other else [])
            raise Infeasible(
                f"{started.zh}{zh};已开始的点评会不能改动,请调整冲突的规则",
                f"{started.en} {en}; a started session cannot change, so change the other rule",
                rules,
            )


def allowed_offsets(request: PlanRequest, member: PoolMember) -> list[int]:
    """The quarters every rule about one institution leaves it (gap, pins, blackouts)."""
    window = gap_window(request, member.code)
    allowed = set(range(CYCLE_QUARTERS)) if window.offsets is None else set(window.offsets)
    pinned = {offset_of(request, p.quarter) for p in request.pins if p.code == member.code}
    if pinned:
        allowed &= {o for o in pinned if o is not None} if len(pinned) == 1 else set()
    for blackout in request.blackouts:
        if blackout.code == member.code:
            offset = offset_of(request, blackout.quarter)
            if offset is not None:
                allowed.discard(offset)
    return sorted(allowed)


def place_in_quarters(request: PlanRequest) -> dict[str, int] | None:
    """Institution code → quarter offset, the cheapest placement; ``None`` if none exists."""
    members = to_place(request)
    low, high = request.session_size
    free = free_sessions(request)
    weights = urgency(request)
    flow = SimpleMinCostFlow()
    source, sink = 0, 1
    quarter_node = [2 + offset for offset in range(CYCLE_QUARTERS)]
    next_node = 2 + CYCLE_QUARTERS
    mix = request.policy is Policy.MIX
    category_node: dict[tuple[str, int], int] = {}
    if mix:
        for category in sorted({m.category for m in members}):
            for offset in range(CYCLE_QUARTERS):
                category_node[(category, offset)] = next_node
                flow.add_arc_with_capacity_and_unit_cost(
                    next_node,
                    quarter_node[offset],
                    request.max_same_category * free[offset],
                    0,
                )
                next_node += 1
    minimum = 0
    for offset in range(CYCLE_QUARTERS):
        lo, hi = low * free[offset], high * free[offset]
        minimum += lo
        flow.set_node_supply(quarter_node[offset], -lo)
        for extra in range(1, hi - lo + 1):  # growing cost per extra institution: even loads
            flow.add_arc_with_capacity_and_unit_cost(
                quarter_node[offset], sink, 1, SPREAD_COST * extra
            )
    member_arcs: list[tuple[str, int, int]] = []
    for member in members:
        node = next_node
        next_node += 1
        flow.add_arc_with_capacity_and_unit_cost(source, node, 1, 0)
        for offset in allowed_offsets(request, member):
            head = category_node[(member.category, offset)] if mix else quarter_node[offset]
            arc = flow.add_arc_with_capacity_and_unit_cost(
                node, head, 1, _cost(request, member.code, offset, weights)
            )
            member_arcs.append((member.code, offset, arc))
    flow.set_node_supply(source, len(members))
    flow.set_node_supply(sink, -(len(members) - minimum))
    if flow.solve() != SimpleMinCostFlow.OPTIMAL:
        return None
    return {code: offset for code, offset, arc in member_arcs if flow.flow(arc)}


def _cost(request: PlanRequest, code: str, offset: int, weights: dict[str, int]) -> int:
    cost = URGENCY_COST * weights.get(code, 0) * offset
    previous = request.previous.get(code)
    if previous is not None and offset_of(request, previous) != offset:
        cost += MOVE_COST
    last = request.last_reviewed.get(code)
    if last is not None:
        cost += RHYTHM_COST * abs(
            request.start.plus(offset).index - last.plus(CYCLE_QUARTERS).index
        )
    return cost


def compose_sessions(request: PlanRequest, placed: dict[str, int]) -> tuple[PlannedSession, ...]:
    """Deal each quarter's institutions into its free sessions, and keep the fixed ones.

    Mix: the category-sorted list is dealt round-robin, so a category of n spreads as
    ⌈n/k⌉ at most per session. Group: the list is cut into k consecutive runs, so each
    cut splits at most one category. Either way sizes differ by at most one."""
    category = {m.code: m.category for m in request.pool}
    by_offset: dict[int, list[str]] = defaultdict(list)
    for code, offset in placed.items():
        by_offset[offset].append(code)
    free = free_sessions(request)
    sessions: list[PlannedSession] = []
    for offset in range(CYCLE_QUARTERS):
        quarter = request.start.plus(offset)
        fixed = [s for s in request.fixed if s.quarter == quarter]
        for index, session in enumerate(fixed):
            sessions.append(PlannedSession(quarter, index, tuple(sorted(session.codes))))
        count = free[offset]
        if count <= 0:
            continue
        ordered = sorted(by_offset[offset], key=lambda c: (category[c], c))
        if request.policy is Policy.MIX:
            groups = [ordered[i::count] for i in range(count)]
        else:
            size, rest = divmod(len(ordered), count)
            groups, start = [], 0
            for i in range(count):
                end = start + size + (1 if i < rest else 0)
                groups.append(ordered[start:end])
                start = end
        for index, group in enumerate(groups, start=len(fixed)):
            sessions.append(PlannedSession(quarter, index, tuple(sorted(group))))
    return tuple(sessions)
