"""The planner on the real Beijing pool: R3's arithmetic, a full plan, explanations of
conflicting rules, gaps, priorities, and re-planning around started sessions."""

from __future__ import annotations

import csv
from collections import Counter
from importlib import resources

import pytest

from sanquan.institutions.codes import infer_category
from sanquan.quarter import Quarter
from sanquan.rotation.model import (
    Blackout,
    FixedSession,
    Infeasible,
    Pin,
    PlanRequest,
    Policy,
    PoolMember,
)
from sanquan.rotation.planner import plan_cycle

START = Quarter(2027, 1)


def beijing() -> list[PoolMember]:
    text = resources.files("sanquan.institutions").joinpath("data/beijing_heis.csv").read_text()
    return [
        PoolMember(row["code"], row["name"], infer_category(row["name"]))
        for row in csv.DictReader(text.splitlines())
    ]


POOL = beijing()
BY_NAME = {m.name: m.code for m in POOL}


def request(**changes: object) -> PlanRequest:
    return PlanRequest(start=START, pool=POOL, sessions_per_quarter=2, **changes)  # type: ignore[arg-type]


def test_92_institutions_do_not_fit_one_session_a_quarter() -> None:
    with pytest.raises(Infeasible) as refused:
        plan_cycle(PlanRequest(start=START, pool=POOL))
    assert refused.value.en == (
        "92 institutions need at least 19 sessions of 5 but a cycle holds 12; "
        "use k = 2 or a sub-pool of at most 60"
    )
    assert refused.value.zh.startswith("92 所高校至少需要 19 次 5 所规模的点评会")


def test_too_small_a_pool_says_how_many_sessions_it_can_fill() -> None:
    with pytest.raises(Infeasible) as refused:
        plan_cycle(PlanRequest(start=START, pool=POOL[:30]))
    assert refused.value.en == (
        "30 institutions fill at most 10 sessions of 3 but a cycle has 12; "
        "enlarge the pool or allow smaller sessions"
    )


def test_beijing_with_two_sessions_a_quarter() -> None:
    plan = plan_cycle(request())
    placed = [code for s in plan.sessions for code in s.codes]
    assert sorted(placed) == sorted(m.code for m in POOL)
    assert Counter(s.quarter for s in plan.sessions) == dict.fromkeys(request().quarters, 2)
    assert all(3 <= len(s.codes) <= 5 for s in plan.sessions)
    category = {m.code: m.category for m in POOL}
    for session in plan.sessions:
        assert max(Counter(category[c] for c in session.codes).values()) <= 2
    assert plan_cycle(request()) == plan  # R7


def test_grouping_keeps_categories_together() -> None:
    plan = plan_cycle(request(policy=Policy.GROUP))
    category = {m.code: m.category for m in POOL}
    mixed = sum(len({category[c] for c in s.codes}) for s in plan.sessions)
    spread = sum(len({category[c] for c in s.codes}) for s in plan_cycle(request()).sessions)
    assert mixed < spread


def test_gap_since_the_last_review_is_kept() -> None:
    thu = BY_NAME["清华大学"]
    plan = plan_cycle(request(last_reviewed={thu: Quarter(2024, 4)}, gap=(10, 12)))
    # 2024Q4 + 10..12 quarters = 2027Q2..2027Q4
    assert Quarter(2027, 2) <= plan.quarter_of()[thu] <= Quarter(2027, 4)


def test_priorities_come_first_and_overdue_ones_before_them() -> None:
    ruc, pku, ustb = BY_NAME["中国人民大学"], BY_NAME["北京大学"], BY_NAME["北京科技大学"]
    plan = plan_cycle(request(priorities=[ruc, pku], last_reviewed={ustb: Quarter(2020, 1)}))
    quarter = plan.quarter_of()
    assert quarter[ustb] == START  # overdue: reviewed 2020Q1, gap 16 ran out in 2024Q1
    assert quarter[ruc] == START
    assert quarter[pku] <= START.plus(1)


def test_pins_and_blackouts_are_honoured() -> None:
    thu, ruc = BY_NAME["清华大学"], BY_NAME["中国人民大学"]
    plan = plan_cycle(
        request(
            pins=[Pin(thu, Quarter(2028, 3))],
            blackouts=[Blackout(ruc, START.plus(q)) for q in range(11)],
        )
    )
    assert plan.quarter_of()[thu] == Quarter(2028, 3)
    assert plan.quarter_of()[ruc] == START.plus(11)


def test_contradictory_pins_are_explained_by_name() -> None:
    pku = BY_NAME["北京大学"]
    with pytest.raises(Infeasible) as refused:
        plan_cycle(request(pins=[Pin(pku, Quarter(2027, 2)), Pin(pku, Quarter(2027, 3))]))
    assert refused.value.en == (
        "these rules cannot all hold: pin 北京大学 to 2027Q2; pin 北京大学 to 2027Q3. "
        "Drop or change one of them (e.g. pin 北京大学 to 2027Q2)"
    )
    assert [r.kind for r in refused.value.rules] == ["PIN", "PIN"]


def test_a_full_quarter_is_explained_with_its_capacity() -> None:
    pins = [Pin(m.code, Quarter(2027, 2)) for m in POOL if m.category == "财经"][:6]
    pins += [Pin(m.code, Quarter(2027, 2)) for m in POOL if m.category == "艺术"][:5]
    with pytest.raises(Infeasible) as refused:
        plan_cycle(request(pins=pins, policy=Policy.GROUP))
    kinds = Counter(r.kind for r in refused.value.rules)
    # 11 pins into a quarter of two sessions of at most 5: all 11 pins and the capacity
    assert kinds == {"PIN": 11, "CAPACITY": 1}
    assert "2027Q2 takes 6–10 institutions" in refused.value.en


def test_a_gap_window_against_a_blackout_is_explained() -> None:
    thu = BY_NAME["清华大学"]
    with pytest.raises(Infeasible) as refused:
        plan_cycle(
            request(
                last_reviewed={thu: Quarter(2024, 4)},
                gap=(10, 10),
                blackouts=[Blackout(thu, Quarter(2027, 2))],
            )
        )
    assert [r.kind for r in refused.value.rules] == ["GAP", "BLACKOUT"]
    assert "清华大学's gap since its last review (2027Q2–2027Q2)" in refused.value.en


def test_replanning_keeps_started_sessions_and_moves_few() -> None:
    first = plan_cycle(request())
    started = first.sessions[0]
    again = plan_cycle(
        request(
            fixed=[FixedSession(started.quarter, started.codes)],
            previous=first.quarter_of(),
            blackouts=[Blackout(first.sessions[5].codes[0], first.sessions[5].quarter)],
        )
    )
    assert again.sessions[0] == started
    before, after = first.quarter_of(), again.quarter_of()
    moved = [code for code in before if before[code] != after[code]]
    assert moved == [first.sessions[5].codes[0]]
