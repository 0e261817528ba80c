"""Why a request has no plan, in the user's terms: the smallest set of its named rules
(pins, blackouts, gap windows, quarter capacities, category caps) that cannot all hold.

Each rule is a CP-SAT constraint enforced by its own literal, passed as an assumption. When
the model is infeasible, CP-SAT returns a subset of the assumptions that is; removing rules
from it one at a time while it stays infeasible leaves a minimal set, in which dropping any
one rule makes the rest satisfiable.
"""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from sanquan.rotation.model import (
    CYCLE_QUARTERS,
    Infeasible,
    PlanRequest,
    Policy,
    RuleRef,
)
from sanquan.rotation.windows import free_sessions, gap_window, offset_of, to_place

TIME_LIMIT = 10.0
"""Deterministic seconds per solve; Beijing-sized requests need a small fraction of this."""


def explain(request: PlanRequest) -> Infeasible:
    """The explanation of an infeasible request (the arithmetic of R3 already holds)."""
    model = cp_model.CpModel()
    members = to_place(request)
    names = {m.code: m.name for m in request.pool}
    low, high = request.session_size
    free = free_sessions(request)
    x = {
        (m.code, o): model.new_bool_var(f"x[{m.code},{o}]")
        for m in members
        for o in range(CYCLE_QUARTERS)
    }
    for member in members:  # R1 is not up for discussion
        model.add_exactly_one(x[(member.code, o)] for o in range(CYCLE_QUARTERS))
    rules: list[tuple[cp_model.IntVar, RuleRef]] = []

    def rule(ref: RuleRef) -> cp_model.IntVar:
        literal = model.new_bool_var(ref.en)
        rules.append((literal, ref))
        return literal

    for offset in range(CYCLE_QUARTERS):
        quarter = request.start.plus(offset)
        load = sum(x[(m.code, offset)] for m in members)
        literal = rule(
            RuleRef(
                "CAPACITY",
                f"{quarter} 可安排 {low * free[offset]}–{high * free[offset]} 所高校",
                f"{quarter} takes {low * free[offset]}–{high * free[offset]} institutions",
                quarter=quarter,
            )
        )
        model.add(load >= low * free[offset]).only_enforce_if(literal)
        model.add(load <= high * free[offset]).only_enforce_if(literal)
    for member in members:
        window = gap_window(request, member.code)
        if window.offsets is not None:
            literal = rule(
                RuleRef(
                    "GAP",
                    f"{member.name} 与上次点评的间隔({window.low}–{window.high})",
                    f"{member.name}'s gap since its last review ({window.low}–{window.high})",
                    code=member.code,
                )
            )
            for offset in range(CYCLE_QUARTERS):
                if offset not in window.offsets:
                    model.add(x[(member.code, offset)] == 0).only_enforce_if(literal)
    placed = {m.code for m in members}
    for pin in request.pins:
        name = names.get(pin.code, pin.code)
        pinned = offset_of(request, pin.quarter)
        literal = rule(
            RuleRef(
                "PIN",
                f"指定 {name} 在 {pin.quarter}",
                f"pin {name} to {pin.quarter}",
                code=pin.code,
                quarter=pin.quarter,
            )
        )
        if pinned is None or pin.code not in placed:
            model.add_bool_or([literal.Not()])  # a pin outside the cycle or pool cannot hold
        else:
            model.add(x[(pin.code, pinned)] == 1).only_enforce_if(literal)
    for blackout in request.blackouts:
        barred = offset_of(request, blackout.quarter)
        if barred is None or blackout.code not in placed:
            continue  # holds trivially
        name = names.get(blackout.code, blackout.code)
        literal = rule(
            RuleRef(
                "BLACKOUT",
                f"{name} 不安排在 {blackout.quarter}",
                f"{name} not in {blackout.quarter}",
                code=blackout.code,
                quarter=blackout.quarter,
            )
        )
        model.add(x[(blackout.code, barred)] == 0).only_enforce_if(literal)
    if request.policy is Policy.MIX:
        cap = request.max_same_category
        for category in sorted({m.category for m in members}):
            of_category = [m for m in members if m.category == category]
            for offset in range(CYCLE_QUARTERS):
                quarter = request.start.plus(offset)
                literal = rule(
                    RuleRef(
                        "COMPOSITION",
                        f"{quarter} 每次点评会同类({category})高校不超过 {cap} 所",
                        f"at most {cap} {category} institutions per session in {quarter}",
                        quarter=quarter,
                    )
                )
                count = sum(x[(m.code, offset)] for m in of_category)
                model.add(count <= cap * free[offset]).only_enforce_if(literal)
    core = _minimal_core(model, [literal for literal, _ in rules])
    cited = [ref for literal, ref in rules if literal.index in core]
    listed_zh = ";".join(ref.zh for ref in cited)
    listed_en = "; ".join(ref.en for ref in cited)
    return Infeasible(
        f"这些规则不能同时满足:{listed_zh}。请去掉或修改其中一条(例如“{cited[0].zh}”)",
        f"these rules cannot all hold: {listed_en}. Drop or change one of them "
        f"(e.g. {cited[0].en})",
        cited,
    )


def _minimal_core(model: cp_model.CpModel, literals: Sequence[cp_model.IntVar]) -> set[int]:
    """Indices of a minimal infeasible subset of ``literals`` (each an assumption)."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # deterministic
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = TIME_LIMIT

    def infeasible(assumed: Sequence[cp_model.IntVar]) -> bool:
        model.clear_assumptions()
        model.add_assumptions(assumed)
        return solver.solve(model) == cp_model.INFEASIBLE

    by_index = {literal.index: literal for literal in literals}
    if not infeasible(literals):
        # Not proven within the time limit: cite every rule rather than guess a subset.
        return {literal.index for literal in literals}
    core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility()]
    for literal in list(core):
        trial = [other for other in core if other is not literal]
        if infeasible(trial):
            core = trial
    return {literal.index for literal in core}
