"""Benchmark: time to appoint the expert panels of a whole cycle (R11), national and Beijing.

Why: the rotation as a whole (quarters, sessions, panels) must stay under 15 s for the
national pool and under 0.5 s for Beijing on a 2-core machine, so the panel stage should take
a few seconds at most. The plans are synthesised by hand (no planner), so this measures the
min-cost flow of ``sanquan.rotation.panels`` alone:

- national: 3,000 institutions in 600 sessions of 5 (12 quarters × 50), 1,500 experts, a
  third of them affiliated with an institution, and a history of past reviews;
- Beijing: 92 institutions in 24 sessions of 3–5 (12 quarters × 2), 60 experts.

Every answer is checked with ``panel_violations``; nothing is asserted about time, the
figures are printed (best of ``--repeat`` runs).

Run: ``.venv/bin/python bench/panels.py`` (``--full`` to time the full network instead).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter

from sanquan.quarter import Quarter
from sanquan.rotation import panels
from sanquan.rotation.model import (
    Expert,
    Panel,
    PanelRequest,
    Plan,
    PlannedSession,
    PlanRequest,
    PoolMember,
)
from sanquan.rotation.panels import appoint_panels, panel_violations

START = Quarter(2027, 1)


def synthetic(
    institutions: int, per_quarter: int, experts: int, past_reviews: int = 2, seed: int = 7
) -> PanelRequest:
    """A cycle of ``per_quarter`` sessions a quarter over ``institutions`` (sizes as even as
    they can be), and a pool of ``experts``, every third affiliated with an institution of
    the pool, with about ``past_reviews`` past reviews each."""
    rng = random.Random(seed)
    codes = [f"{4111010000 + n:010d}" for n in range(institutions)]
    pool = [PoolMember(code, f"高校{n}", "综合") for n, code in enumerate(codes)]
    shuffled = codes[:]
    rng.shuffle(shuffled)
    count = 12 * per_quarter
    sessions = tuple(
        PlannedSession(
            START.plus(n // per_quarter), n % per_quarter, tuple(sorted(shuffled[n::count]))
        )
        for n in range(count)
    )
    plan = Plan(PlanRequest(START, pool, sessions_per_quarter=per_quarter), sessions)
    pool_of_experts = [
        Expert(1000 + n, f"专家{n}", rng.choice(codes) if n % 3 == 0 else None)
        for n in range(experts)
    ]
    history: Counter[tuple[int, str]] = Counter()
    for _ in range(experts * past_reviews):
        history[(1000 + rng.randrange(experts), rng.choice(codes))] += 1
    return PanelRequest(plan, pool_of_experts, history=dict(history))


def measure(label: str, request: PanelRequest, repeat: int) -> None:
    """Best wall time of ``repeat`` runs, then the answer's quality, checked independently."""
    timings = []
    panels: tuple[Panel, ...] = ()
    for _ in range(repeat):
        started = time.perf_counter()
        panels = appoint_panels(request)
        timings.append(time.perf_counter() - started)
    problems = panel_violations(request, panels)
    codes = {(s.quarter, s.index): s.codes for s in request.plan.sessions}
    reuse = sum(
        request.history.get((expert, code), 0)
        for p in panels
        for expert in p.expert_ids
        for code in codes[(p.quarter, p.index)]
    )
    loads = Counter(expert for p in panels for expert in p.expert_ids)
    totals = [loads.get(e.id, 0) for e in request.experts]
    print(
        f"{label:<28} {len(panels):>4} panels {len(request.experts):>5} experts  "
        f"best {min(timings):.3f} s  violations {len(problems)}  reuse {reuse}  "
        f"sessions per expert {min(totals)}–{max(totals)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (best is shown)")
    parser.add_argument(
        "--full", action="store_true", help="always solve the full network (no candidate lists)"
    )
    args = parser.parse_args()
    if args.full:
        panels.FULL_NETWORK_BELOW = sys.maxsize
    measure("Beijing (92, k=2, 60)", synthetic(92, 2, 60), args.repeat)
    measure("national (3,000, k=50, 1,500)", synthetic(3000, 50, 1500), args.repeat)
    measure("national, 100 past each", synthetic(3000, 50, 1500, past_reviews=100), args.repeat)


if __name__ == "__main__":
    main()
