"""What each rule of a request allows, quarter by quarter: the shared reading of the rules
that the planner and the explanation both use (the verifier reads the rules on its own)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sanquan.quarter import Quarter
from sanquan.rotation.model import CYCLE_QUARTERS, PlanRequest, PoolMember


@dataclass(frozen=True)
class Window:
    """The quarter offsets (0–11) the gap rule leaves an institution, or ``None`` when it
    is unconstrained (no earlier review, or already overdue)."""

    offsets: frozenset[int] | None
    overdue: bool = False
    low: Quarter | None = None
    high: Quarter | None = None


def gap_window(request: PlanRequest, code: str) -> Window:
    last = request.last_reviewed.get(code)
    if last is None:
        return Window(None)
    low_gap, high_gap = request.gap
    first, last_allowed = last.plus(low_gap), last.plus(high_gap)
    if last_allowed < request.start:
        return Window(None, overdue=True)
    offsets = frozenset(
        offset
        for offset in range(CYCLE_QUARTERS)
        if first <= request.start.plus(offset) <= last_allowed
    )
    return Window(offsets, low=first, high=last_allowed)


def offset_of(request: PlanRequest, quarter: Quarter) -> int | None:
    offset = quarter.index - request.start.index
    return offset if 0 <= offset < CYCLE_QUARTERS else None


def free_sessions(request: PlanRequest) -> list[int]:
    """Sessions per quarter left for planning once the started (fixed) ones are kept."""
    fixed = Counter(offset_of(request, s.quarter) for s in request.fixed)
    return [request.sessions_per_quarter - fixed[offset] for offset in range(CYCLE_QUARTERS)]


def to_place(request: PlanRequest) -> list[PoolMember]:
    """The pool less the institutions of fixed sessions, in code order."""
    fixed = {code for s in request.fixed for code in s.codes}
    return sorted((m for m in request.pool if m.code not in fixed), key=lambda m: m.code)


def urgency(request: PlanRequest) -> dict[str, int]:
    """How strongly to pull an institution early: overdue ones first, then the listed
    priorities in order; others not at all."""
    weights: dict[str, int] = {}
    listed = list(dict.fromkeys(request.priorities))
    for rank, code in enumerate(listed):
        weights[code] = len(listed) - rank
    top = len(listed) + 1
    for member in request.pool:
        if gap_window(request, member.code).overdue:
            weights[member.code] = top
    return weights
