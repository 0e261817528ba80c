"""Expert panels for a plan (R11, issue 4 item 4): full panels free of conflicts of interest,
a yearly cap per expert with even loads, as little reuse as the pool allows, the same panels
for the same request, and infeasible pools refused with the numbers. Plans are built by hand,
so these tests need no planner; every set of panels is checked by ``panel_violations``."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanquan.quarter import Quarter
from sanquan.rotation import panels as panels_module
from sanquan.rotation.model import (
    Expert,
    Infeasible,
    Panel,
    PanelRequest,
    Plan,
    PlannedSession,
    PlanRequest,
    PoolMember,
)
from sanquan.rotation.panels import appoint_panels, panel_violations

START = Quarter(2027, 1)


def code(n: int) -> str:
    return f"{4111010000 + n:010d}"


def plan_of(groups: Sequence[Sequence[int]], per_quarter: int = 1) -> Plan:
    """Session ``n`` holds the institutions numbered in ``groups[n]``, ``per_quarter``
    sessions a quarter from :data:`START`."""
    numbers = sorted({n for group in groups for n in group})
    pool = [PoolMember(code(n), f"高校{n}", "综合") for n in numbers]
    sessions = tuple(
        PlannedSession(
            START.plus(n // per_quarter), n % per_quarter, tuple(sorted(code(i) for i in group))
        )
        for n, group in enumerate(groups)
    )
    return Plan(PlanRequest(START, pool, sessions_per_quarter=per_quarter), sessions)


def experts_of(affiliations: Iterable[int | None]) -> list[Expert]:
    """Expert ``100 + n`` affiliated with institution number ``affiliations[n]`` (or none)."""
    return [
        Expert(100 + n, f"专家{n}", None if a is None else code(a))
        for n, a in enumerate(affiliations)
    ]


def beijing(experts: int = 60, seed: int = 3) -> PanelRequest:
    """92 institutions, 2 sessions a quarter (20 of 4, 4 of 3), a third of the experts
    affiliated with one of them."""
    rng = random.Random(seed)
    numbers = list(range(92))
    rng.shuffle(numbers)
    groups = [numbers[n::24] for n in range(24)]
    affiliations = [rng.randrange(92) if n % 3 == 0 else None for n in range(experts)]
    return PanelRequest(plan_of(groups, per_quarter=2), experts_of(affiliations))


def loads_by_year(panels: Sequence[Panel]) -> Counter[tuple[int, int]]:
    return Counter((e, p.quarter.year) for p in panels for e in p.expert_ids)


def reuse_of(request: PanelRequest, panels: Sequence[Panel]) -> int:
    sessions = {(s.quarter, s.index): s for s in request.plan.sessions}
    return sum(
        request.history.get((e, c), 0)
        for p in panels
        for e in p.expert_ids
        for c in sessions[(p.quarter, p.index)].codes
    )


def appoint_checked(request: PanelRequest) -> tuple[Panel, ...]:
    panels = appoint_panels(request)
    assert panel_violations(request, panels) == []
    return panels


# --- what a good set of panels looks like --------------------------------------------------


def test_every_session_gets_one_full_panel_in_plan_order() -> None:
    request = beijing()
    panels = appoint_checked(request)
    assert [(p.quarter, p.index) for p in panels] == [
        (s.quarter, s.index) for s in request.plan.sessions
    ]
    for panel in panels:
        assert len(panel.expert_ids) == 5
        assert list(panel.expert_ids) == sorted(set(panel.expert_ids))


def test_no_expert_sits_on_a_panel_of_their_own_institution() -> None:
    # Half the pool is affiliated, with the institutions of the first sessions.
    plan = plan_of([[3 * n, 3 * n + 1, 3 * n + 2] for n in range(12)])
    request = PanelRequest(plan, experts_of([n % 9 if n < 18 else None for n in range(36)]))
    panels = appoint_checked(request)
    affiliation = {e.id: e.affiliation for e in request.experts}
    for panel, session in zip(panels, plan.sessions, strict=True):
        assert not any(affiliation[e] in session.codes for e in panel.expert_ids)


def test_yearly_cap_is_kept_and_load_is_even_within_years_and_over_the_cycle() -> None:
    request = beijing()
    panels = appoint_checked(request)
    by_year = loads_by_year(panels)
    assert max(by_year.values()) <= request.max_sessions_per_year
    for year in (2027, 2028, 2029):
        loads = [by_year.get((e.id, year), 0) for e in request.experts]
        assert max(loads) - min(loads) <= 1  # 40 seats a year over 60 experts: 0 or 1 each
    cycle = Counter(e for p in panels for e in p.expert_ids)
    totals = [cycle.get(e.id, 0) for e in request.experts]
    assert max(totals) - min(totals) <= 1  # 120 seats over 60 experts: 2 each


def test_a_pool_exactly_large_enough_fills_every_expert_to_the_cap() -> None:
    # 4 sessions a year of 3 experts = 12 seats; 6 experts × 2 sessions a year = 12.
    plan = plan_of([[3 * n, 3 * n + 1, 3 * n + 2] for n in range(12)])
    request = PanelRequest(plan, experts_of([None] * 6), panel_size=3)
    panels = appoint_checked(request)
    assert set(loads_by_year(panels).values()) == {2}
    assert len(loads_by_year(panels)) == 6 * 3


def test_no_reuse_when_the_pool_allows_it() -> None:
    # Every expert has reviewed every institution before except those of "their" session,
    # so the only reuse-free answer gives session n exactly experts 3n, 3n+1, 3n+2.
    plan = plan_of([[2 * n, 2 * n + 1] for n in range(4)])
    experts = experts_of([None] * 12)
    history = {
        (e.id, code(i)): 1 for n, e in enumerate(experts) for i in range(8) if i // 2 != n // 3
    }
    request = PanelRequest(plan, experts, panel_size=3, max_sessions_per_year=4, history=history)
    panels = appoint_checked(request)
    assert reuse_of(request, panels) == 0
    assert [p.expert_ids for p in panels] == [
        (100 + 3 * n, 101 + 3 * n, 102 + 3 * n) for n in range(4)
    ]


def test_reuse_is_the_least_possible_when_some_is_unavoidable() -> None:
    # Weighted history everywhere: compare with every possible staffing.
    rng = random.Random(11)
    plan = plan_of([[0, 1], [2, 3], [4, 5]])
    experts = experts_of([None, None, 1, 3, None, 5])
    history = {(e.id, code(i)): rng.randrange(4) for e in experts for i in range(6)}
    request = PanelRequest(plan, experts, panel_size=2, max_sessions_per_year=2, history=history)
    panels = appoint_checked(request)
    assert reuse_of(request, panels) == min(
        reuse_of(request, candidate) for candidate in all_valid_panels(request)
    )


def test_the_same_request_gives_the_same_panels_whatever_the_input_order() -> None:
    request = beijing()
    history = {(e.id, code(n)): 1 for e in request.experts[::5] for n in range(0, 92, 7)}
    request = PanelRequest(request.plan, request.experts, history=history)
    first = appoint_panels(request)
    assert appoint_panels(request) == first
    shuffled = list(request.experts)
    random.Random(5).shuffle(shuffled)
    reordered = dict(reversed(list(history.items())))
    again = appoint_panels(PanelRequest(request.plan, shuffled, history=reordered))
    assert again == first


def test_an_empty_plan_needs_no_panels() -> None:
    plan = Plan(PlanRequest(START, []), ())
    assert appoint_panels(PanelRequest(plan, [])) == ()


def test_the_restricted_network_is_kept_only_when_as_good_as_the_full_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(2)
    base = beijing(experts=40)
    history = {(e.id, code(rng.randrange(92))): rng.randrange(1, 3) for e in list(base.experts) * 8}
    request = PanelRequest(base.plan, base.experts, history=history)
    full = appoint_checked(request)
    solved: list[int] = []
    solve = panels_module._Problem.solve

    def counting(problem: panels_module._Problem, candidates: list[object]) -> object:
        solved.append(len(candidates))
        return solve(problem, candidates)  # type: ignore[arg-type]

    monkeypatch.setattr(panels_module._Problem, "solve", counting)
    monkeypatch.setattr(panels_module, "FULL_NETWORK_BELOW", 0)
    monkeypatch.setattr(panels_module, "CANDIDATES_PER_SEAT", 1)  # too few to prove
    assert appoint_checked(request) == full
    assert len(solved) == 2
    solved.clear()
    monkeypatch.setattr(panels_module, "CANDIDATES_PER_SEAT", 4)  # enough: kept
    restricted = appoint_checked(request)
    assert len(solved) == 1
    assert reuse_of(request, restricted) == reuse_of(request, full)
    assert sorted(loads_by_year(restricted).values()) == sorted(loads_by_year(full).values())


# --- infeasible pools ----------------------------------------------------------------------


def test_a_pool_smaller_than_a_panel_is_refused() -> None:
    plan = plan_of([[0, 1, 2]])
    with pytest.raises(Infeasible) as caught:
        appoint_panels(PanelRequest(plan, experts_of([None] * 3)))
    assert "needs 5 experts but the pool has 3; add at least 2 experts" in caught.value.en
    assert "专家库只有 3 人" in caught.value.zh
    assert {r.kind for r in caught.value.rules} == {"PANEL"}


def test_too_few_experts_for_a_year_is_refused_with_the_arithmetic() -> None:
    # 8 sessions a year need 40 seats; 15 experts × 2 sessions a year give 30.
    request = beijing(experts=15)
    with pytest.raises(Infeasible) as caught:
        appoint_panels(request)
    assert caught.value.en == (
        "2027 has 8 sessions that need 40 panel seats of 5 experts, but 15 experts × 2 "
        "sessions a year give at most 30; add at least 5 experts, or allow 3 sessions a year "
        "per expert."
    )
    assert "共需 40 个专家席位" in caught.value.zh
    assert "15 位专家 × 每年最多 2 场" in caught.value.zh
    assert [r.kind for r in caught.value.rules] == ["PANEL", "PANEL"]


def test_national_arithmetic_states_thousands() -> None:
    groups = [list(range(5 * n, 5 * n + 5)) for n in range(600)]
    request = PanelRequest(plan_of(groups, per_quarter=50), experts_of([None] * 400))
    with pytest.raises(Infeasible) as caught:
        appoint_panels(request)
    assert caught.value.en.startswith(
        "2027 has 200 sessions that need 1,000 panel seats of 5 experts, but 400 experts × 2 "
        "sessions a year give at most 800; add at least 100 experts"
    )


def test_a_session_whose_institutions_employ_the_whole_pool_is_named() -> None:
    # Every expert is affiliated with a school of the second session.
    plan = plan_of([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    request = PanelRequest(plan, experts_of([3, 4, 5] * 3 + [4]))
    with pytest.raises(Infeasible) as caught:
        appoint_panels(request)
    assert "2027Q2 session 1 (高校3, 高校4, 高校5) has 0" in caught.value.en
    assert "of the pool of 10 too few are free of conflict" in caught.value.en
    assert "2027Q2 第 1 场（高校3、高校4、高校5）仅 0 人" in caught.value.zh
    assert [(r.kind, r.quarter) for r in caught.value.rules] == [
        ("PANEL", None),
        ("PANEL", Quarter(2027, 2)),
    ]


def test_conflicts_and_the_cap_together_leave_seats_empty() -> None:
    # Institution 0 is reviewed twice in 2027: only experts 102 and 103 may sit on either
    # session, once each, so 2 of the 4 seats stay empty though every count looks fine.
    plan = plan_of([[0], [0], [1]])
    request = PanelRequest(
        plan, experts_of([0, 0, None, None, 0, 0]), panel_size=2, max_sessions_per_year=1
    )
    with pytest.raises(Infeasible) as caught:
        appoint_panels(request)
    assert caught.value.en.startswith("In 2027, 2 panel seats cannot be filled: ")
    assert "2027 年有 2 个专家席位无法安排" in caught.value.zh
    assert len(caught.value.rules) == 3


def test_malformed_requests_are_refused() -> None:
    plan = plan_of([[0, 1, 2]])
    with pytest.raises(ValueError, match="repeated: \\[100\\]"):
        appoint_panels(PanelRequest(plan, [*experts_of([None] * 5), Expert(100, "重复")]))
    with pytest.raises(ValueError, match="panel_size"):
        appoint_panels(PanelRequest(plan, experts_of([None] * 5), panel_size=0))


# --- the independent check ------------------------------------------------------------------


def test_panel_violations_names_every_broken_rule() -> None:
    plan = plan_of([[0, 1], [2, 3], [4, 5]])
    request = PanelRequest(plan, experts_of([0, None, None]), panel_size=2, max_sessions_per_year=1)
    q1, q2, q4 = START, START.plus(1), START.plus(3)
    bad = [
        Panel(q1, 0, (100, 101)),  # 100 is affiliated with institution 0
        Panel(q1, 0, (101, 102)),  # second panel for the session
        Panel(q2, 0, (101, 101)),  # twice the same expert; 101 over the cap
        Panel(q4, 0, (101, 999)),  # no such session; 999 unknown
    ]
    assert panel_violations(request, bad) == [
        "2027Q1 session 1: expert 100 is affiliated with 4111010000, an institution of the "
        "session (R11)",
        "2027Q1 session 1 has more than one panel",
        "2027Q2 session 1 lists an expert twice: [101, 101]",
        "2027Q2 session 1 has 1 experts, not 2",
        "2027Q4 session 1 is not a session of the plan",
        "2027Q3 session 1 has no panel",
        "expert 101 sits on 2 sessions in 2027, more than 1",
    ]


# --- properties on small requests, against exhaustive search ------------------------------


def all_valid_panels(request: PanelRequest) -> Iterable[tuple[Panel, ...]]:
    """Every set of panels that passes ``panel_violations``, by brute force."""
    sessions = request.plan.sessions
    choices = [
        [
            ids
            for ids in itertools.combinations(
                sorted(e.id for e in request.experts), request.panel_size
            )
            if not any(
                e.affiliation in s.codes for e in request.experts if e.id in ids and e.affiliation
            )
        ]
        for s in sessions
    ]
    for combination in itertools.product(*choices):
        panels = tuple(
            Panel(s.quarter, s.index, ids) for s, ids in zip(sessions, combination, strict=True)
        )
        if within_cap(panels, request.max_sessions_per_year):
            yield panels


def spread(panels: Sequence[Panel]) -> int:
    """How uneven the load is: sums of squares of sessions per expert and year and per
    expert over the cycle (for a fixed number of seats, least when loads are even)."""
    cycle = Counter(e for p in panels for e in p.expert_ids)
    by_year = loads_by_year(panels)
    return sum(n * n for n in by_year.values()) + sum(n * n for n in cycle.values())


def within_cap(panels: Sequence[Panel], cap: int) -> bool:
    return all(count <= cap for count in loads_by_year(panels).values())


@st.composite
def small_requests(draw: st.DrawFn) -> PanelRequest:
    sessions = draw(st.integers(1, 3))
    institutions = draw(st.integers(sessions, 2 * sessions))
    groups: list[list[int]] = [[] for _ in range(sessions)]
    for n in range(institutions):  # every session non-empty, a few repeats allowed
        groups[n % sessions].append(draw(st.integers(0, institutions - 1)) if n >= sessions else n)
    spacing = draw(st.sampled_from([1, 2, 4]))  # sessions a quarter apart, or a year apart
    plan = Plan(
        plan_of(groups).request,
        tuple(
            PlannedSession(START.plus(spacing * n), 0, tuple(sorted({code(i) for i in group})))
            for n, group in enumerate(groups)
        ),
    )
    affiliations = draw(
        st.lists(st.one_of(st.none(), st.integers(0, institutions - 1)), min_size=1, max_size=6)
    )
    experts = experts_of(affiliations)
    history: Mapping[tuple[int, str], int] = draw(
        st.dictionaries(
            st.tuples(
                st.sampled_from([e.id for e in experts]),
                st.sampled_from(sorted({code(i) for i in range(institutions)})),
            ),
            st.integers(0, 3),
            max_size=8,
        )
    )
    return PanelRequest(
        plan,
        experts,
        panel_size=draw(st.integers(1, 3)),
        max_sessions_per_year=draw(st.integers(1, 2)),
        history=history,
    )


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(small_requests())
def test_small_requests_get_least_reuse_then_even_load_or_a_right_refusal(
    request: PanelRequest,
) -> None:
    possible = list(all_valid_panels(request))
    try:
        panels = appoint_panels(request)
    except Infeasible as refusal:
        assert possible == [], f"refused but {possible[0]} is valid: {refusal.en}"
        assert refusal.zh
        assert refusal.rules
        assert all(r.kind == "PANEL" for r in refusal.rules)
        return
    assert panel_violations(request, panels) == []
    assert (reuse_of(request, panels), spread(panels)) == min(
        (reuse_of(request, p), spread(p)) for p in possible
    )
