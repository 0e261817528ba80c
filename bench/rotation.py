"""Benchmark: planning a whole cycle (quarters, sessions, expert panels), verified, for the
92 Beijing institutions and for a national pool, and explaining an infeasible request.

Targets on a 2-core machine (issue: rotation and panels): Beijing with two sessions a quarter
under 0.5 s; 3,000 institutions with 50 sessions a quarter and 1,500 experts under 15 s; an
explanation for Beijing under 1 s.

Baseline, in the same process: the quarter stage solved as one CP-SAT model with the same
constraints and objective terms (one worker, deterministic), the "joint model" the staged
design avoids. The ratio says what the min-cost flow buys.

Nothing is asserted about time; figures are printed (best of ``--repeat`` runs).
Run: ``.venv/bin/python bench/rotation.py`` (``make bench`` runs every benchmark).
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections.abc import Callable
from functools import partial
from importlib import resources
from typing import TypeVar

from ortools.sat.python import cp_model

from sanquan.institutions.codes import CATEGORIES, infer_category
from sanquan.quarter import Quarter
from sanquan.rotation.model import (
    CYCLE_QUARTERS,
    Expert,
    Infeasible,
    PanelRequest,
    Pin,
    PlanRequest,
    PoolMember,
)
from sanquan.rotation.panels import appoint_panels, panel_violations
from sanquan.rotation.planner import allowed_offsets, place_in_quarters, plan_cycle
from sanquan.rotation.verifier import verify
from sanquan.rotation.windows import free_sessions, to_place

START = Quarter(2027, 1)
T = TypeVar("T")


def best(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    assert result is not None
    return min(times), result


def beijing() -> tuple[PlanRequest, list[Expert]]:
    text = resources.files("sanquan.institutions").joinpath("data/beijing_heis.csv").read_text()
    rows = list(csv.DictReader(text.splitlines()))
    pool = [PoolMember(r["code"], r["name"], infer_category(r["name"])) for r in rows]
    rng = random.Random(7)
    history = {m.code: START.plus(-rng.randint(4, 12)) for m in pool[::3]}
    experts = [
        Expert(1000 + n, f"专家{n}", pool[n * 7 % len(pool)].code if n % 4 == 0 else None)
        for n in range(60)
    ]
    request = PlanRequest(
        start=START, pool=pool, sessions_per_quarter=2, last_reviewed=history, gap=(4, 16)
    )
    return request, experts


def national() -> tuple[PlanRequest, list[Expert]]:
    rng = random.Random(2027)
    categories = list(CATEGORIES)
    weights = [20, 30, 8, 8, 6, 8, 5, 3, 6, 3, 3]
    pool = [
        PoolMember(f"4111{n:06d}", f"高校{n}", rng.choices(categories, weights)[0])
        for n in range(3000)
    ]
    history = {m.code: START.plus(-rng.randint(4, 12)) for m in pool if rng.random() < 0.8}
    experts = [
        Expert(n, f"专家{n}", rng.choice(pool).code if rng.random() < 0.3 else None)
        for n in range(1500)
    ]
    request = PlanRequest(
        start=START,
        pool=pool,
        sessions_per_quarter=50,
        last_reviewed=history,
        gap=(4, 16),
        max_same_category=3,
    )
    return request, experts


def whole_rotation(request: PlanRequest, experts: list[Expert]) -> tuple[int, int]:
    """Quarters, sessions and panels, each checked; returns (sessions, violations)."""
    plan = plan_cycle(request)
    panel_request = PanelRequest(plan=plan, experts=experts, panel_size=5, max_sessions_per_year=2)
    panels = appoint_panels(panel_request)
    problems = len(verify(plan)) + len(panel_violations(panel_request, panels))
    return len(plan.sessions), problems


def joint_model(request: PlanRequest, seconds: float) -> str:
    """The quarter stage as one CP-SAT model (the baseline)."""
    model = cp_model.CpModel()
    members = to_place(request)
    low, high = request.session_size
    free = free_sessions(request)
    x = {}
    for member in members:
        allowed = allowed_offsets(request, member)
        row = [model.new_bool_var(f"{member.code}@{o}") for o in allowed]
        x.update({(member.code, o): v for o, v in zip(allowed, row, strict=True)})
        model.add_exactly_one(row)
    loads = []
    for offset in range(CYCLE_QUARTERS):
        load = sum(v for (code, o), v in x.items() if o == offset)
        model.add(load >= low * free[offset])
        model.add(load <= high * free[offset])
        deviation = model.new_int_var(0, len(members), f"dev{offset}")
        target = len(members) // CYCLE_QUARTERS
        model.add(deviation >= load - target)
        model.add(deviation >= target - load)
        loads.append(deviation)
    categories = {m.code: m.category for m in members}
    for category in sorted(set(categories.values())):
        for offset in range(CYCLE_QUARTERS):
            chosen = [
                v for (code, o), v in x.items() if o == offset and categories[code] == category
            ]
            model.add(sum(chosen) <= request.max_same_category * free[offset])
    model.minimize(sum(loads))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = seconds
    return solver.status_name(solver.solve(model))


def infeasible_beijing() -> PlanRequest:
    request, _ = beijing()
    economics = [m.code for m in request.pool if m.category == "财经"][:6]
    arts = [m.code for m in request.pool if m.category == "艺术"][:5]
    pins = [Pin(code, Quarter(2027, 2)) for code in economics + arts]
    return PlanRequest(start=START, pool=request.pool, sessions_per_quarter=2, pins=pins)


def explain_once(request: PlanRequest) -> int:
    try:
        plan_cycle(request)
    except Infeasible as error:
        return len(error.rules)
    raise AssertionError("the request was meant to be infeasible")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=20.0,
        help="time limit of the joint CP-SAT baseline",
    )
    args = parser.parse_args()
    cases: list[tuple[str, Callable[[], tuple[PlanRequest, list[Expert]]], float]] = [
        ("Beijing (92, k=2, 60 experts)", beijing, 0.5),
        ("national (3,000, k=50, 1,500 experts)", national, 15.0),
    ]
    print(f"{'case':<40} {'stage':<28} {'seconds':>8}  detail")
    for label, build, target in cases:
        request, experts = build()
        seconds, (sessions, problems) = best(args.repeat, partial(whole_rotation, request, experts))
        detail = f"{sessions} sessions, {problems} violations; target < {target} s"
        print(f"{label:<40} {'whole rotation, verified':<28} {seconds:8.3f}  {detail}")
        flow, _ = best(args.repeat, partial(place_in_quarters, request))
        began = time.perf_counter()
        status = joint_model(request, args.baseline_seconds)
        joint = time.perf_counter() - began
        print(f"{label:<40} {'quarters, min-cost flow':<28} {flow:8.3f}")
        detail = f"{status}; the flow takes {flow / joint:.3f} of its time"
        print(f"{label:<40} {'quarters, joint CP-SAT':<28} {joint:8.3f}  {detail}")
    seconds, rules = best(args.repeat, lambda: explain_once(infeasible_beijing()))
    detail = f"{rules} rules in the minimal set; target < 1 s"
    print(f"{'Beijing, 11 pins in one quarter':<40} {'explanation':<28} {seconds:8.3f}  {detail}")


if __name__ == "__main__":
    main()
