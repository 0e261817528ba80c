"""The independent verifier of a rotation plan (R7): it rechecks R1–R6 and R8 from the plan
and its request alone.

It shares no code with the planner and uses no solver, so a planner bug cannot pass its own
answer off as a plan: a plan is adopted only when :func:`verify` finds nothing. Priorities
and the wish to stay close to ``previous`` are objectives, not rules, so they are not checked.

>>> from sanquan.quarter import Quarter
>>> from sanquan.rotation.model import Plan, PlanRequest
>>> request = PlanRequest(start=Quarter(2027, 1), pool=())
>>> [v.rule for v in verify(Plan(request, ()))][:1]
['R2']
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence

from sanquan.quarter import Quarter
from sanquan.rotation.model import Plan, PlannedSession, Policy, Violation


def verify(plan: Plan) -> list[Violation]:
    """Every rule ``plan`` breaks, grouped by rule; an empty list means the plan may be adopted."""
    return [
        *_each_institution_once(plan),
        *_quarters_and_sessions(plan),
        *_rolling_gaps(plan),
        *_pins_and_blackouts(plan),
        *_composition(plan),
        *_canonical_form(plan),
        *_started_sessions_kept(plan),
    ]


def check(plan: Plan) -> None:
    """Raise :class:`AssertionError` listing every violation: for tests, which want them all
    at once rather than the first. An explicit raise, so ``python -O`` cannot skip it."""
    violations = verify(plan)
    if violations:
        lines = "\n".join(f"  {v.rule}: {v.message}" for v in violations)
        raise AssertionError(f"the plan breaks {len(violations)} rule(s):\n{lines}")


def _label(session: PlannedSession) -> str:
    return f"session {session.quarter} #{session.index}"


def _codes(codes: Iterable[str]) -> str:
    return ", ".join(codes)


def _placements(plan: Plan) -> dict[str, list[Quarter]]:
    """Every quarter each code is reviewed in, duplicates kept: ``Plan.quarter_of`` would hide
    a code placed twice, which is exactly what R1 must catch."""
    placed: dict[str, list[Quarter]] = defaultdict(list)
    for session in plan.sessions:
        for code in session.codes:
            placed[code].append(session.quarter)
    return placed


def _each_institution_once(plan: Plan) -> Iterator[Violation]:
    """R1: the pool, the whole pool and nothing but the pool, each once."""
    pool = {member.code for member in plan.request.pool}
    placed = _placements(plan)
    for code in dict.fromkeys(member.code for member in plan.request.pool):
        if code not in placed:
            yield Violation("R1", f"{code} is in the pool but is not reviewed in the cycle")
    for code, quarters in placed.items():
        where = _codes(str(q) for q in quarters)
        if code not in pool:
            yield Violation("R1", f"{code} is reviewed in {where} but is not in the pool")
        elif len(quarters) > 1:
            yield Violation(
                "R1", f"{code} is reviewed {len(quarters)} times ({where}); once per cycle"
            )


def _quarters_and_sessions(plan: Plan) -> Iterator[Violation]:
    """R2: exactly ``k`` sessions in each quarter of the cycle, numbered ``0..k-1``, each of
    a size within the bounds; nothing outside the cycle."""
    request = plan.request
    cycle = request.quarters
    k = request.sessions_per_quarter
    low, high = request.session_size
    indices: dict[Quarter, list[int]] = defaultdict(list)
    for session in plan.sessions:
        if session.quarter in cycle:
            indices[session.quarter].append(session.index)
        else:
            yield Violation(
                "R2", f"{_label(session)} lies outside the cycle {cycle[0]}–{cycle[-1]}"
            )
        if not low <= len(session.codes) <= high:
            yield Violation(
                "R2",
                f"{_label(session)} holds {len(session.codes)} institutions; "
                f"a session holds {low} to {high}",
            )
    for quarter in cycle:
        found = sorted(indices[quarter])
        if found != list(range(k)):
            yield Violation(
                "R2",
                f"{quarter} holds {len(found)} session(s) numbered {found}; "
                f"each quarter holds exactly {k}, numbered {list(range(k))}",
            )


def _rolling_gaps(plan: Plan) -> Iterator[Violation]:
    """R4: the gap since the last actual review lies within the bounds, unless the
    institution was already overdue when the cycle started (it then goes as early as
    possible instead, which is an objective, not a rule)."""
    request = plan.request
    shortest, longest = request.gap
    placed = _placements(plan)
    for code, last in sorted(request.last_reviewed.items()):
        if last.index + longest < request.start.index:
            continue
        for quarter in placed.get(code, []):
            gap = quarter.index - last.index
            if not shortest <= gap <= longest:
                yield Violation(
                    "R4",
                    f"{code}, last reviewed in {last}, is reviewed in {quarter}: a gap of "
                    f"{gap} quarters; the gap must lie within {shortest} to {longest}",
                )


def _pins_and_blackouts(plan: Plan) -> Iterator[Violation]:
    """R5: pins and blackouts are hard rules; priorities are an objective and not checked."""
    request = plan.request
    placed = _placements(plan)
    for pin in dict.fromkeys(request.pins):
        quarters = placed.get(pin.code, [])
        if pin.quarter not in quarters:
            where = f"is reviewed in {_codes(str(q) for q in quarters)}" if quarters else "is not"
            yield Violation(
                "R5", f"pin broken: {pin.code} must be reviewed in {pin.quarter} but {where}"
            )
    for blackout in dict.fromkeys(request.blackouts):
        if blackout.quarter in placed.get(blackout.code, []):
            yield Violation(
                "R5",
                f"blackout broken: {blackout.code} must not be reviewed in {blackout.quarter}",
            )


def _composition(plan: Plan) -> Iterator[Violation]:
    """R6: the category policy. Codes outside the pool have no category; R1 reports them."""
    request = plan.request
    category = {member.code: member.category for member in request.pool}
    if request.policy is Policy.MIX:
        yield from _mixed(plan.sessions, category, request.max_same_category)
    else:
        yield from _grouped(_free_sessions(plan), category)


def _free_sessions(plan: Plan) -> list[PlannedSession]:
    """The sessions the plan decided: a started session is kept as it was (R8), so the
    group policy judges only the others; a mixed started session is no scattering the
    plan could have avoided."""
    started = Counter((s.quarter, tuple(sorted(s.codes))) for s in plan.request.fixed)
    free = []
    for session in plan.sessions:
        key = (session.quarter, tuple(sorted(session.codes)))
        if started[key] > 0:
            started[key] -= 1
        else:
            free.append(session)
    return free


def _mixed(
    sessions: Sequence[PlannedSession], category: dict[str, str], most: int
) -> Iterator[Violation]:
    for session in sessions:
        members: dict[str, list[str]] = defaultdict(list)
        for code in session.codes:
            if code in category:
                members[category[code]].append(code)
        for name, codes in sorted(members.items()):
            if len(codes) > most:
                yield Violation(
                    "R6",
                    f"{_label(session)} holds {len(codes)} institutions of category {name} "
                    f"({_codes(codes)}); the mix policy allows at most {most}",
                )


def _grouped(sessions: Sequence[PlannedSession], category: dict[str, str]) -> Iterator[Violation]:
    """Sorting a quarter's institutions by category and cutting the list into its ``s``
    free sessions splits at most ``s - 1`` categories, so a grouped quarter's free sessions
    have at most (their distinct categories) + ``s`` - 1 (session, category) pairs; more
    means a category was scattered that could have been kept together. The bound is always
    reachable, whatever the session sizes, so it is a rule and not a preference."""
    by_quarter: dict[Quarter, list[PlannedSession]] = defaultdict(list)
    for session in sessions:
        by_quarter[session.quarter].append(session)
    for quarter, held in sorted(by_quarter.items()):
        per_session = [{category[c] for c in s.codes if c in category} for s in held]
        pairs = sum(len(names) for names in per_session)
        distinct = len(set().union(*per_session))
        most = distinct + len(held) - 1
        if pairs > most:
            spread = "; ".join(
                f"#{s.index}: {_codes(sorted(names))}"
                for s, names in zip(held, per_session, strict=True)
            )
            yield Violation(
                "R6",
                f"{quarter} scatters its {distinct} categories over {pairs} "
                f"(session, category) pairs ({spread}); the group policy allows at most {most}",
            )


def _canonical_form(plan: Plan) -> Iterator[Violation]:
    """R7 relies on plans comparing equal, so the model fixes one form: sessions in quarter
    order then index order, and each session's codes sorted."""
    keys = [(s.quarter, s.index) for s in plan.sessions]
    if keys != sorted(keys):
        yield Violation("R7", "the sessions are not in quarter order, then index order")
    for session in plan.sessions:
        if list(session.codes) != sorted(session.codes):
            yield Violation("R7", f"{_label(session)} lists its codes out of order")


def _started_sessions_kept(plan: Plan) -> Iterator[Violation]:
    """R8: a started session is in the plan unchanged, whatever its index. Codes compare as
    sorted tuples: the order a request lists them in carries no meaning."""
    available = Counter((s.quarter, tuple(sorted(s.codes))) for s in plan.sessions)
    placed = _placements(plan)
    for fixed in plan.request.fixed:
        key = (fixed.quarter, tuple(sorted(fixed.codes)))
        if available[key] > 0:
            available[key] -= 1
            continue
        moved = [
            f"{code} is in {_codes(str(q) for q in placed[code])}"
            for code in fixed.codes
            if placed.get(code) and fixed.quarter not in placed[code]
        ]
        detail = "; ".join(moved) or "its institutions are regrouped"
        yield Violation(
            "R8",
            f"the started session of {fixed.quarter} ({_codes(fixed.codes)}) "
            f"is not in the plan unchanged: {detail}",
        )
